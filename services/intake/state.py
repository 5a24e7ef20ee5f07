"""What intake's handlers share at run time, built once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from aiohttp import web
from argon2 import PasswordHasher

from shared.auth import Issuer
from shared.crypto import DataKeys, FieldCipher
from shared.db import DocLocks
from shared.outbox import DocumentWriter
from shared.service import BUS, MONGO, SETTINGS

from .codes import hash_code
from .settings import IntakeSettings
from .throttle import Throttle


@dataclass
class Intake(DocumentWriter):
    settings: IntakeSettings
    cipher: FieldCipher
    issuer: Issuer
    throttle: Throttle
    passwords: PasswordHasher

    async def code_hash(self, code: str) -> str:
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        return await asyncio.to_thread(
            hash_code,
            code,
            salt=self.cipher.keys.code_salt,
            time_cost=self.settings.argon2_time_cost,
            memory_kib=self.settings.argon2_memory_kib,
        )

    def keyed(self, purpose: str, value: str) -> str:
        """A keyed hash (HMAC with ``code_salt``) of something kept only to be recognised
        again, never read back: a client's address, a reporter's Idempotency-Key."""
        message = f"{purpose}:{value}".encode()
        return hmac.new(self.cipher.keys.code_salt, message, hashlib.sha256).hexdigest()


INTAKE = web.AppKey("intake", Intake)


@contextlib.asynccontextmanager
async def intake_context(app: web.Application) -> AsyncIterator[None]:
    settings = cast(IntakeSettings, app[SETTINGS])
    keys = await asyncio.to_thread(DataKeys.load, settings.data_keys_file)
    issuer = Issuer.from_pem_file(
        settings.signing_key_file, settings.signing_kid, settings.jwt_issuer
    )
    db = app[MONGO].db
    locks = DocLocks()
    app[INTAKE] = Intake(
        settings=settings,
        db=db,
        bus=app[BUS],
        cipher=FieldCipher(keys),
        issuer=issuer,
        throttle=Throttle(db, locks),
        locks=locks,
        # Staff passwords: argon2-cffi's defaults (RFC 9106 low-memory profile).
        passwords=PasswordHasher(),
    )
    yield

"""What intake's handlers share at run time, built once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web
from argon2 import PasswordHasher
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import Issuer
from shared.bus import Bus
from shared.crypto import DataKeys, FieldCipher
from shared.db import DocLocks, Document
from shared.events import Envelope
from shared.outbox import flush, with_staged
from shared.service import BUS, MONGO, SETTINGS

from .codes import hash_code
from .settings import IntakeSettings
from .throttle import Throttle


@dataclass
class Intake:
    settings: IntakeSettings
    db: AsyncDatabase[Document]
    bus: Bus
    cipher: FieldCipher
    issuer: Issuer
    throttle: Throttle
    passwords: PasswordHasher
    locks: DocLocks

    async def code_hash(self, code: str) -> str:
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        return await asyncio.to_thread(
            hash_code,
            code,
            salt=self.cipher.keys.code_salt,
            time_cost=self.settings.argon2_time_cost,
            memory_kib=self.settings.argon2_memory_kib,
        )

    async def update_with_events(
        self,
        collection: str,
        query: dict[str, Any],
        update: dict[str, Any],
        events: list[Envelope],
        *,
        upsert: bool = False,
    ) -> bool:
        """Apply ``update`` and stage ``events`` in the same single-document write, then
        publish them; returns whether a document matched."""
        merged = with_staged(update, *events) if events else update
        async with self.locks.hold(collection, query["_id"]):
            result = await self.db[collection].update_one(query, merged, upsert=upsert)
        matched = result.matched_count > 0 or result.upserted_id is not None
        if matched and events:
            await flush(self.db[collection], query["_id"], events, self.bus, self.locks)
        return matched

    async def update(
        self,
        collection: str,
        query: dict[str, Any],
        update: dict[str, Any],
        *,
        upsert: bool = False,
    ) -> bool:
        """One write to one document (by ``_id``), serialised with the other writes to it
        in this process (see ``DocLocks``). Returns whether a document matched."""
        return await self.update_with_events(collection, query, update, [], upsert=upsert)


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

"""What intake's handlers share at run time, built once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp
from aiohttp import web
from argon2 import PasswordHasher

from services.intake.channels.whatsapp import WhatsApp
from services.intake.domain.codes import hash_code
from services.intake.settings import IntakeSettings
from services.intake.store.migrations import mark_if_new
from services.intake.store.throttle import Throttle
from shared.auth import Issuer
from shared.clock import Clock
from shared.crypto import DataKeys, FieldCipher
from shared.outbox import DocumentWriter
from shared.service import BUS, LOCKS, MONGO, SETTINGS
from shared.smtp import Mailer

log = logging.getLogger(__name__)


@dataclass
class Intake(DocumentWriter):
    settings: IntakeSettings
    cipher: FieldCipher
    issuer: Issuer
    throttle: Throttle
    passwords: PasswordHasher
    mailer: Mailer  # replies into a reporter's e-mail thread
    whatsapp: WhatsApp
    # Set when a reply or acknowledgement waits to be relayed (relay.relay_loop sends it).
    relay_wanted: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    gates: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def gate(self, name: str, width: int) -> asyncio.Semaphore:
        """At most ``width`` of one kind of background work at once, in this process (for
        the load it puts on the database; correctness never rests on it)."""
        return self.gates.setdefault(name, asyncio.Semaphore(width))

    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Work that follows an answer already given (kept safe by a sweep if it is cut
        off): held here so that it is not collected, and awaited at shutdown."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

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
        """A keyed hash (HMAC with ``hash_key``) of something kept only to be recognised
        again, never read back: a client's address, a reporter's Idempotency-Key."""
        message = f"{purpose}:{value}".encode()
        return hmac.new(self.cipher.keys.hash_key, message, hashlib.sha256).hexdigest()


INTAKE = web.AppKey("intake", Intake)


@contextlib.asynccontextmanager
async def intake_context(app: web.Application) -> AsyncIterator[None]:
    settings = cast(IntakeSettings, app[SETTINGS])
    keys = await asyncio.to_thread(DataKeys.load, settings.data_keys_file)
    issuer = Issuer.from_pem_file(
        settings.signing_key_file, settings.signing_kid, settings.jwt_issuer
    )
    db = app[MONGO].db
    locks = app[LOCKS]
    http = aiohttp.ClientSession()
    mailer = Mailer(settings.smtp(), connections=4)
    clock = Clock()
    app[INTAKE] = Intake(
        settings=settings,
        db=db,
        bus=app[BUS],
        cipher=FieldCipher(keys),
        issuer=issuer,
        throttle=Throttle(db, locks, clock),
        clock=clock,
        locks=locks,
        # Staff passwords: argon2-cffi's defaults (RFC 9106 low-memory profile).
        passwords=PasswordHasher(),
        mailer=mailer,
        whatsapp=WhatsApp(http, settings.whatsapp_api_url, settings.whatsapp_access_token_file),
    )
    await mark_if_new(db, clock.now())
    try:
        yield
    finally:
        intake = app[INTAKE]
        if intake.tasks:  # let work under way finish (briefly); the sweep has the rest
            await asyncio.wait(intake.tasks, timeout=5)
        await mailer.close()
        await http.close()

"""What booking's handlers share at run time, built once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from shared.bus import Bus
from shared.crypto import DataKeys, FieldCipher
from shared.db import DocLocks, Document
from shared.events import Envelope
from shared.outbox import flush, with_staged
from shared.service import BUS, MONGO, SETTINGS

from .settings import BookingSettings
from .video import RoomUrlProvider, VideoProvider


@dataclass
class Booking:
    settings: BookingSettings
    db: AsyncDatabase[Document]
    bus: Bus
    cipher: FieldCipher
    locks: DocLocks
    video: VideoProvider
    # Busy-time documents this process wrote last, by key: (version, document).
    busy_cache: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    async def update_with_events(
        self,
        collection: str,
        query: dict[str, Any],
        update: dict[str, Any],
        events: list[Envelope],
    ) -> bool:
        """One write to one document with its events staged in it, then published."""
        merged = with_staged(update, *events) if events else update
        async with self.locks.hold(collection, query["_id"]):
            result = await self.db[collection].update_one(query, merged)
        if result.matched_count and events:
            await flush(self.db[collection], query["_id"], events, self.bus, self.locks)
        return result.matched_count > 0


BOOKING = web.AppKey("booking", Booking)


@contextlib.asynccontextmanager
async def booking_context(app: web.Application) -> AsyncIterator[None]:
    settings = cast(BookingSettings, app[SETTINGS])
    keys = await asyncio.to_thread(DataKeys.load, settings.data_keys_file)
    app[BOOKING] = Booking(
        settings=settings,
        db=app[MONGO].db,
        bus=app[BUS],
        cipher=FieldCipher(keys),
        locks=DocLocks(),
        video=RoomUrlProvider(settings.video_base_url),
    )
    yield

"""What booking's handlers share at run time, built once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from aiohttp import web

from services.booking.settings import BookingSettings
from shared.crypto import DataKeys, FieldCipher
from shared.outbox import DocumentWriter
from shared.service import BUS, LOCKS, MONGO, SETTINGS

if TYPE_CHECKING:  # busystore reads and writes through this state
    from services.booking.store.busystore import Bucket
from services.booking.domain.video import VideoProvider


@dataclass
class Booking(DocumentWriter):
    settings: BookingSettings
    cipher: FieldCipher
    video: VideoProvider
    # Busy-time buckets this process read or wrote last, by _id: (version, objects by name).
    busy_cache: dict[str, tuple[str, Bucket]] = field(default_factory=dict)


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
        locks=app[LOCKS],
        video=settings.video(),
    )
    yield

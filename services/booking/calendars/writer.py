"""Writing appointments to confidants' calendars: an outbox, so a calendar that is down
delays a write and never loses it.

An appointment that must reach the calendar carries ``calendar.pending`` ("put" or
"delete"). This loop takes each one whose time has come, writes it with an ETag condition
(``If-None-Match: *`` to create, ``If-Match`` to replace or delete), and clears ``pending``
only when the write landed and the appointment did not change meanwhile. A failed write is
tried again later, with a growing pause (at most an hour).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import aiohttp

from services.booking.calendars.dav import DavError
from services.booking.calendars.provider import Calendars, open_calendars
from services.booking.state import Booking
from services.booking.store.collections import APPOINTMENTS
from services.booking.store.documents import Appointment, Confidant, appointments, confidants
from shared.db import Query

log = logging.getLogger(__name__)
MAX_PAUSE = timedelta(hours=1)


async def write_pending(booking: Booking, now: datetime | None = None) -> dict[str, int]:
    now = now or booking.clock.now()
    done = {"written": 0, "deleted": 0, "failed": 0}
    query = {
        "calendar.pending": {"$in": ["put", "delete"]},
        "$or": [{"calendar.next_try": None}, {"calendar.next_try": {"$lte": now}}],
    }
    pending = await appointments(booking.db).find(query, {"outbox": 0}).to_list(500)
    if not pending:
        return done
    async with aiohttp.ClientSession() as session:
        for appointment in pending:
            confidant = await confidants(booking.db).find_one(
                {"_id": appointment["confidant_id"]}, {"calendar": 1}
            )
            if not confidant or not confidant.get("calendar"):
                await _settle(booking, appointment, {"calendar.pending": None})
                continue
            source = open_calendars(booking, session, confidant)
            try:
                if appointment["calendar"].get("pending") == "put":
                    await _put(booking, source, confidant, appointment)
                    done["written"] += 1
                else:
                    await _delete(booking, source, appointment)
                    done["deleted"] += 1
            except DavError as exc:
                done["failed"] += 1
                attempts = appointment["calendar"].get("attempts", 0) + 1
                pause = min(
                    timedelta(seconds=booking.settings.writer_interval_s * 2**attempts), MAX_PAUSE
                )
                log.warning(
                    "calendar write failed",
                    extra={
                        "appointment_id": appointment["_id"],
                        "error": exc.kind,
                        "attempt": attempts,
                    },
                )
                await booking.update_with_events(
                    APPOINTMENTS,
                    {"_id": appointment["_id"]},
                    {
                        "$set": {
                            "calendar.attempts": attempts,
                            "calendar.last_error": exc.kind,
                            "calendar.next_try": now + pause,
                            # A server that keeps refusing is shown, not retried in silence.
                            "calendar.failed": attempts >= booking.settings.writer_max_attempts,
                        }
                    },
                    [],
                )
    return done


async def _put(
    booking: Booking, source: Calendars, confidant: Confidant, appointment: Appointment
) -> None:
    calendar = appointment["calendar"]
    href, etag = await source.write(
        (confidant.get("calendar") or {})["booking_calendar"],
        appointment,
        calendar.get("href"),
        calendar.get("etag") if calendar.get("href") else None,
    )
    await _settle(
        booking,
        appointment,
        {
            "calendar.href": href,
            "calendar.etag": etag,
            "calendar.pending": None,
            "calendar.attempts": 0,
            "calendar.last_error": None,
            "calendar.next_try": None,
            "calendar.failed": False,
        },
    )


async def _delete(booking: Booking, source: Calendars, appointment: Appointment) -> None:
    calendar = appointment["calendar"]
    href = calendar.get("href")
    if href:
        await source.remove(href, calendar.get("etag"))
    await _settle(
        booking,
        appointment,
        {
            "calendar.href": None,
            "calendar.etag": None,
            "calendar.pending": None,
            "calendar.attempts": 0,
            "calendar.next_try": None,
            "calendar.failed": False,
        },
    )


async def _settle(booking: Booking, appointment: Appointment, sets: Query) -> None:
    # Only if nothing changed meanwhile; a newer change has its own pending write.
    await booking.update_with_events(
        APPOINTMENTS,
        {
            "_id": appointment["_id"],
            "sequence": appointment.get("sequence", 0),
            "status": appointment["status"],
        },
        {"$set": sets},
        [],
    )

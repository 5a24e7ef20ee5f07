"""What blocks a confidant's time: the busy time read from their calendars and the
appointments booked with them. A calendar not read recently enough blocks everything: an
unreadable calendar is not free, so its slots close (fail closed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.booking.domain.availability import Interval
from services.booking.state import Booking
from services.booking.store import busystore
from services.booking.store.documents import CalendarLink, Confidant, appointments


def is_current(booking: Booking, calendar: CalendarLink, now: datetime) -> bool:
    """Whether a connected calendar was read recently enough to offer slots by."""
    last = (calendar.get("sync") or {}).get("last_success")
    limit = timedelta(seconds=booking.settings.sync_stale_after_s)
    return last is not None and now - last <= limit


async def blocking(
    booking: Booking, confidant: Confidant, now: datetime, skip: str | None = None
) -> tuple[list[Interval], list[Interval]] | None:
    """Busy time and booked appointments of a confidant; None when the calendar is stale
    (an unreadable calendar is not free: its slots close)."""
    calendar = confidant.get("calendar")
    if calendar and not is_current(booking, calendar, now):
        return None
    busy: list[Interval] = []
    if calendar:
        busy, complete = await busystore.of_calendar(booking, confidant["_id"], calendar, now)
        if not complete:
            return None  # a calendar not yet synced into buckets is not known to be free
    booked = [
        (a["occupied"][0], a["occupied"][1])
        async for a in appointments(booking.db).find(
            {"confidant_id": confidant["_id"], "status": "booked", "end": {"$gt": now}},
            {"occupied": 1},
        )
        if a["_id"] != skip
    ]
    return busy, booked

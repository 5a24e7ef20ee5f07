"""From a calendar object (iCalendar text) to busy time. Pure: no I/O.

Recurring events are expanded by ``recurring-ical-events`` (RRULE, RDATE, EXDATE, moved
occurrences with RECURRENCE-ID), never by hand. Times with a TZID are converted from that
zone; floating times and all-day dates are read in the confidant's zone. Events that are
transparent, cancelled, or marked free by Microsoft's clients do not block. Our own booked
events (UID ``vertrouwd-<id>@vertrouwd``) are not busy time: they are the appointments,
reported apart so the sync can see when the confidant moved or deleted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from services.booking.calendars.ics import appointment_id_from
from services.booking.domain.availability import Interval


class BrokenObject(ValueError):
    """A calendar object that cannot be read; the sync skips it and goes on."""


@dataclass
class Parsed:
    busy: list[Interval] = field(default_factory=list)
    ours: dict[str, datetime] = field(default_factory=dict)  # appointment id -> its start


def _utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


def blocks(event: Any) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    for key in ("X-MICROSOFT-CDO-INTENDEDSTATUS", "X-MICROSOFT-CDO-BUSYSTATUS"):
        if str(event.get(key, "")).upper() == "FREE":
            return False
    return True


def after(start: date | datetime, duration: timedelta, zone: ZoneInfo) -> datetime:
    """The end of a span given by DURATION (RFC 5545 3.3.6): days and weeks are nominal
    (the same wall-clock time that many days on), hours, minutes and seconds exact (added
    in UTC, so across a DST change a PT3H event still lasts three hours)."""
    days = timedelta(days=duration.days)
    exact = duration - days
    return _utc(start + days, zone) + exact


def span(event: Any, zone: ZoneInfo, duration: timedelta | None = None) -> Interval | None:
    """The event's busy stretch; ``duration`` is the DURATION of the component it came
    from, when it had one (the recurrence library turns it into a wall-clock DTEND)."""
    start_value = event.decoded("DTSTART")
    start = _utc(start_value, zone)
    if duration is None and "DTEND" not in event and "DURATION" in event:
        duration = event.decoded("DURATION")
    if duration is not None:
        end = after(start_value, duration, zone)
    elif "DTEND" in event:
        end = _utc(event.decoded("DTEND"), zone)
    elif not isinstance(start_value, datetime):
        end = _utc(start_value + timedelta(days=1), zone)  # an all-day event: that day
    else:
        return None  # a moment, not a stretch of time (RFC 5545 3.6.1)
    return (start, end) if end > start else None


def parse(text: str, zone: ZoneInfo, window: Interval) -> Parsed:
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        raise BrokenObject(f"unreadable iCalendar ({exc.__class__.__name__})") from None
    found = Parsed()
    try:
        # The DURATION of each component, by UID and (for a moved occurrence) RECURRENCE-ID;
        # None for a component that ends with its own DTEND.
        durations: dict[tuple[str, datetime | None], timedelta | None] = {}
        for event in calendar.walk("VEVENT"):
            uid = str(event.get("UID", ""))
            appointment_id = appointment_id_from(uid)
            if appointment_id is not None and "RECURRENCE-ID" not in event:
                found.ours[appointment_id] = _utc(event.decoded("DTSTART"), zone)
            own = (
                event.decoded("DURATION") if "DURATION" in event and "DTEND" not in event else None
            )
            durations[(uid, _recurrence(event, zone))] = own
        for event in recurring_ical_events.of(calendar).between(*window):
            uid = str(event.get("UID", ""))
            if appointment_id_from(uid) is not None or not blocks(event):
                continue
            key = (uid, _recurrence(event, zone))
            duration = durations[key] if key in durations else durations.get((uid, None))
            interval = span(event, zone, duration)
            if interval is not None:
                found.busy.append(interval)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise BrokenObject(f"an event cannot be read ({exc.__class__.__name__})") from None
    return found


def _recurrence(event: Any, zone: ZoneInfo) -> datetime | None:
    return _utc(event.decoded("RECURRENCE-ID"), zone) if "RECURRENCE-ID" in event else None

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

from .availability import Interval
from .ics import appointment_id_from


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


def span(event: Any, zone: ZoneInfo) -> Interval | None:
    start_value = event.decoded("DTSTART")
    start = _utc(start_value, zone)
    if "DTEND" in event:
        end = _utc(event.decoded("DTEND"), zone)
    elif "DURATION" in event:
        end = start + event.decoded("DURATION")
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
        for event in calendar.walk("VEVENT"):
            appointment_id = appointment_id_from(str(event.get("UID", "")))
            if appointment_id is not None and "RECURRENCE-ID" not in event:
                found.ours[appointment_id] = _utc(event.decoded("DTSTART"), zone)
        for event in recurring_ical_events.of(calendar).between(*window):
            if appointment_id_from(str(event.get("UID", ""))) is not None or not blocks(event):
                continue
            interval = span(event, zone)
            if interval is not None:
                found.busy.append(interval)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BrokenObject(f"an event cannot be read ({exc.__class__.__name__})") from None
    return found

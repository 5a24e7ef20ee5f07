"""From stored documents to the pure availability inputs, and the claim granules."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import holidays

from services.booking.domain.availability import Interval, SlotRules, WorkingHours
from services.booking.store.documents import AppointmentType, Confidant

GRANULE = timedelta(minutes=5)


def _clock(value: str) -> time:
    return time(23, 59, 59) if value == "24:00" else time.fromisoformat(value)


@functools.cache
def public_holidays(country: str, year: int) -> frozenset[date]:
    """A country's public holidays in a year (the holidays package; cached, they do not
    change while the process runs)."""
    return frozenset(holidays.country_holidays(country, years=year))


def closed_days(country: str | None, today: date) -> frozenset[date]:
    """The public holidays within any booking horizon from ``today`` (this year and next)."""
    if not country:
        return frozenset()
    return public_holidays(country, today.year) | public_holidays(country, today.year + 1)


def working_hours(confidant: Confidant, today: date) -> WorkingHours:
    """The confidant's hours as the pure availability logic takes them. Public holidays
    (``holidays``: a country, NL unless set) are closed days, unless the confidant opened
    one with a date override of their own."""
    hours = confidant.get("hours") or {}
    overrides = {
        date.fromisoformat(day): [(_clock(r["start"]), _clock(r["end"])) for r in ranges]
        for day, ranges in (hours.get("overrides") or {}).items()
    }
    holidays_off = closed_days(confidant.get("holidays", "NL"), today)
    return WorkingHours(
        timezone=confidant.get("timezone", "Europe/Amsterdam"),
        weekly={
            int(day): [(_clock(r["start"]), _clock(r["end"])) for r in ranges]
            for day, ranges in (hours.get("weekly") or {}).items()
        },
        overrides={**{day: [] for day in holidays_off}, **overrides},
        absences=[(a["start"], a["end"]) for a in hours.get("absences") or []],
    )


def slot_rules(kind: AppointmentType) -> SlotRules:
    return SlotRules(
        duration=timedelta(minutes=kind["duration_min"]),
        interval=timedelta(minutes=kind["interval_min"]),
        buffer_before=timedelta(minutes=kind["buffer_before_min"]),
        buffer_after=timedelta(minutes=kind["buffer_after_min"]),
        min_notice=timedelta(minutes=kind["min_notice_min"]),
        horizon=timedelta(days=kind["horizon_days"]),
        daily_cap=kind.get("daily_cap"),
        weekly_cap=kind.get("weekly_cap"),
    )


def granules(occupied: Interval) -> Iterator[datetime]:
    """The 5-minute granules an interval touches (it is on the grid when types and hours
    are, which validation makes sure of; a stray minute still claims its whole granule)."""
    start, end = occupied
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    at = epoch + ((start - epoch) // GRANULE) * GRANULE
    while at < end:
        yield at
        at += GRANULE


def claim_ids(confidant_id: str, occupied: Interval) -> list[str]:
    return [f"{confidant_id}|{g.strftime('%Y%m%dT%H%M')}" for g in granules(occupied)]

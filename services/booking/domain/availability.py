"""Free slots: a pure function of rules, busy time, appointments and now. No I/O.

All arithmetic is in UTC; working hours are wall-clock times in the confidant's zone, so a
slot at 09:00 stays at 09:00 across a DST change. Candidates are stepped in local time and
converted, which skips local times that do not exist (the spring gap) and takes the first
of times that exist twice (the autumn overlap).

Cost: the blocked intervals are merged once (O(B log B), O(B) when they come sorted, as
from the busy-time cache), then each candidate is checked with one binary search, so a
request costs O(B + S log B) instead of the O(S x B) of testing every slot against every
busy interval.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]  # [start, end), aware, UTC
Hours = Sequence[tuple[time, time]]  # wall-clock ranges within one day


@dataclass(frozen=True)
class SlotRules:
    """What one appointment type needs (durations as timedelta)."""

    duration: timedelta
    interval: timedelta = timedelta(minutes=30)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=12)
    horizon: timedelta = timedelta(days=28)
    daily_cap: int | None = None
    weekly_cap: int | None = None


@dataclass(frozen=True)
class WorkingHours:
    """When a confidant works: per weekday (0 = Monday), per date overrides (an empty
    sequence closes the day), and absences (UTC intervals)."""

    timezone: str
    weekly: Mapping[int, Hours]
    overrides: Mapping[date, Hours] = field(default_factory=dict)
    absences: Sequence[Interval] = ()


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, touching intervals joined."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def within(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The merged intervals' parts inside [start, end)."""
    return [(max(s, start), min(e, end)) for s, e in merge(intervals) if s < end and e > start]


class Blocked:
    """Merged blocked time, asked "is [start, end) free?" in O(log n)."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged = merge(intervals)
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def free(self, start: datetime, end: datetime) -> bool:
        # Merged intervals have increasing ends: the first that ends after ``start``
        # is the only one that can overlap.
        i = bisect_right(self.ends, start)
        return i == len(self.starts) or self.starts[i] >= end


def occupied(start: datetime, rules: SlotRules) -> Interval:
    """The time an appointment takes, buffers included."""
    return start - rules.buffer_before, start + rules.duration + rules.buffer_after


def local_days(first: datetime, last: datetime, zone: ZoneInfo) -> Iterable[date]:
    day = first.astimezone(zone).date()
    end = last.astimezone(zone).date()
    while day <= end:
        yield day
        day += timedelta(days=1)


def to_utc(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time as UTC; None when that time does not exist that day (DST gap)."""
    local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of two, in autumn
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def free_slots(
    hours: WorkingHours,
    rules: SlotRules,
    busy: Iterable[Interval],
    appointments: Sequence[Interval],
    now: datetime,
    *,
    until: datetime | None = None,
) -> list[datetime]:
    """Start times (UTC) of every bookable slot from ``now`` to the horizon.

    ``busy`` is calendar busy time; ``appointments`` are the confidant's booked
    appointments with their own buffers. Our buffers are added around each candidate, and
    the daily and weekly caps count the confidant's appointments of any type.
    """
    zone = ZoneInfo(hours.timezone)
    earliest = now + rules.min_notice
    latest = now + rules.horizon if until is None else min(until, now + rules.horizon)
    blocked = Blocked([*busy, *hours.absences, *appointments])
    per_day = Counter(a.astimezone(zone).date() for a, _ in appointments)
    per_week = Counter(a.astimezone(zone).isocalendar()[:2] for a, _ in appointments)

    slots: list[datetime] = []
    for day in local_days(earliest, latest, zone):
        ranges = hours.overrides.get(day, hours.weekly.get(day.weekday(), ()))
        if not ranges:
            continue
        if rules.daily_cap is not None and per_day[day] >= rules.daily_cap:
            continue
        if rules.weekly_cap is not None and per_week[day.isocalendar()[:2]] >= rules.weekly_cap:
            continue
        for opens, closes in ranges:
            # A closing time in the spring gap: the working day ends at the gap.
            close_utc = to_utc(day, closes, zone) or datetime.combine(
                day, closes, tzinfo=zone
            ).astimezone(UTC)
            local, local_end = datetime.combine(day, opens), datetime.combine(day, closes)
            while local < local_end:
                start = to_utc(day, local.time(), zone)
                local += rules.interval
                if start is None or start < earliest:
                    continue
                if start > latest or start + rules.duration > close_utc:
                    break
                if blocked.free(*occupied(start, rules)):
                    slots.append(start)
    return slots


def is_slot(
    hours: WorkingHours,
    rules: SlotRules,
    busy: Iterable[Interval],
    appointments: Sequence[Interval],
    now: datetime,
    start: datetime,
) -> bool:
    """Whether ``start`` is one of the free slots (for a booking request)."""
    day_end = start + rules.duration + timedelta(days=1)
    return start in free_slots(hours, rules, busy, appointments, now, until=day_end)

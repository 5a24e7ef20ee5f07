"""The availability function against a naive per-slot scan, same inputs, same run.

    python -m bench.availability

4 weeks of 30-minute slots (weekdays 08:00-18:00, Europe/Amsterdam) against 10,000 busy
intervals. The baseline tests every candidate slot against every busy interval, as a
straightforward implementation would. Both must give the same slots. Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.booking.domain.availability import (
    Interval,
    SlotRules,
    WorkingHours,
    free_slots,
    to_utc,
)

ZONE = ZoneInfo("Europe/Amsterdam")
HOURS = WorkingHours("Europe/Amsterdam", {d: [(time(8), time(18))] for d in range(5)})
RULES = SlotRules(
    duration=timedelta(minutes=30),
    interval=timedelta(minutes=30),
    min_notice=timedelta(0),
    horizon=timedelta(days=28),
)
NOW = datetime(2026, 11, 2, 0, tzinfo=ZONE).astimezone(UTC)


def busy_intervals(n: int, seed: int = 7) -> list[Interval]:
    """A full calendar: events cluster into about 250 busy stretches (overlapping
    meetings, recurring series, all-day blocks), leaving free slots between them."""
    rng = random.Random(seed)
    span = int(RULES.horizon.total_seconds())
    stretches = [NOW + timedelta(seconds=rng.randrange(span)) for _ in range(250)]
    out = []
    for _ in range(n):
        start = rng.choice(stretches) + timedelta(minutes=rng.randrange(0, 90))
        out.append((start, start + timedelta(minutes=rng.choice((15, 30, 45, 60)))))
    return sorted(out)  # as the busy-time cache hands them over


def naive(busy: list[Interval]) -> list[datetime]:
    slots = []
    day = NOW.astimezone(ZONE).date()
    last = (NOW + RULES.horizon).astimezone(ZONE).date()
    while day <= last:
        for opens, closes in HOURS.weekly.get(day.weekday(), ()):
            local = datetime.combine(day, opens)
            while local < datetime.combine(day, closes):
                start = to_utc(day, local.time(), ZONE)
                local += RULES.interval
                if start is None or start > NOW + RULES.horizon:
                    continue
                end = start + RULES.duration
                if all(not (s < end and e > start) for s, e in busy):
                    slots.append(start)
        day += timedelta(days=1)
    return slots


def timed(fn: Callable[[], list[datetime]], runs: int) -> tuple[float, list[datetime]]:
    times, result = [], []
    for _ in range(runs):
        started = clock.perf_counter()
        result = fn()
        times.append((clock.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    busy = busy_intervals(10_000)
    fast_ms, fast = timed(lambda: free_slots(HOURS, RULES, busy, [], NOW), 25)
    slow_ms, slow = timed(lambda: naive(busy), 3)
    assert fast == slow, "the two implementations disagree"
    print(
        json.dumps(
            {
                "bench": "availability",
                "busy_intervals": len(busy),
                "slots": len(fast),
                "median_ms": round(fast_ms, 2),
                "baseline_median_ms": round(slow_ms, 1),
                "speedup": round(slow_ms / fast_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

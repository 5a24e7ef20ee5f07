"""What each case adds to its organisation's monthly tallies, and reports from the tallies.

Reading a report's cases one by one is too slow for a big organisation (FerretDB hands out
about 12,000 documents a second), so reporting keeps per organisation and month a tally of
every count a report needs, and a report reads twelve tallies instead of all the cases.

Pure: ``contributions`` says what one case adds where; the difference between a case before
and after an event is what the tallies change by (``consumer`` applies it once,
through a staged change on the case document, as the outbox does for events).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from services.reporting.domain.counts import (
    CATEGORIES,
    CHANNELS,
    DEADLINES,
    MODES,
    OUTCOMES,
    REFERRALS,
    ROLES,
    instant,
)
from services.reporting.domain.disclosure import Counts
from services.reporting.store.documents import CaseFacts

Key = tuple[int, str]  # (month, "population|dimension|value")
SEP = "|"


def _deadline_key(due: str | None, done: str | None) -> str | None:
    if due is None:
        return None
    if done is not None:
        return "met" if instant(done) <= instant(due) else "missed"
    # Open until the moment it is due (in UTC, to the second): the report decides.
    return f"open@{instant(due).astimezone(UTC):%Y-%m-%dT%H:%M:%S}"


def contributions(case: CaseFacts) -> dict[Key, float]:
    out: dict[Key, float] = defaultdict(float)
    opened = case.get("opened")
    if opened is not None:
        out[(opened, "cases||")] += 1
        out[(opened, f"cases|category|{case['category']}")] += 1
        out[(opened, f"cases|channel|{case['channel']}")] += 1
        out[(opened, f"cases|reporter_role|{case['reporter_role']}")] += 1
        ack = _deadline_key(case.get("acknowledge_by"), case.get("acknowledged_at"))
        if ack is not None:
            out[(opened, "whistleblower||")] += 1
            out[(opened, f"whistleblower|acknowledgement|{ack}")] += 1
            feedback = _deadline_key(case.get("feedback_by"), case.get("closed_at"))
            out[(opened, f"whistleblower|feedback|{feedback}")] += 1
    closed = case.get("closed")
    if closed is not None:
        out[(closed, "closed||")] += 1
        out[(closed, f"closed|outcome|{case['outcome']}")] += 1
        out[(closed, f"closed|referral|{case.get('referral') or 'none'}")] += 1
        out[(closed, "closed|hours|")] += float(case.get("hours") or 0.0)
    for conversation in (case.get("conversations") or {}).values():
        month = conversation.get("month")
        if conversation.get("cancelled") or month is None:
            continue
        # Its real length once the confidant confirmed it, the booked one until then.
        minutes = conversation.get("held_minutes", conversation.get("minutes", 0))
        if conversation.get("meeting", "case") == "organisation":
            out[(month, "meetings||")] += 1
            out[(month, "meetings|minutes|")] += minutes
        else:
            out[(month, "conversations||")] += 1
            out[(month, f"conversations|mode|{conversation['mode']}")] += 1
            out[(month, "conversations|minutes|")] += minutes
        km, travel = conversation.get("km", 0.0), conversation.get("travel_minutes", 0)
        if km or travel:
            out[(month, "travel||")] += 1  # a visit: travel there and back
            out[(month, "travel|km|")] += km
            out[(month, "travel|minutes|")] += travel
    # Case work in the month it was logged: what each month's latest total added.
    logged = 0.0
    for month, work in sorted((int(m), w) for m, w in (case.get("work") or {}).items()):
        out[(month, "work|hours|")] += work["hours"] - logged
        logged = work["hours"]
    return dict(out)


def difference(before: Mapping[Key, float], after: Mapping[Key, float]) -> dict[Key, float]:
    keys = set(before) | set(after)
    found = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in keys}
    return {k: v for k, v in found.items() if v != 0}


def tally(cases: Iterable[CaseFacts]) -> dict[int, dict[str, float]]:
    """Every month's tally, from the cases (the rebuild, and the tests)."""
    months: dict[int, dict[str, float]] = {}
    for case in cases:
        for (month, key), value in contributions(case).items():
            into = months.setdefault(month, {})
            into[key] = into.get(key, 0.0) + value
    return months


def count(
    tallies: Mapping[int, Mapping[str, float]], start: int, end: int, now: datetime
) -> tuple[Counts, float]:
    """The same counts as ``report.count`` over the cases, from the monthly tallies."""
    sums: dict[str, float] = defaultdict(float)
    quarters: dict[int, float] = defaultdict(float)
    for month, values in tallies.items():
        if start <= month < end:
            for key, value in values.items():
                if key.startswith("whistleblower|") and "|open@" in key:
                    population, dimension, rest = key.split(SEP)
                    state = "missed" if instant(rest.removeprefix("open@")) < now else "open"
                    key = SEP.join((population, dimension, state))
                sums[key] += value
            quarters[start + (month - start) // 3 * 3] += values.get("cases||", 0)

    def cells(population: str, dimension: str, values: Iterable[str]) -> dict[str, int]:
        return {v: round(sums[f"{population}|{dimension}|{v}"]) for v in values}

    breakdowns = {
        ("cases", "category"): cells("cases", "category", CATEGORIES),
        ("cases", "channel"): cells("cases", "channel", CHANNELS),
        ("cases", "reporter_role"): cells("cases", "reporter_role", ROLES),
        ("closed", "outcome"): cells("closed", "outcome", OUTCOMES),
        ("closed", "referral"): cells("closed", "referral", REFERRALS),
        ("conversations", "mode"): cells("conversations", "mode", MODES),
        ("whistleblower", "acknowledgement"): cells("whistleblower", "acknowledgement", DEADLINES),
        ("whistleblower", "feedback"): cells("whistleblower", "feedback", DEADLINES),
    }
    sub_totals = (
        {("cases", q, min(q + 3, end)): int(quarters[q]) for q in range(start, end, 3)}
        if end - start > 3
        else {}
    )
    populations = ("cases", "closed", "conversations", "whistleblower")
    totals = {p: round(sums[f"{p}||"]) for p in populations}
    return Counts(start, end, totals, breakdowns, sub_totals), round(sums["closed|hours|"], 1)


BILLED = ("work|", "meetings|", "travel|", "conversations|minutes|")


def sums(tallies: Mapping[int, Mapping[str, float]], start: int, end: int) -> dict[str, float]:
    """What billing sums over the months [start, end): hours, minutes, kilometres, visits."""
    out: dict[str, float] = defaultdict(float)
    for month, values in tallies.items():
        if start <= month < end:
            for key, value in values.items():
                if key.startswith(BILLED):
                    out[key] += value
    return dict(out)

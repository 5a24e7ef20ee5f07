"""What a report counts, from the case projection. Pure: no I/O.

Populations (each with its own total): ``cases`` opened in the period, by category,
channel, reporter role and quarter; ``closed`` cases, by outcome; ``conversations`` (booked,
not cancelled, held in the period), by mode; ``whistleblower`` reports opened in the
period, by whether each deadline was met. Hours are a sum over the closed cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import get_args

from services.reporting.domain.disclosure import Counts
from services.reporting.store.documents import CaseFacts
from shared.event_schemas import (
    Category,
    Channel,
    MeetingMode,
    Outcome,
    ReferralKind,
    ReporterRole,
)

# The values as the event schemas define them, in their order: one list for the suite.
CATEGORIES: tuple[str, ...] = get_args(Category)
CHANNELS: tuple[str, ...] = get_args(Channel)
ROLES: tuple[str, ...] = get_args(ReporterRole)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
MODES: tuple[str, ...] = get_args(MeetingMode)
# Where closed cases were referred to, by kind; "none": not referred.
REFERRALS: tuple[str, ...] = (*get_args(ReferralKind), "none")
DEADLINES = ("met", "missed", "open")


def instant(text: str) -> datetime:
    """A time as the events give it (ISO 8601) as an aware time, to compare as times:
    texts with different offsets do not compare as text. One without an offset is UTC (the
    suite writes none such, but older stored values may be cut)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _deadline(due: str | None, done: str | None, now: datetime) -> str | None:
    if due is None:
        return None
    if done is not None:
        return "met" if instant(done) <= instant(due) else "missed"
    return "missed" if now > instant(due) else "open"


def count(cases: Iterable[CaseFacts], start: int, end: int, now: datetime) -> tuple[Counts, float]:
    """The true counts of the months [start, end), and the hours of the cases closed then."""
    opened: Counter[tuple[str, str]] = Counter()
    closed: Counter[str] = Counter()
    referrals: Counter[str] = Counter()
    modes: Counter[str] = Counter()
    deadlines: Counter[tuple[str, str]] = Counter()
    quarters: Counter[int] = Counter()
    totals: Counter[str] = Counter()
    hours = 0.0
    for case in cases:
        if case.get("opened") is not None and start <= case["opened"] < end:
            totals["cases"] += 1
            opened[("category", case["category"])] += 1
            opened[("channel", case["channel"])] += 1
            opened[("reporter_role", case["reporter_role"])] += 1
            quarters[start + (case["opened"] - start) // 3 * 3] += 1
            ack = _deadline(case.get("acknowledge_by"), case.get("acknowledged_at"), now)
            if ack is not None:
                totals["whistleblower"] += 1
                deadlines[("acknowledgement", ack)] += 1
                feedback = _deadline(case.get("feedback_by"), case.get("closed_at"), now)
                deadlines[("feedback", feedback or "open")] += 1
        closed_in = case.get("closed")
        if closed_in is not None and start <= closed_in < end:
            totals["closed"] += 1
            closed[str(case.get("outcome"))] += 1  # a closed case has its outcome
            # Every closed case in one cell, so the table adds up to the closed total.
            referrals[str(case.get("referral") or "none")] += 1
            hours += float(case.get("hours") or 0.0)
        for conversation in (case.get("conversations") or {}).values():
            month, mode = conversation.get("month"), conversation.get("mode")
            if conversation.get("cancelled") or month is None or mode is None:
                continue  # cancelled, or only its cancellation was heard of
            if start <= month < end:
                totals["conversations"] += 1
                modes[mode] += 1
    breakdowns = {
        ("cases", "category"): {c: opened[("category", c)] for c in CATEGORIES},
        ("cases", "channel"): {c: opened[("channel", c)] for c in CHANNELS},
        ("cases", "reporter_role"): {r: opened[("reporter_role", r)] for r in ROLES},
        ("closed", "outcome"): {o: closed[o] for o in OUTCOMES},
        ("closed", "referral"): {r: referrals[r] for r in REFERRALS},
        ("conversations", "mode"): {m: modes[m] for m in MODES},
        ("whistleblower", "acknowledgement"): {
            d: deadlines[("acknowledgement", d)] for d in DEADLINES
        },
        ("whistleblower", "feedback"): {d: deadlines[("feedback", d)] for d in DEADLINES},
    }
    sub_totals = (
        {("cases", q, min(q + 3, end)): quarters[q] for q in range(start, end, 3)}
        if end - start > 3
        else {}
    )
    populations = ("cases", "closed", "conversations", "whistleblower")
    counts = Counts(start, end, {p: totals[p] for p in populations}, breakdowns, sub_totals)
    return counts, round(hours, 1)


def usage(full: Counts) -> Counts:
    """The usage statement (the basis for invoicing): intakes, conversations by mode (on
    location: the visits that bring travel); the hours come with the counts."""
    keep = ("conversations", "mode")
    return Counts(
        full.start,
        full.end,
        {"cases": full.totals["cases"], "conversations": full.totals["conversations"]},
        {keep: full.breakdowns[keep]},
    )

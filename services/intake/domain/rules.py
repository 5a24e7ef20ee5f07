"""Intake's rules, without I/O: assignment, status changes, deadlines, retention."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

from shared.event_schemas import Outcome, Status

__all__ = ["Outcome", "Status"]

STATUSES: tuple[Status, ...] = ("new", "in_contact", "in_conversation", "closed")
# Asked for one by one (``status: s``): an equality the embedded database answers from its
# index, where ``$ne: "closed"`` reads every case the firm ever had.
OPEN_STATUSES: tuple[Status, ...] = ("new", "in_contact", "in_conversation")
# A case moves forward, may step back from a conversation to contact, and once closed stays
# closed; the confidant may reopen it, with a reason (aftercare).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    "new": frozenset({"in_contact", "in_conversation", "closed"}),
    "in_contact": frozenset({"in_conversation", "closed"}),
    "in_conversation": frozenset({"in_contact", "closed"}),
    "closed": frozenset(),  # taken up again only by reopening, with its reason
}

# Wet bescherming klokkenluiders: acknowledge within 7 days, give feedback within 3 months.
ACK_WITHIN = timedelta(days=7)
FEEDBACK_WITHIN = relativedelta(months=3)
# How far ahead of a deadline the confidant is warned.
ACK_WARNING = timedelta(days=2)
FEEDBACK_WARNING = timedelta(days=14)


class RuleError(ValueError):
    """A request that the rules do not allow (answered 409 or 422)."""


AssignReason = Literal["reporter_choice", "least_loaded"]


def choose_confidant(
    org_confidants: Sequence[str], preferred: str | None, open_cases: Mapping[str, int]
) -> tuple[str, AssignReason]:
    """The reporter's choice when it is one of the organisation's confidants, otherwise the
    one with the fewest open cases (ties: the order the organisation lists them in)."""
    if not org_confidants:
        raise RuleError("the organisation has no confidant")
    if preferred is not None and preferred in org_confidants:
        return preferred, "reporter_choice"
    least = min(org_confidants, key=lambda c: (open_cases.get(c, 0), org_confidants.index(c)))
    return least, "least_loaded"


def check_transition(current: Status, new: Status) -> None:
    if new == current:
        return
    if new not in TRANSITIONS[current]:
        raise RuleError(f"a case cannot go from {current} to {new}")


def whistleblower_deadlines(category: str, opened_at: datetime) -> dict[str, datetime] | None:
    if category != "integriteit":
        return None
    return {"acknowledgement": opened_at + ACK_WITHIN, "feedback": opened_at + FEEDBACK_WITHIN}


def warning_time(kind: str, due: datetime) -> datetime:
    return due - (ACK_WARNING if kind == "acknowledgement" else FEEDBACK_WARNING)


# The promise of the report page: a confidant responds within this many working days.
FIRST_CONTACT_DAYS = 2
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@cache
def _dutch_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year))


def working_day(day: date) -> bool:
    """A weekday that is no Dutch public holiday (the holidays package)."""
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(moment: datetime, days: int) -> datetime:
    """``moment`` moved ``days`` working days on (back, for a negative number), at the same
    time of day in Amsterdam. A report on a Saturday counts from Monday: Saturday and
    Sunday are no working days, so two working days later is Tuesday."""
    local = moment.astimezone(AMSTERDAM)
    day, step, left = local.date(), 1 if days >= 0 else -1, abs(days)
    while left:
        day += timedelta(days=step)
        if working_day(day):
            left -= 1
    return datetime.combine(day, local.timetz()).replace(tzinfo=AMSTERDAM)


def first_contact_deadline(opened_at: datetime, days: int) -> tuple[datetime, datetime]:
    """When the first contact is due, and when the confidant is told: the working day
    before."""
    due = add_working_days(opened_at, days)
    return due, add_working_days(due, -1)


# A closed case carries the month of each piece of work still ahead of it: its purge (the
# month it closed), its code's expiry (the same month, if it has a code), its follow-up (the
# month that is due). The periodic jobs ask for each month up to now by equality, which the
# embedded database answers from an index; a condition on a time reads every case the firm
# ever had. Each field is cleared when its work is done (or the case reopens).
BUCKETS = ("closed_month", "code_month", "follow_up_month")


def month_of(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at.year:04d}-{at.month:02d}"


def months_through(first: datetime, last: datetime) -> list[str]:
    """Every month from ``first``'s to ``last``'s, both included (none if last < first)."""
    year, month = first.astimezone(UTC).year, first.astimezone(UTC).month
    end = month_of(last)
    out: list[str] = []
    while f"{year:04d}-{month:02d}" <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def closed_buckets(
    closed_at: datetime, has_code: bool, follow_up_due: datetime | None
) -> dict[str, str | None]:
    """The months of a case's work still ahead, set as it closes."""
    return {
        "closed_month": month_of(closed_at),
        "code_month": month_of(closed_at) if has_code else None,
        "follow_up_month": None if follow_up_due is None else month_of(follow_up_due),
    }


def purge_before(now: datetime, retention_days: int) -> datetime:
    """Cases closed before this moment lose their personal data."""
    return now - timedelta(days=retention_days)


def code_expired(
    status: str,
    closed_at: datetime | None,
    last_used: datetime | None,
    now: datetime,
    inactive_days: int,
) -> bool:
    """A closed case's code stops working after a period without use."""
    if status != "closed" or closed_at is None:
        return False
    last = max(closed_at, last_used) if last_used else closed_at
    return now - last > timedelta(days=inactive_days)


# What is told of a deadline not met: (deadline, the flag that says it was told, from when).
# Ahead of each (the first contact the working day before, a whistleblower report's by the
# law's margins), and to the office once a first contact is overdue.
WARNINGS = (
    ("first_contact", "warned", "warn_at"),
    ("acknowledgement", "warned", "warn_at"),
    ("feedback", "warned", "warn_at"),
    ("first_contact", "overdue_told", "due"),
)


def due_warnings(
    deadlines: Mapping[str, Mapping[str, object]], now: datetime
) -> list[tuple[str, str]]:
    """The (deadline, flag) pairs of an open case to tell of now: not met, not told yet
    (the flag down, as written when the deadline was set), and their time come."""
    due = []
    for kind, flag, since in WARNINGS:
        deadline = deadlines.get(kind)
        if (
            deadline is None
            or deadline.get(flag) is not False
            or deadline.get("met_at") is not None
        ):
            continue
        at = deadline.get(since)
        if isinstance(at, datetime) and at <= now:
            due.append((kind, flag))
    return due


def overdue(deadlines: Mapping[str, Mapping[str, object]], now: datetime) -> bool:
    """Whether an open case broke a promise: a deadline passed and not met."""
    for deadline in deadlines.values():
        due = deadline.get("due")
        if deadline.get("met_at") is None and isinstance(due, datetime) and due < now:
            return True
    return False

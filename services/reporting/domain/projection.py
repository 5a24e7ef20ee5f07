"""The projection reports are made from: one document per case, without personal data.

Pure: ``apply`` folds one event into a case document. Every change is a set or a minimum,
so applying an event twice changes nothing and replaying the stream from the start gives
the same projection (``rebuild``). What a case document holds is fixed here, field by field:
ids, enumerations, months and counts, never a name, an address or a word of text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.reporting.store.documents import CaseFacts, Conversation, RawEvent
from shared.event_schemas import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentHeld,
    AppointmentRescheduled,
    CaseCategorised,
    CaseClosed,
    CaseHoursLogged,
    CaseMessagePosted,
    CaseOpened,
    CaseReopened,
    CaseStatusChanged,
)
from shared.wire import Json

TYPES = ("intake.case.", "booking.appointment.")


def month_of(moment: datetime | str) -> int:
    """Months as one integer (year * 12 + month - 1): periods are ranges of these."""
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return at.year * 12 + at.month - 1


def first_day(month: int) -> date:
    """The first day of a month (as ``month_of`` counts months)."""
    return date(month // 12, month % 12 + 1, 1)


def last_day(end: int) -> date:
    """The last day before the month ``end``: the end of a period [start, end)."""
    return date.fromordinal(first_day(end).toordinal() - 1)


def _minutes(starts: str, ends: str) -> int:
    return round(
        (datetime.fromisoformat(ends) - datetime.fromisoformat(starts)).total_seconds() / 60
    )


def _earliest(current: Any, new: str) -> str:
    return new if current is None or new < current else current


def _hours(doc: CaseFacts, hours: float, at: str) -> None:
    """The hours the latest event gives, whatever order events come in (a redelivery can
    bring an older one after a newer one); and per month, the total as it stood at the
    month's latest event, so work is billed in the month it was done."""
    hours_at = doc.get("hours_at")
    if hours_at is None or at >= hours_at:
        doc["hours"], doc["hours_at"] = hours, at
    work = dict(doc.get("work") or {})
    month = str(month_of(at))
    if month not in work or at >= work[month]["at"]:
        work[month] = {"hours": hours, "at": at}
        doc["work"] = work


CONVERSATION = (
    AppointmentBooked.TYPE,
    AppointmentRescheduled.TYPE,
    AppointmentCancelled.TYPE,
    AppointmentHeld.TYPE,
)


def _conversation(
    conversations: dict[str, Conversation], event: RawEvent
) -> dict[str, Conversation]:
    """A case's conversations (or an organisation's meetings) after an appointment's event."""
    data: Json = event["data"]
    at: str = event["occurred_at"]
    kind = event["type"]
    if kind in (AppointmentBooked.TYPE, AppointmentRescheduled.TYPE):
        before = conversations.get(data["appointment_id"], {})
        conversations[data["appointment_id"]] = {
            **before,
            "mode": data["mode"],
            "month": month_of(data["starts_at"]),
            "minutes": _minutes(data["starts_at"], data["ends_at"]),
            "cancelled": before.get("cancelled", False),
            "meeting": data.get("meeting", "case"),
        }
    elif kind == AppointmentHeld.TYPE:
        before = conversations.get(data["appointment_id"], {})
        if before.get("held_at") is None or at >= before["held_at"]:
            conversations[data["appointment_id"]] = {
                "mode": data["mode"],
                "month": month_of(data["started_at"]),
                "cancelled": False,
                **before,
                "held_minutes": _minutes(data["started_at"], data["ended_at"]),
                "km": float(data["km"]),
                "travel_minutes": int(data["travel_minutes"]),
                "held_at": at,
                "meeting": data.get("meeting", "case"),
            }
    elif kind == AppointmentCancelled.TYPE:
        known = conversations.get(data["appointment_id"], {"mode": None, "month": None})
        conversations[data["appointment_id"]] = {**known, "cancelled": True}
    return conversations


def apply(case: CaseFacts | None, event: RawEvent) -> CaseFacts | None:
    """The case document after ``event`` (an envelope as JSON); None if it has no case.
    JSON, not the typed envelope: a rebuild folds the whole stream, and checking every
    event's schema again would be most of its time (they were checked when published)."""
    data: Json = event["data"]
    case_id = data.get("case_id")
    if not case_id:
        return case
    doc: CaseFacts = {**case} if case else {"_id": case_id, "conversations": {}}
    doc["org_id"] = event.get("org_id") or doc.get("org_id")
    at: str = event["occurred_at"]
    kind = event["type"]
    if kind == CaseOpened.TYPE:
        if doc.get("category_at") is None:  # a later categorisation may have come first
            doc.update(
                {
                    "category": data["category"],
                    "subtype": data.get("subtype"),
                    "acknowledge_by": data.get("acknowledge_by"),
                    "feedback_by": data.get("feedback_by"),
                }
            )
        doc.update(
            {
                "channel": data["channel"],
                "reporter_role": data["reporter_role"],
                "anonymous": data["anonymous"],
                "department": data.get("department_index"),
                "opened_at": at,
                "opened": month_of(at),
            }
        )
    elif kind == CaseCategorised.TYPE:
        if doc.get("category_at") is None or at >= doc["category_at"]:
            doc.update(
                {
                    "category": data["category"],
                    "subtype": data.get("subtype"),
                    "acknowledge_by": data.get("acknowledge_by"),
                    "feedback_by": data.get("feedback_by"),
                    "category_at": at,
                }
            )
    elif kind == CaseStatusChanged.TYPE and data["previous"] == "new":
        doc["acknowledged_at"] = _earliest(doc.get("acknowledged_at"), at)
    elif kind == CaseMessagePosted.TYPE and data["author"] == "confidant":
        doc["acknowledged_at"] = _earliest(doc.get("acknowledged_at"), at)
    elif kind == CaseClosed.TYPE:
        doc.update({"closed_at": at, "closed": month_of(at), "outcome": data["outcome"]})
        doc["referral"] = data.get("referral_kind")
        _hours(doc, data["hours_spent"], at)
    elif kind == CaseReopened.TYPE:
        # Open again: counted as closed once, when (and if) it is closed again.
        closed_at = doc.get("closed_at")
        if closed_at is not None and closed_at <= at:
            doc.update({"closed_at": None, "closed": None, "outcome": None, "referral": None})
    elif kind == CaseHoursLogged.TYPE:
        _hours(doc, data["hours_spent"], at)
    elif kind in CONVERSATION:
        doc["conversations"] = _conversation(dict(doc.get("conversations") or {}), event)
    return doc


# Every field a case document can have: a test holds the database to this list.
FIELDS = frozenset(
    {
        "_id",
        "org_id",
        "category",
        "subtype",
        "channel",
        "reporter_role",
        "anonymous",
        "department",
        "opened_at",
        "opened",
        "acknowledge_by",
        "feedback_by",
        "acknowledged_at",
        "closed_at",
        "closed",
        "outcome",
        "referral",  # where a referral went, by kind
        "hours",
        "hours_at",  # the time of the event the hours came from
        "work",  # month -> the hours logged as they stood then: case work by month
        "category_at",  # the time of the latest categorisation
        "conversations",
        "counted",  # what the case adds to the tallies (tally.contributions)
        "pending",  # a change to the tallies not applied yet (handlers.apply_pending)
        "rev",  # the version, for the compare-and-set of concurrent folds (handlers.fold)
    }
)

"""Changing a case: what a confidant's update means (another category and so other legal
deadlines, hours spent, a step of the status, closing with an outcome), written as one
conditional update with its events.

The update's filter names the status it was read in, so of two concurrent changes of one
case one is written and the other is told the case changed (a 409 to load it again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.intake.domain import rules as domain
from services.intake.domain import vault as vaults
from services.intake.domain.aftercare import follow_up_on, referral_of
from services.intake.domain.opening import adjust_load, case_event, deadlines_for
from services.intake.domain.report import CaseUpdate
from services.intake.state import Intake
from services.intake.store import counts
from services.intake.store import documents as docs
from services.intake.store.caselist import claim_month, month_key, status_key
from services.intake.store.collections import CASES
from shared.db import Query
from shared.errors import Conflict, invalid
from shared.event_schemas import (
    CaseAssigned,
    CaseCategorised,
    CaseClosed,
    CaseHoursLogged,
    CaseStatusChanged,
)
from shared.events import Envelope

# The deadlines a confidant's first answer meets: the first contact the report page promises,
# and a whistleblower report's acknowledgement of receipt.
FIRST_ANSWER = ("acknowledgement", "first_contact")


async def answered(intake: Intake, case: docs.Case, now: datetime) -> None:
    """The reporter was answered (a message from the confidant, a conversation booked):
    the deadlines of a first answer are met, each once. Only those the case has: setting a
    path inside a deadline that is not there would make half a deadline."""
    deadlines = case.get("deadlines") or {}
    for kind in FIRST_ANSWER:
        if kind in deadlines and not deadlines[kind].get("met_at"):
            await intake.update(
                CASES,
                {"_id": case["_id"], f"deadlines.{kind}.met_at": None},
                {"$set": {f"deadlines.{kind}.met_at": now}},
            )


def _categorised(
    case: docs.Case, body: CaseUpdate, sets: Query, now: datetime
) -> tuple[docs.Case, Envelope]:
    """The case under its new category, whose deadlines follow from it (what was met stays
    met), and the event that says so."""
    category = str(body.category)
    deadlines = deadlines_for(category, case["created_at"], case.get("deadlines"))
    sets.update(category=category, subtype=body.subtype, deadlines=deadlines)
    event = case_event(
        CaseCategorised,
        case,
        now,
        category=category,
        subtype=body.subtype,
        previous=case["category"],
        acknowledge_by=(deadlines or {}).get("acknowledgement", {}).get("due"),
        feedback_by=(deadlines or {}).get("feedback", {}).get("due"),
    )
    return {**case, "deadlines": deadlines}, event


def _stepped(
    intake: Intake,
    case: docs.Case,
    org: docs.Organisation,
    body: CaseUpdate,
    hours: float,
    now: datetime,
    sets: Query,
) -> list[Envelope]:
    """A step of the status (a 409 for one the rules do not allow); answering the reporter
    meets the acknowledgement deadline, closing meets the feedback deadline."""
    current, status = case["status"], body.status
    if status is None:
        return []
    try:
        domain.check_transition(current, status)
    except domain.RuleError as exc:
        raise Conflict(str(exc)) from None
    sets["status"] = status
    sets["confidant_status"] = status_key(case["confidant_id"], status)
    events = [case_event(CaseStatusChanged, case, now, status=status, previous=current)]
    deadlines = case.get("deadlines") or {}
    for kind in FIRST_ANSWER:  # a step of the status is an answer to the reporter
        if kind in deadlines and not deadlines[kind].get("met_at"):
            sets[f"deadlines.{kind}.met_at"] = now
    if status == "closed":
        sets.update(closed_at=now, outcome=body.outcome)
        referral = referral_of(org, case.get("locale", "nl"), body.referral, body.referral_to)
        if referral is not None:
            sets["referral_kind"] = referral[0]
            if "vault" in case:  # the place referred to: sealed to the case
                place = vaults.seal_text(case["vault"], referral[1], for_reporter=False)
                sets["vault.referral_to"] = place["sealed"]
            else:
                sets["referral_to"] = intake.cipher.seal(
                    referral[1], doc_id=case["_id"], field="referral_to"
                )
        follow_up = None
        if body.follow_up_days is not None:
            follow_up = sets["follow_up"] = follow_up_on(now, body.follow_up_days)
        sets.update(
            domain.closed_buckets(
                now, "code_hash" in case, None if follow_up is None else follow_up["due"]
            )
        )
        if "feedback" in deadlines and not deadlines["feedback"]["met_at"]:
            sets["deadlines.feedback.met_at"] = now
        events.append(
            case_event(
                CaseClosed,
                case,
                now,
                outcome=body.outcome,
                hours_spent=hours,
                referral_kind=referral[0] if referral else None,
            )
        )
    return events


async def change_case(intake: Intake, case: docs.Case, body: CaseUpdate) -> None:
    """Apply ``body`` to ``case`` as it was read: a 409 if it is closed, if the step is not
    allowed, or if it changed meanwhile."""
    now = intake.clock.now()
    current = case["status"]
    if current == "closed":
        raise Conflict("the case is closed")
    sets: Query = {"updated_at": now}
    events: list[Envelope] = []
    if body.category is not None and (body.category, body.subtype) != (
        case["category"],
        case.get("subtype"),
    ):
        case, categorised = _categorised(case, body, sets, now)
        events.append(categorised)
    hours = case.get("hours_spent", 0.0)
    if body.hours_spent is not None and body.hours_spent != hours:
        hours = body.hours_spent
        sets["hours_spent"] = hours
        events.append(case_event(CaseHoursLogged, case, now, hours_spent=hours))
    if body.status != current:
        org = await docs.organisations(intake.db).find_one({"_id": case["org_id"]}) or {
            "_id": case["org_id"]
        }
        events += _stepped(intake, case, org, body, hours, now, sets)
    if isinstance(sets.get("deadlines"), dict):  # recategorised: one value, not two paths
        for path in [k for k in sets if k.startswith("deadlines.")]:
            _, kind, field = path.split(".")
            sets["deadlines"][kind][field] = sets.pop(path)
    # The status in the filter makes two concurrent changes of one case safe: one wins; the
    # confidant too, against a hand-over (which writes both keys of the list).
    if not await intake.update_with_events(
        CASES,
        {"_id": case["_id"], "status": current, "confidant_id": case["confidant_id"]},
        {"$set": sets},
        events,
    ):
        raise Conflict("the case changed meanwhile; load it again")
    if sets.get("status") == "closed":
        await adjust_load(intake, case["confidant_id"], -1)
    if "status" in sets:
        await counts.move(intake, case["org_id"], current, sets["status"])


async def hand_over(
    intake: Intake,
    case: docs.Case,
    org: docs.Organisation,
    confidant_id: str,
    wrap: bytes | None = None,
) -> None:
    """Give a case to another confidant of its organisation, with its event and both
    confidants' load; nothing when it is theirs already. Refused for a closed case, one
    changed meanwhile, or someone who is not the organisation's confidant.

    A case sealed to its key goes with ``wrap``, its key sealed to the new confidant by the
    browser of the one handing it over (who then holds it no longer); without one (the
    office hands it over) it waits, ``vault.pending``, for someone who holds the key."""
    if confidant_id not in org.get("confidant_ids", []):
        raise invalid("confidant_id", "not a confidant of this organisation")
    if case["status"] == "closed":
        raise Conflict("the case is closed")
    if confidant_id == case["confidant_id"]:
        return
    now = intake.clock.now()
    event = case_event(
        CaseAssigned,
        case,
        now,
        reference=case["reference"],
        confidant_id=confidant_id,
        reason="handover",
    )
    await claim_month(intake.db, confidant_id, case["created_at"])
    change: dict[str, Any] = {
        "$set": {
            "confidant_id": confidant_id,
            "confidant_month": month_key(confidant_id, case["created_at"]),
            "confidant_status": status_key(confidant_id, case["status"]),
            "updated_at": now,
        }
    }
    if "vault" in case:
        if wrap is not None:
            vaults.check_sealed_key(wrap, "wrap")
            change["$set"][f"vault.wraps.{confidant_id}"] = wrap
            change["$set"]["vault.rotate"] = True  # the one who handed it over knew its key
            change["$unset"] = {f"vault.wraps.{case['confidant_id']}": "", "vault.pending": ""}
        else:
            change["$set"]["vault.pending"] = confidant_id
    elif wrap is not None:
        raise Conflict("this case is not sealed to keys: hand it over without a wrap")
    if not await intake.update_with_events(
        CASES,
        {"_id": case["_id"], "confidant_id": case["confidant_id"], "status": case["status"]},
        change,
        [event],
    ):
        raise Conflict("the case changed meanwhile; load it again")
    await adjust_load(intake, case["confidant_id"], -1)
    await adjust_load(intake, confidant_id, +1)

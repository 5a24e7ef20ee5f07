"""Aftercare ("nazorg en opvolging"): where a reporter is referred to, the check-in planned at
closing, and taking a closed case up again.

- A referral names one of the organisation's places (its company doctor, its complaints
  committee; the office keeps the list), or, as the last option, the confidant's words;
  reports count referrals by kind.
- On the day of a follow-up the confidant is reminded (``intake.case.follow_up_due``) and the
  reporter gets a message in their own channel (the mail thread, the WhatsApp chat, the
  case's messages) asking how it goes, with the way to talk again.
- A reopened case is the same case again: counted once in reports, with each reason kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.domain import vault as vaults
from services.intake.domain.opening import adjust_load, case_event
from services.intake.domain.rules import BUCKETS
from services.intake.domain.texts import tell_reporter
from services.intake.state import Intake
from services.intake.store import counts
from services.intake.store import documents as docs
from services.intake.store.caselist import status_key
from services.intake.store.collections import CASES
from shared.errors import Conflict, invalid
from shared.event_schemas import CaseFollowUpDue, CaseReopened, ReferralKind
from shared.messages import N_, Texts
from shared.taxonomy import REFERRALS
from shared.text import Locale

WORDS = Texts(
    {
        "follow_up": N_(
            "Some time ago we closed your case %(reference)s. How are you doing now? "
            "If you would like to talk again, just answer this message, or book a "
            "conversation with your case code."
        ),
        "follow_up_thread": N_(
            "Some time ago we closed your case %(reference)s. How are you doing now? "
            "If you would like to talk again, just answer this message."
        ),
    }
)


def places(org: docs.Organisation, locale: Locale) -> list[docs.Referral]:
    """The organisation's places to refer to; without a list of its own, the usual ones."""
    own = org.get("referrals") or []
    if own:
        return own
    usual = [k for k in REFERRALS.source if k not in ("other", "none")]
    return [{"id": k, "kind": k, "name": REFERRALS[locale][k]} for k in usual]  # type: ignore[typeddict-item]


def referral_of(
    org: docs.Organisation, locale: Locale, chosen: str | None, written: str | None
) -> tuple[ReferralKind, str] | None:
    """The kind and the name of the place a closing refers to; a 422 for a place that is not
    on the organisation's list."""
    if written is not None:
        return "other", written
    if chosen is None:
        return None
    place = next((p for p in places(org, locale) if p["id"] == chosen), None)
    if place is None:
        raise invalid("referral", "one of the organisation's places, or write one")
    return place["kind"], place["name"]


async def reopen(intake: Intake, case: docs.Case, by: str, reason: str) -> None:
    """Take a closed case up again, with its reason: in contact again, its follow-up (if
    not sent yet) dropped. A 409 for a case that is open, purged, or changed meanwhile."""
    if case["status"] != "closed":
        raise Conflict("only a closed case is reopened")
    if case.get("purged_at") is not None:
        raise Conflict("this case was purged: open a new one")
    now = intake.clock.now()
    reopening: docs.Reopening = {"at": now, "by": by}
    if "vault" in case:  # sealed to the case: the server keeps no word of it
        reopening["sealed_reason"] = vaults.seal_text(case["vault"], reason, for_reporter=False)[
            "sealed"
        ]
    else:
        reopening["reason"] = intake.cipher.seal(
            reason, doc_id=case["_id"], field=f"reopened.{len(case.get('reopened', []))}"
        )
    event = case_event(
        CaseReopened, case, now, reference=case["reference"], confidant_id=case["confidant_id"]
    )
    changed = await intake.update_with_events(
        CASES,
        {"_id": case["_id"], "status": "closed", "updated_at": case["updated_at"]},
        {
            "$set": {
                "status": "in_contact",
                "confidant_status": status_key(case["confidant_id"], "in_contact"),
                "closed_at": None,
                "outcome": None,
                "follow_up": None,
                **dict.fromkeys(BUCKETS),
                "updated_at": now,
            },
            "$push": {"reopened": reopening},
        },
        [event],
    )
    if not changed:
        raise Conflict("the case changed meanwhile; load it again")
    await adjust_load(intake, case["confidant_id"], +1)
    await counts.move(intake, case["org_id"], "closed", "in_contact")


def follow_up_on(closed_at: datetime, days: int) -> docs.FollowUp:
    return {"due": closed_at + timedelta(days=days), "sent": False}


async def send_follow_ups(intake: Intake, now: datetime, months: list[str]) -> int:
    """Every follow-up that is due: the confidant reminded, the reporter asked, once each
    (the flag is set in the same write as the reminder's event; the message is keyed on the
    case, so a second run finds it there). ``months``: those to look in, up to now's."""
    sent = 0
    query = {"follow_up.sent": False, "follow_up.due": {"$lte": now}, "status": "closed"}
    for month in months:
        async for case in docs.cases(intake.db).find({"follow_up_month": month, **query}):
            event = case_event(
                CaseFollowUpDue,
                case,
                now,
                reference=case["reference"],
                confidant_id=case["confidant_id"],
            )
            if await intake.update_with_events(
                CASES,
                {"_id": case["_id"], "follow_up.sent": False},
                {"$set": {"follow_up.sent": True, "follow_up_month": None}},
                [event],
            ):
                await _ask_how_it_goes(intake, case, now)
                sent += 1
    return sent


async def _ask_how_it_goes(intake: Intake, case: docs.Case, now: datetime) -> None:
    """The check-in, as a message from the confidant in the reporter's own channel."""
    words = WORDS[case.get("locale", "nl")]
    text = words["follow_up_thread" if case.get("relay") else "follow_up"] % {
        "reference": case["reference"]
    }
    message_id = f"followup-{case['_id']}-{len(case.get('reopened', []))}"
    await tell_reporter(intake, case, message_id, text, now)

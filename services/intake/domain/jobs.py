"""Intake's periodic work: retention, expiry of case codes, deadline warnings (the outbox
is relayed by the kernel, as for every service: ``ServiceSpec.outbox``).

Each step is safe to run on several instances at once: every change is a single-document
update whose filter still holds only for the first instance that makes it.
"""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta

from services.intake.domain import rules as domain
from services.intake.domain.aftercare import send_follow_ups
from services.intake.domain.rules import OPEN_STATUSES
from services.intake.state import Intake
from services.intake.store import documents as docs
from services.intake.store.collections import CASES, LOAD
from shared.event_schemas import CaseDeadlineDue, CasePurged
from shared.events import new_event

log = logging.getLogger(__name__)


async def run_all(intake: Intake, now: datetime | None = None) -> dict[str, int]:
    now = now or intake.clock.now()
    done = {
        "purged": await purge_closed_cases(intake, now),
        "codes_expired": await expire_case_codes(intake, now),
        "deadline_warnings": await warn_deadlines(intake, now),
        "follow_ups": await send_follow_ups(intake, now),
        "load_corrected": await recount_load(intake),
        "report_claims_purged": await purge_report_claims(intake, now),
        "relay_claims_purged": await purge_relay_claims(intake, now),
    }
    await intake.throttle.prune()
    if any(done.values()):
        log.info("jobs ran", extra=done)
    return done


REPORT_CLAIM_KEEP = timedelta(hours=1)


async def purge_report_claims(intake: Intake, now: datetime) -> int:
    """Forget the codes kept for retries of new reports, an hour on."""
    result = await docs.report_claims(intake.db).delete_many(
        {"at": {"$lt": now - REPORT_CLAIM_KEEP}}
    )
    return result.deleted_count


RELAY_CLAIM_KEEP = timedelta(days=7)


async def purge_relay_claims(intake: Intake, now: datetime) -> int:
    """Claims of sends long done (a claim only matters while its send may still run)."""
    result = await docs.relay_claims(intake.db).delete_many({"at": {"$lt": now - RELAY_CLAIM_KEEP}})
    return result.deleted_count


async def recount_load(intake: Intake) -> int:
    """Set each confidant's open-case count from the cases themselves; return how many
    counts were off (after a crash between a case write and its count). A case opened
    while this runs may be missed once; the next run sets it right."""
    actual: dict[str, int] = {}
    for status in OPEN_STATUSES:
        async for case in docs.cases(intake.db).find({"status": status}, {"confidant_id": 1}):
            actual[case["confidant_id"]] = actual.get(case["confidant_id"], 0) + 1
    known = {doc["_id"]: doc["open"] async for doc in docs.load(intake.db).find({})}
    corrected = 0
    for confidant_id in set(actual) | set(known):
        count = actual.get(confidant_id, 0)
        if known.get(confidant_id) != count:
            await intake.update(LOAD, {"_id": confidant_id}, {"$set": {"open": count}}, upsert=True)
            corrected += 1
    return corrected


async def purge_closed_cases(intake: Intake, now: datetime) -> int:
    """Destroy the personal data, notes and messages of cases closed longer than their
    organisation's retention period. What stays is the PII-free metadata."""
    purged = 0
    async for org in docs.organisations(intake.db).find({}, {"retention_days": 1}):
        cutoff = domain.purge_before(now, org.get("retention_days", 365))
        query = {
            "org_id": org["_id"],
            "status": "closed",
            "closed_at": {"$lt": cutoff},
            "purged_at": None,
        }
        async for case in docs.cases(intake.db).find(query, {"_id": 1, "org_id": 1}):
            # Notes and messages first: if we stop half-way, the case is found again.
            await docs.notes(intake.db).delete_many({"case_id": case["_id"]})
            await docs.messages(intake.db).delete_many({"case_id": case["_id"]})
            # The channel's traces: which mail ids and number led to this case.
            await docs.threads(intake.db).delete_many({"case_id": case["_id"]})
            await docs.channel_claims(intake.db).delete_many({"case_id": case["_id"]})
            await docs.relay_sent(intake.db).delete_many({"case_id": case["_id"]})
            event = new_event(
                CasePurged,
                {"case_id": case["_id"]},
                source="intake",
                occurred_at=now,
                org_id=case["org_id"],
            )
            if await intake.update_with_events(
                CASES,
                {"_id": case["_id"], "purged_at": None},
                {
                    "$set": {"purged_at": now},
                    "$unset": {
                        "contact": "",
                        "text": "",
                        "referral_to": "",
                        "code_hash": "",
                        "department": "",
                        "mail_thread": "",
                        "channel_key": "",
                    },
                },
                [event],
            ):
                purged += 1
    return purged


async def expire_case_codes(intake: Intake, now: datetime) -> int:
    """A closed case's code stops working after a period without use."""
    cutoff = now - timedelta(days=intake.settings.code_inactive_days)
    query = {
        "status": "closed",
        "closed_at": {"$lt": cutoff},
        "code_hash": {"$exists": True},
        "$or": [{"code_used_at": {"$exists": False}}, {"code_used_at": {"$lt": cutoff}}],
    }
    expired = 0
    async for case in docs.cases(intake.db).find(query, {"_id": 1}):
        # One by one, each under its document's lock, with the condition checked again.
        if await intake.update(CASES, {"_id": case["_id"], **query}, {"$unset": {"code_hash": ""}}):
            expired += 1
    return expired


async def warn_deadlines(intake: Intake, now: datetime) -> int:
    """Tell the confidant ahead of each deadline that is not met yet (the first contact the
    working day before; a whistleblower report's by the law's margins), and the office once
    a first contact is overdue."""
    warned = 0
    steps = [(kind, "warned", "warn_at") for kind in ("first_contact", *WHISTLEBLOWER)]
    steps.append(("first_contact", "overdue_told", "due"))
    for (kind, flag, since), status in itertools.product(steps, OPEN_STATUSES):
        path = f"deadlines.{kind}"
        query = {
            f"{path}.{flag}": False,
            f"{path}.met_at": None,
            f"{path}.{since}": {"$lte": now},
            "status": status,
        }
        async for case in docs.cases(intake.db).find(
            query, {"org_id": 1, "confidant_id": 1, "deadlines": 1, "reference": 1}
        ):
            event = new_event(
                CaseDeadlineDue,
                {
                    "case_id": case["_id"],
                    "reference": case.get("reference"),
                    "confidant_id": case["confidant_id"],
                    "deadline": kind,
                    "due_at": (case.get("deadlines") or {})[kind]["due"],
                    "overdue": flag == "overdue_told",
                },
                source="intake",
                occurred_at=now,
                org_id=case["org_id"],
            )
            if await intake.update_with_events(
                CASES,
                {"_id": case["_id"], f"{path}.{flag}": False},
                {"$set": {f"{path}.{flag}": True}},
                [event],
            ):
                warned += 1
    return warned


WHISTLEBLOWER = ("acknowledgement", "feedback")

"""Intake's periodic work: retention, expiry of case codes, deadline warnings (the outbox
is relayed by the kernel, as for every service: ``ServiceSpec.outbox``).

Each step is safe to run on several instances at once: every change is a single-document
update whose filter still holds only for the first instance that makes it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.domain import rules as domain
from services.intake.domain.aftercare import send_follow_ups
from services.intake.domain.reseal import reseal_all
from services.intake.domain.rules import OPEN_STATUSES
from services.intake.state import Intake
from services.intake.store import counts
from services.intake.store import documents as docs
from services.intake.store.caselist import MONTHS, claim_month, month_key, status_key
from services.intake.store.collections import CASES, LOAD, MIGRATIONS
from shared.event_schemas import CaseDeadlineDue, CasePurged
from shared.events import new_event

log = logging.getLogger(__name__)


async def run_all(intake: Intake, now: datetime | None = None) -> dict[str, int]:
    now = now or intake.clock.now()
    await backfill_buckets(intake)
    await backfill_confidant_months(intake)
    await count_every_case(intake)
    orgs = {o["_id"]: o async for o in docs.organisations(intake.db).find({}, ORG_FIELDS)}
    months = domain.months_through(first_of(orgs.values()), now)
    done = {
        "purged": await purge_closed_cases(intake, now, orgs, months),
        "codes_expired": await expire_case_codes(intake, now, months),
        **await go_through_open_cases(intake, now),
        "follow_ups": await send_follow_ups(intake, now, months),
        "report_claims_purged": await purge_report_claims(intake, now),
        "relay_claims_purged": await purge_relay_claims(intake, now),
        "resealed": await reseal_all(intake),
    }
    await intake.throttle.prune()
    if any(done.values()):
        log.info("jobs ran", extra=done)
    return done


ORG_FIELDS = {"retention_days": 1, "created_at": 1}
# Before any organisation was: where the months begin for one written without its date.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
BACKFILLED = "case_buckets"  # in MIGRATIONS: every closed case carries its months


def first_of(orgs: Iterable[Mapping[str, Any]]) -> datetime:
    """The firm's first month: no case closed before its organisation was made."""
    return min((o.get("created_at") or EPOCH for o in orgs), default=EPOCH)


async def backfill_buckets(intake: Intake) -> int:
    """Once, for cases closed before the months came: each given its months (the write
    conditional on the case still closed without them). Reads every closed case, once."""
    if await intake.db[MIGRATIONS].find_one({"_id": BACKFILLED}) is not None:
        return 0
    filled = 0
    query = {"status": "closed", "closed_month": {"$exists": False}}
    async for case in docs.cases(intake.db).find(query):
        closed_at = case.get("closed_at")
        if case.get("purged_at") is not None or closed_at is None:
            months: dict[str, str | None] = dict.fromkeys(domain.BUCKETS)
        else:
            follow_up = case.get("follow_up")
            months = domain.closed_buckets(
                closed_at,
                "code_hash" in case,
                None if not follow_up or follow_up["sent"] else follow_up["due"],
            )
        if await intake.update(CASES, {"_id": case["_id"], **query}, {"$set": months}):
            filled += 1
    await intake.db[MIGRATIONS].update_one(
        {"_id": BACKFILLED}, {"$set": {"at": intake.clock.now()}}, upsert=True
    )
    return filled


async def backfill_confidant_months(intake: Intake) -> int:
    """Once, for cases written before the list's keys came: each given ``confidant_month``
    and ``confidant_status`` (the write conditional on its confidant and status unchanged;
    one changed meanwhile is read again) and its month claimed for its confidant, then the
    marker, from which on their list is read a month at a time (store.caselist). Reads
    every case, once; until it is done, the list is read the plain way."""
    if await intake.db[MIGRATIONS].find_one({"_id": MONTHS}) is not None:
        return 0
    filled = 0
    claimed: set[str] = set()
    query = {"confidant_month": {"$exists": False}}
    fields = {"confidant_id": 1, "created_at": 1, "status": 1}
    async for found in docs.cases(intake.db).find(query, fields):
        case: docs.Case | None = found
        for _ in range(KEY_TRIES):  # a case that changed meanwhile: read again
            if case is None:
                break
            confidant, at, status = case.get("confidant_id"), case.get("created_at"), case["status"]
            if not isinstance(confidant, str) or not isinstance(at, datetime):
                break  # no confidant's list holds it
            keys = {"confidant_month": month_key(confidant, at)}
            keys["confidant_status"] = status_key(confidant, status)
            if keys["confidant_month"] not in claimed:
                await claim_month(intake.db, confidant, at)
                claimed.add(keys["confidant_month"])
            as_read = {"_id": case["_id"], "confidant_id": confidant, "status": status}
            if await intake.update(CASES, as_read, {"$set": keys}):
                filled += 1
                break
            case = await docs.cases(intake.db).find_one({"_id": found["_id"]}, fields)
    await intake.db[MIGRATIONS].update_one(
        {"_id": MONTHS}, {"$set": {"at": intake.clock.now()}}, upsert=True
    )
    return filled


KEY_TRIES = 5
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


async def go_through_open_cases(intake: Intake, now: datetime) -> dict[str, int]:
    """The open cases, read once for all that needs them: the deadline warnings due, each
    confidant's open-case count and each organisation's (set right where they drifted), and
    each organisation's open cases past a deadline, for the office."""
    before = await counts.snapshot(intake.db)
    load: dict[str, int] = {}
    per_org: dict[str, dict[str, int]] = {}
    late: dict[str, int] = {}
    warned = 0
    fields = {"org_id": 1, "confidant_id": 1, "deadlines": 1, "reference": 1}
    for status in OPEN_STATUSES:
        async for case in docs.cases(intake.db).find({"status": status}, fields):
            load[case["confidant_id"]] = load.get(case["confidant_id"], 0) + 1
            org = per_org.setdefault(case["org_id"], dict.fromkeys(OPEN_STATUSES, 0))
            org[status] += 1
            deadlines = case.get("deadlines") or {}
            late[case["org_id"]] = late.get(case["org_id"], 0) + domain.overdue(deadlines, now)
            for kind, flag in domain.due_warnings(deadlines, now):
                warned += await warn(intake, case, kind, flag, now)
    drifted = 0
    for org_id, had in before.items():
        found = per_org.get(org_id, dict.fromkeys(OPEN_STATUSES, 0))
        if any(had.get(s, 0) != n for s, n in found.items()):
            drifted += await counts.set_right(intake, org_id, had, found)
        if had.get("overdue") != late.get(org_id, 0) or "overdue_at" not in had:
            await counts.note_overdue(intake, org_id, late.get(org_id, 0), now)
    return {
        "deadline_warnings": warned,
        "load_corrected": await correct_load(intake, load),
        "counts_corrected": drifted,
    }


async def count_every_case(intake: Intake) -> int:
    """Once, for cases written before the counts came: each organisation's cases counted by
    status, read by organisation (a short read, so a count rarely moves meanwhile; one that
    did is counted again), then the marker. Until then the office's overview counts the
    cases itself. Returns how many organisations were counted."""
    if await counts.counted(intake.db):
        return 0
    done = 0
    async for org in docs.organisations(intake.db).find({}, {"_id": 1}):
        for _ in range(COUNT_TRIES):
            before = await counts.one(intake.db, org["_id"])
            by_status: dict[str, int] = dict.fromkeys(counts.STATUSES, 0)
            async for case in docs.cases(intake.db).find({"org_id": org["_id"]}, {"status": 1}):
                by_status[case["status"]] += 1
            if await counts.set_right(intake, org["_id"], before, by_status):
                done += 1
                break
        else:  # busy all along: the next round tries again
            return done
    await intake.db[MIGRATIONS].update_one(
        {"_id": counts.COUNTED}, {"$set": {"at": intake.clock.now()}}, upsert=True
    )
    return done


COUNT_TRIES = 5


async def correct_load(intake: Intake, actual: Mapping[str, int]) -> int:
    """Set each confidant's open-case count to what the cases say; return how many counts
    were off (after a crash between a case write and its count). A case opened while the
    cases were read may be missed once; the next round sets it right."""
    known = {doc["_id"]: doc["open"] async for doc in docs.load(intake.db).find({})}
    corrected = 0
    for confidant_id in set(actual) | set(known):
        count = actual.get(confidant_id, 0)
        if known.get(confidant_id) != count:
            await intake.update(LOAD, {"_id": confidant_id}, {"$set": {"open": count}}, upsert=True)
            corrected += 1
    return corrected


# What a purged case loses: everything that could tell who reported, and what.
PURGED = (
    "contact",
    "text",
    "vault",
    "referral_to",
    "code_hash",
    "code_check",
    "department",
    "mail_thread",
    "channel_key",
)


def purge_update(now: datetime) -> dict[str, Any]:
    """The one write that purges a case (its work ahead done too)."""
    return {
        "$set": {"purged_at": now, **dict.fromkeys(domain.BUCKETS)},
        "$unset": dict.fromkeys(PURGED, ""),
    }


async def purge_closed_cases(
    intake: Intake, now: datetime, orgs: Mapping[str, Mapping[str, Any]], months: list[str]
) -> int:
    """Destroy the personal data, notes and messages of cases closed longer than their
    organisation's retention period. What stays is the PII-free metadata. Looks in the
    months up to the shortest retention's cutoff, each case against its own organisation's."""
    purged = 0
    retention = {o: org.get("retention_days", 365) for o, org in orgs.items()}
    last = domain.month_of(domain.purge_before(now, min(retention.values(), default=365)))
    for month in (m for m in months if m <= last):
        query = {"closed_month": month, "status": "closed", "purged_at": None}
        async for case in docs.cases(intake.db).find(
            query, {"_id": 1, "org_id": 1, "closed_at": 1}
        ):
            cutoff = domain.purge_before(now, retention.get(case["org_id"], 365))
            if case["closed_at"] is None or case["closed_at"] >= cutoff:
                continue
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
                # (still closed in that month: a case reopened meanwhile is left alone)
                {"_id": case["_id"], **query},
                purge_update(now),
                [event],
            ):
                purged += 1
    return purged


async def expire_case_codes(intake: Intake, now: datetime, months: list[str]) -> int:
    """A closed case's code stops working after a period without use."""
    cutoff = now - timedelta(days=intake.settings.code_inactive_days)
    expired = 0
    for month in (m for m in months if m <= domain.month_of(cutoff)):
        query = {
            "code_month": month,
            "status": "closed",
            "closed_at": {"$lt": cutoff},
            "code_hash": {"$exists": True},
            "$or": [{"code_used_at": {"$exists": False}}, {"code_used_at": {"$lt": cutoff}}],
        }
        async for case in docs.cases(intake.db).find(query, {"_id": 1}):
            # One by one, each under its document's lock, with the condition checked again.
            if await intake.update(
                CASES,
                {"_id": case["_id"], **query},
                {"$unset": {"code_hash": ""}, "$set": {"code_month": None}},
            ):
                expired += 1
    return expired


async def warn(intake: Intake, case: docs.Case, kind: str, flag: str, now: datetime) -> int:
    """Tell of one deadline of the case (``flag``: ``warned`` ahead of it, ``overdue_told``
    the office once it passed), once: the write is conditional on the flag still down."""
    path = f"deadlines.{kind}"
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
    told = await intake.update_with_events(
        CASES,
        {"_id": case["_id"], f"{path}.{flag}": False},
        {"$set": {f"{path}.{flag}": True}},
        [event],
    )
    return int(told)

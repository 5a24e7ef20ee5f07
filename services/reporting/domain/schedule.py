"""What reporting does by itself, on a schedule: trend detection for every organisation (a
trend is proposed once per day, whichever instance looks: ``signals.propose``), the
yearly report drafted once its year is over, the organisation's confidants reminded to add
their advice and publish it, and the office reminded of a contract's evaluation day.

Each draft is claimed with an insert keyed by organisation and year, so however many
instances run the schedule, a year's report is drafted once.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from services.reporting.domain.projection import first_day, last_day
from services.reporting.domain.reports import draft
from services.reporting.domain.signals import propose
from services.reporting.domain.tally import count
from services.reporting.state import Reporting
from services.reporting.store.collections import CONTRACTS, DRAFT_CLAIMS, REPORTS
from services.reporting.store.documents import org_names, read_contract
from services.reporting.store.queries import month_tallies
from shared.errors import Conflict, Invalid, NotFound
from shared.event_schemas import ContractEvaluationDue, ReportDrafted
from shared.events import new_event

SCHEDULE = "schedule"  # who drafted it, as a report names its maker


async def run(r: Reporting, now: datetime | None = None) -> dict[str, int]:
    now = now or r.clock.now()
    return {
        "signals": await detect_everywhere(r),
        "drafted": await draft_last_year(r, now),
        "evaluations": await remind_evaluations(r, now),
    }


async def remind_evaluations(r: Reporting, now: datetime) -> int:
    """Every contract whose evaluation day has come: the office is told once per day set
    (``reporting.contract.evaluation_due``; a new day set later is told again)."""
    told = 0
    async for found in r.db[CONTRACTS].find({"evaluate_on": {"$ne": None}}, {"_id": 1}):
        org_id = str(found["_id"])
        contract = await read_contract(r.db, org_id)
        day = contract.evaluate_on if contract else None
        if contract is None or day is None or day > now.date():
            continue
        try:
            await r.db[DRAFT_CLAIMS].insert_one({"_id": f"evaluation|{org_id}|{day}", "at": now})
        except DuplicateKeyError:
            continue
        named = await org_names(r.db).find_one({"_id": org_id})
        event = new_event(
            ContractEvaluationDue,
            {
                "evaluate_on": day,
                "ends_on": contract.ends_on,
                "org_name": (named.get("name") if named else None) or contract.legal_name,
            },
            source="reporting",
            org_id=org_id,
            occurred_at=now,
        )
        told_on = {"$set": {"evaluation_told": day.isoformat()}}
        await r.update_with_events(CONTRACTS, {"_id": org_id}, told_on, [event])
        told += 1
    return told


async def detect_everywhere(r: Reporting) -> int:
    """The trend rules over every organisation reporting knows; the new proposals."""
    made = 0
    async for org in org_names(r.db).find({}, {"_id": 1}):
        made += len(await propose(r, org["_id"]))
    return made


async def draft_last_year(r: Reporting, now: datetime) -> int:
    """Last year's yearly report of every organisation, drafted once; its confidants are
    told (``reporting.report.drafted``). An organisation with nothing to report for the
    year, or whose report may show nothing yet, gets none (and is not tried again)."""
    year = now.year - 1
    start, end = year * 12, year * 12 + 12
    drafted = 0
    async for org in org_names(r.db).find({}, {"_id": 1}):
        org_id = org["_id"]
        counts, _ = count(await month_tallies(r, org_id), start, end, now)
        if not counts.totals.get("cases"):
            continue  # nothing in that year (an organisation that came after it)
        try:
            await r.db[DRAFT_CLAIMS].insert_one({"_id": f"yearly|{org_id}|{year}", "at": now})
        except DuplicateKeyError:
            continue
        try:
            doc = await draft(r, org_id, "yearly", start, end, SCHEDULE)
        except (NotFound, Invalid, Conflict):
            continue
        event = new_event(
            ReportDrafted,
            {
                "report_id": doc["_id"],
                "kind": "yearly",
                "period_from": first_day(start),
                "period_to": last_day(end),
            },
            source="reporting",
            org_id=org_id,
            occurred_at=now,
        )
        # (the write that stages the event; it sets what the draft says already)
        await r.update_with_events(
            REPORTS, {"_id": doc["_id"]}, {"$set": {"created_by": SCHEDULE}}, [event]
        )
        drafted += 1
    return drafted

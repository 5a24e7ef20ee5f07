"""Trend signals as they are kept: proposed by the rules (``signals``) once per trend and
day, then raised to the organisation or dismissed by a confidant.

A proposal is claimed with an insert keyed by organisation, trend and day, so however many
instances look at once, a trend is proposed once that day. The signal's own id is random:
nobody can guess it and ask whether a trend was ever proposed.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Literal

from pymongo.errors import DuplicateKeyError

from services.reporting.domain import trends as rules
from services.reporting.state import Reporting
from services.reporting.store.collections import SIGNALS
from services.reporting.store.documents import Signal, SignalKey, signal_keys, signals
from services.reporting.store.queries import disclosure_rules, org_cases
from shared.errors import Conflict
from shared.event_schemas import SignalRaised
from shared.events import new_event


async def propose(r: Reporting, org_id: str) -> list[Signal]:
    """The trends the rules find in the organisation's cases now; the new proposals."""
    k, _ = await disclosure_rules(r, org_id)
    now = r.clock.now()
    found = rules.detect(await org_cases(r, org_id), now, k)
    made: list[Signal] = []
    for proposal in found:
        claim: SignalKey = {
            "_id": f"{org_id}-{proposal.key}",
            "signal_id": secrets.token_urlsafe(16),
        }
        try:
            await signal_keys(r.db).insert_one(claim)
        except DuplicateKeyError:
            earlier = await signal_keys(r.db).find_one({"_id": claim["_id"]})
            if earlier is None or await signals(r.db).find_one({"_id": earlier["signal_id"]}):
                continue
            claim = earlier  # claimed by a process that stopped before it stored the signal
        doc: Signal = {
            "_id": claim["signal_id"],
            "org_id": org_id,
            "status": "proposed",
            "proposed_at": now,
            "rule": proposal.rule,
            "category": proposal.category,
            "department_index": proposal.department_index,
            "window_end": proposal.window_end,
        }
        try:
            await signals(r.db).insert_one(doc)
        except DuplicateKeyError:
            continue  # another instance finished the same claim
        made.append(doc)
    return made


async def decide(
    r: Reporting, doc: Signal, decision: Literal["raise", "dismiss"], note: str | None, by: str
) -> None:
    """Raise a proposed signal to the organisation (with its event) or dismiss it; a 409 if
    it was decided meanwhile."""
    events = []
    status = "dismissed"
    if decision == "raise":
        status = "raised"
        events.append(
            new_event(
                SignalRaised,
                {
                    "signal_id": doc["_id"],
                    "rule": doc["rule"],
                    "category": doc.get("category"),
                    "department_index": doc.get("department_index"),
                },
                source="reporting",
                org_id=doc["org_id"],
                occurred_at=r.clock.now(),
            )
        )
    if not await r.update_with_events(
        SIGNALS,
        {"_id": doc["_id"], "status": "proposed"},
        {
            "$set": {
                "status": status,
                "decided_at": r.clock.now(),
                "decided_by": by,
                "note": note,
            }
        },
        events,
    ):
        raise Conflict("the signal was decided meanwhile")


async def write_own(
    r: Reporting,
    org_id: str,
    by: str,
    window: tuple[date, date],
    category: str | None,
    department_index: int | None,
) -> Signal:
    """A confidant's own signal about a category or a department over a window: proposed,
    then raised or dismissed like the rules' (``decide``). Refused when fewer than k reports
    of the window fit it: a signal about so few could point at the people behind them."""
    k, _ = await disclosure_rules(r, org_id)
    first, last = window
    fitting = 0
    for case in await org_cases(r, org_id):
        opened = case.get("opened_at")
        if not opened or not first <= datetime.fromisoformat(opened).date() <= last:
            continue
        if category is not None and case.get("category") != category:
            continue
        if department_index is not None and case.get("department") != department_index:
            continue
        fitting += 1
    if fitting < k:
        raise Conflict(
            f"fewer than {k} reports in that window fit this signal: it could point at people",
            code="too_few_reports",
        )
    doc: Signal = {
        "_id": secrets.token_urlsafe(16),
        "org_id": org_id,
        "status": "proposed",
        "proposed_at": r.clock.now(),
        "proposed_by": by,
        "rule": "confidant",
        "category": category,
        "department_index": department_index,
        "window_start": first.isoformat(),
        "window_end": last.isoformat(),
    }
    await signals(r.db).insert_one(doc)
    return doc

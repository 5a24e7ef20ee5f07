"""What reporting does with events: fold them into the case projection and the tallies.

One event changes one case document; what the case adds to its organisation's monthly
tallies changes with it. The change to the tallies is staged on the case document in the
same write (``pending``), then applied to each month's tally under a mark that makes a
second application a no-op, then cleared: a crash anywhere in between is finished by the
redelivered event, and nothing is counted twice or lost.

With several instances, two events of one case may be folded at once. Every write of a
case or a tally is the next revision of what was read, claimed first with an insert
(``shared.revision``), so one writer per revision even on FerretDB, whose updates are not
atomic; the loser reads again and folds again. No lock. Marks stay on the tallies (pruned
after 30 days), so an instance that applies a change late finds the mark and adds nothing.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pymongo.errors import DuplicateKeyError

from shared import revision
from shared.bus import Handler
from shared.event_schemas import OrgUpdated
from shared.events import Envelope

from .collections import CASES, ORGS, TALLIES
from .projection import apply
from .state import REPORTING, Reporting
from .tally import contributions, difference


def encode(values: dict[tuple[int, str], float]) -> list[dict[str, Any]]:
    # Subdocuments, not pairs: FerretDB stores no nested arrays.
    return [{"m": month, "k": key, "v": value} for (month, key), value in sorted(values.items())]


def _decode(stored: list[dict[str, Any]] | None) -> dict[tuple[int, str], float]:
    return {(int(e["m"]), str(e["k"])): float(e["v"]) for e in stored or []}


async def apply_pending(r: Reporting, case: dict[str, Any]) -> None:
    """Add a case's staged change to its tallies, once, and clear it."""
    pending = case.get("pending")
    if not pending:
        return
    by_month: dict[int, dict[str, float]] = {}
    for (month, key), value in _decode(pending["diff"]).items():
        by_month.setdefault(month, {})[key] = value
    for month, values in sorted(by_month.items()):
        await revision.until_written(
            functools.partial(add_to_tally, r, case["org_id"], month, values, pending["id"]),
            "a tally",
        )

    async def clear() -> bool:
        current = await r.db[CASES].find_one({"_id": case["_id"]})
        if current is None or (current.get("pending") or {}).get("id") != pending["id"]:
            return True  # cleared by another instance
        return await put(r, CASES, current, {k: v for k, v in current.items() if k != "pending"})

    await revision.until_written(clear, "the case")


async def add_to_tally(
    r: Reporting, org: str, month: int, values: dict[str, float], change_id: str
) -> bool:
    """Add ``values`` to the organisation's tally of ``month`` unless the change is marked
    there already; False: another instance wrote the tally meanwhile (try again)."""
    tally_id = f"{org}|{month}"
    tally = await r.db[TALLIES].find_one({"_id": tally_id})
    if tally is None:
        fresh = {
            "_id": tally_id,
            "org_id": org,
            "month": month,
            "n": values,
            MARKS: {change_id: r.clock.now()},
            "rev": 1,
        }
        try:
            await r.db[TALLIES].insert_one(fresh)
        except DuplicateKeyError:
            return False
        return True
    if change_id in (tally.get(MARKS) or {}):
        return True  # applied before
    n = dict(tally.get("n") or {})
    for key, value in values.items():
        n[key] = n.get(key, 0) + value
    marks = {**(tally.get(MARKS) or {}), change_id: r.clock.now()}
    return await put(r, TALLIES, tally, {**tally, "n": n, MARKS: marks})


async def put(r: Reporting, collection: str, current: dict[str, Any], new: dict[str, Any]) -> bool:
    """Write ``new`` over ``current`` as its next revision, if no one else writes that
    revision (``shared.revision``); False: read again and retry."""
    rev = int(current.get("rev", 0))
    if not await revision.claim(r.db, collection, current["_id"], rev):
        return False
    same = {"rev": rev} if "rev" in current else {"rev": {"$exists": False}}
    result = await r.db[collection].replace_one(
        {"_id": current["_id"], **same}, {**new, "rev": rev + 1}
    )
    if result.matched_count == 0:
        return False
    await revision.written(r.db, collection, current["_id"], rev + 1)
    return True


MARKS = "applied"
MARKS_KEEP = timedelta(days=30)  # far beyond any redelivery of the event that made a mark


async def prune_marks(r: Reporting, now: datetime | None = None) -> int:
    """Drop tally marks older than MARKS_KEEP, as a next revision of the tally (a tally
    written meanwhile keeps its marks until the next run)."""
    cutoff = (now or r.clock.now()) - MARKS_KEEP
    dropped = 0
    async for tally in r.db[TALLIES].find({}):
        marks = tally.get(MARKS) or {}
        kept = {k: at for k, at in marks.items() if at.replace(tzinfo=UTC) >= cutoff}
        if len(kept) < len(marks) and await put(r, TALLIES, tally, {**tally, MARKS: kept}):
            dropped += len(marks) - len(kept)
    return dropped


async def name_org(r: Reporting, event: Envelope, data: OrgUpdated) -> None:
    """Keep the organisation's name and departments as the latest event says (an older
    event delivered late changes nothing: the write is conditional on the event's time)."""
    changes: dict[str, object] = {}
    if data.org_name is not None:
        changes["name"] = data.org_name
    if data.departments is not None:
        changes["departments"] = data.departments
    at = event.occurred_at
    try:
        await r.db[ORGS].update_one(
            {"_id": data.org_id, "$or": [{"at": {"$lte": at}}, {"at": {"$exists": False}}]},
            {"$set": {**changes, "at": at}},
            upsert=True,
        )
    except DuplicateKeyError:
        pass  # the organisation has a newer event already: this one is past


def projection_handler(app: web.Application) -> Handler:
    async def on_event(event: Envelope) -> None:
        r = app[REPORTING]
        data = event.payload
        if isinstance(data, OrgUpdated):
            await name_org(r, event, data)
            return
        case_id = getattr(data, "case_id", None)
        if not case_id:
            return
        await revision.until_written(functools.partial(fold, r, case_id, event), "the case")

    return on_event


async def fold(r: Reporting, case_id: str, event: Envelope) -> bool:
    """Fold ``event`` into the case if the case is still as read; False: read it again."""
    current = await r.db[CASES].find_one({"_id": case_id})
    if current and current.get("pending"):
        await apply_pending(r, current)  # what a crash, or another instance, left half-done
        return False
    bookkeeping = ("counted", "pending", "rev")
    plain = {k: v for k, v in (current or {}).items() if k not in bookkeeping}
    updated = apply(plain or None, event.model_dump(mode="json"))
    if updated is None or updated == plain:
        return True
    counted = contributions(updated)
    diff = difference(_decode((current or {}).get("counted")), counted)
    doc = {**updated, "counted": encode(counted)}
    if diff:
        doc["pending"] = {"id": event.id, "diff": encode(diff)}
    if current is None:
        try:
            await r.db[CASES].insert_one({**doc, "rev": 1})
        except DuplicateKeyError:
            return False  # another instance made it first
    elif not await put(r, CASES, current, doc):
        return False
    await apply_pending(r, doc)
    return True

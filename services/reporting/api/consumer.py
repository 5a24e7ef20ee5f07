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
from typing import TypeVar

from aiohttp import web
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.reporting.domain.projection import apply
from services.reporting.domain.tally import contributions, difference
from services.reporting.state import REPORTING, Reporting
from services.reporting.store.documents import (
    CaseFacts,
    Entry,
    Tally,
    cases,
    org_names,
    raw,
    tallies,
)
from shared import revision
from shared.bus import Handler
from shared.db import Query
from shared.event_schemas import OrgUpdated
from shared.events import Envelope

Versioned = TypeVar("Versioned", CaseFacts, Tally)  # what is written as revisions


def encode(values: dict[tuple[int, str], float]) -> list[Entry]:
    # Subdocuments, not pairs: FerretDB stores no nested arrays.
    return [{"m": month, "k": key, "v": value} for (month, key), value in sorted(values.items())]


def _decode(stored: list[Entry] | None) -> dict[tuple[int, str], float]:
    return {(int(e["m"]), str(e["k"])): float(e["v"]) for e in stored or []}


async def apply_pending(r: Reporting, case: CaseFacts) -> None:
    """Add a case's staged change to its tallies, once, and clear it."""
    pending = case.get("pending")
    if not pending:
        return
    by_month: dict[int, dict[str, float]] = {}
    for (month, key), value in _decode(pending["diff"]).items():
        by_month.setdefault(month, {})[key] = value
    for month, values in sorted(by_month.items()):
        await revision.until_written(
            functools.partial(add_to_tally, r, str(case["org_id"]), month, values, pending["id"]),
            "a tally",
        )

    async def clear() -> bool:
        current = await cases(r.db).find_one({"_id": case["_id"]})
        if current is None or current.get("pending", {}).get("id") != pending["id"]:
            return True  # cleared by another instance
        cleared: CaseFacts = {**current}
        del cleared["pending"]
        return await put(r, cases(r.db), current, cleared)

    await revision.until_written(clear, "the case")


async def add_to_tally(
    r: Reporting, org: str, month: int, values: dict[str, float], change_id: str
) -> bool:
    """Add ``values`` to the organisation's tally of ``month`` unless the change is marked
    there already; False: another instance wrote the tally meanwhile (try again)."""
    tally_id = f"{org}|{month}"
    tally = await tallies(r.db).find_one({"_id": tally_id})
    if tally is None:
        fresh: Tally = {
            "_id": tally_id,
            "org_id": org,
            "month": month,
            "n": values,
            "applied": {change_id: r.clock.now()},
            "rev": 1,
        }
        try:
            await tallies(r.db).insert_one(fresh)
        except DuplicateKeyError:
            return False
        return True
    if change_id in tally.get("applied", {}):
        return True  # applied before
    n = dict(tally.get("n") or {})
    for key, value in values.items():
        n[key] = n.get(key, 0) + value
    marks = {**tally.get("applied", {}), change_id: r.clock.now()}
    added: Tally = {**tally, "n": n, "applied": marks}
    return await put(r, tallies(r.db), tally, added)


async def put(
    r: Reporting, collection: AsyncCollection[Versioned], current: Versioned, new: Versioned
) -> bool:
    """Write ``new`` over ``current`` as its next revision, if no one else writes that
    revision (``shared.revision``); False: read again and retry."""
    rev = int(current.get("rev", 0))
    if not await revision.claim(r.db, collection.name, current["_id"], rev, r.clock.now()):
        return False
    same: Query = {"rev": rev} if "rev" in current else {"rev": {"$exists": False}}
    result = await collection.replace_one({"_id": current["_id"], **same}, {**new, "rev": rev + 1})
    if result.matched_count == 0:
        return False
    await revision.written(r.db, collection.name, current["_id"], rev + 1)
    return True


# Marks (a tally's "applied": change id -> when) are kept this long.
MARKS_KEEP = timedelta(days=30)  # far beyond any redelivery of the event that made a mark


async def prune_marks(r: Reporting, now: datetime | None = None) -> int:
    """Drop tally marks older than MARKS_KEEP, as a next revision of the tally (a tally
    written meanwhile keeps its marks until the next run)."""
    cutoff = (now or r.clock.now()) - MARKS_KEEP
    dropped = 0
    async for tally in tallies(r.db).find({}):
        marks = tally.get("applied", {})
        kept = {k: at for k, at in marks.items() if at.replace(tzinfo=UTC) >= cutoff}
        pruned: Tally = {**tally, "applied": kept}
        if len(kept) < len(marks) and await put(r, tallies(r.db), tally, pruned):
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
        await org_names(r.db).update_one(
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
    current = await cases(r.db).find_one({"_id": case_id})
    if current and current.get("pending"):
        await apply_pending(r, current)  # what a crash, or another instance, left half-done
        return False
    plain: CaseFacts | None = None
    if current is not None:
        plain = current.copy()
        plain.pop("counted", None)  # the bookkeeping: apply folds the facts only
        plain.pop("pending", None)
        plain.pop("rev", None)
    updated = apply(plain, raw(event))
    if updated is None or updated == plain:
        return True
    counted = contributions(updated)
    diff = difference(_decode(current.get("counted") if current else None), counted)
    doc: CaseFacts = {**updated, "counted": encode(counted)}
    if diff:
        doc["pending"] = {"id": event.id, "diff": encode(diff)}
    if current is None:
        try:
            await cases(r.db).insert_one({**doc, "rev": 1})
        except DuplicateKeyError:
            return False  # another instance made it first
    elif not await put(r, cases(r.db), current, doc):
        return False
    await apply_pending(r, doc)
    return True

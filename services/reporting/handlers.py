"""What reporting does with events: fold them into the case projection and the tallies.

One event changes one case document; what the case adds to its organisation's monthly
tallies changes with it. The change to the tallies is staged on the case document in the
same write (``pending``), then applied to each month's tally under a mark that makes a
second application a no-op, then cleared: a crash anywhere in between is finished by the
redelivered event, and nothing is counted twice or lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pymongo.errors import DuplicateKeyError

from shared.bus import Handler
from shared.events import Envelope

from .projection import apply
from .state import REPORTING, Reporting
from .store import CASES, TALLIES
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
    # Only while it is still staged: once cleared, its marks may be gone too.
    if not await r.db[CASES].find_one(
        {"_id": case["_id"], "pending.id": pending["id"]}, {"_id": 1}
    ):
        return
    by_month: dict[int, dict[str, float]] = {}
    for (month, key), value in _decode(pending["diff"]).items():
        by_month.setdefault(month, {})[key] = value
    mark = f"applied.{pending['id']}"
    org = case["org_id"]
    for month, values in sorted(by_month.items()):
        tally_id = f"{org}|{month}"
        async with r.locks.hold(TALLIES, tally_id):
            try:
                await r.db[TALLIES].update_one(
                    {"_id": tally_id, mark: {"$exists": False}},
                    {
                        "$inc": {f"n.{k}": v for k, v in values.items()},
                        "$set": {mark: datetime.now(UTC), "org_id": org, "month": month},
                    },
                    upsert=True,
                )
            except DuplicateKeyError:
                pass  # the mark is there: applied before
    async with r.locks.hold(CASES, case["_id"]):
        await r.db[CASES].update_one(
            {"_id": case["_id"], "pending.id": pending["id"]}, {"$unset": {"pending": ""}}
        )
    for month in by_month:
        tally_id = f"{org}|{month}"
        async with r.locks.hold(TALLIES, tally_id):
            await r.db[TALLIES].update_one({"_id": tally_id}, {"$unset": {mark: ""}})


def projection_handler(app: web.Application) -> Handler:
    async def on_event(event: Envelope) -> None:
        r = app[REPORTING]
        case_id = event.data.get("case_id")
        if not case_id:
            return
        current = await r.db[CASES].find_one({"_id": case_id})
        if current and current.get("pending"):
            await apply_pending(r, current)  # what a crash left half-done
            current = await r.db[CASES].find_one({"_id": case_id})
        plain = {k: v for k, v in (current or {}).items() if k not in ("counted", "pending")}
        updated = apply(plain or None, event.model_dump(mode="json"))
        if updated is None or updated == plain:
            return
        counted = contributions(updated)
        diff = difference(_decode((current or {}).get("counted")), counted)
        doc = {**updated, "counted": encode(counted)}
        if diff:
            doc["pending"] = {"id": event.id, "diff": encode(diff)}
        async with r.locks.hold(CASES, case_id):
            await r.db[CASES].replace_one({"_id": case_id}, doc, upsert=True)
        await apply_pending(r, doc)

    return on_event

"""Each organisation's cases by status, kept as a count for the office's overview, which
otherwise reads every case of the firm (FerretDB counts by reading).

One document per organisation: ``{new, in_contact, in_conversation, closed}``, moved with
``$inc`` by each write that opens, steps, closes or reopens a case (``v`` counts those
moves), and ``overdue`` (open cases with a deadline passed and not met) as the periodic
round found it at ``overdue_at``. The round also sets the open counts right where they
drifted (a crash between a case's write and its count), but only where ``v`` did not move
while it read: a count it read past is never overwritten. Until every organisation is
counted once (the marker ``COUNTED`` in ``migrations``), the overview counts the cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from shared.db import Document, duplicate
from shared.event_schemas import Status
from shared.outbox import DocumentWriter

from .collections import MIGRATIONS, ORG_COUNTS

COUNTED = "org_counts"  # in MIGRATIONS: every organisation's cases are counted
STATUSES: tuple[Status, ...] = ("new", "in_contact", "in_conversation", "closed")


def step(before: Status | None, after: Status | None) -> dict[str, Any]:
    """The count's update for a case moving from ``before`` to ``after`` (None: from or to
    nowhere)."""
    inc: dict[str, int] = {"v": 1}
    if before is not None:
        inc[before] = inc.get(before, 0) - 1
    if after is not None:
        inc[after] = inc.get(after, 0) + 1
    return {"$inc": inc}


async def move(
    writer: DocumentWriter, org_id: str, before: Status | None, after: Status | None
) -> None:
    """Count a case of ``org_id`` moving from ``before`` to ``after``, through the writer's
    per-document lock (FerretDB's ``$inc`` is no atomic update: concurrent ones in one
    process would lose counts). Two first counts of an organisation from two processes at
    once: one upsert loses on the unique ``_id`` and, not applied, is applied again."""
    for attempt in range(RACE_RETRIES):
        try:
            await writer.update(ORG_COUNTS, {"_id": org_id}, step(before, after), upsert=True)
            return
        except PyMongoError as exc:
            if not duplicate(exc) or attempt == RACE_RETRIES - 1:
                raise


RACE_RETRIES = 3


async def snapshot(db: AsyncDatabase[Document]) -> dict[str, Document]:
    """Every organisation's count as it stands, before the cases are read."""
    return {d["_id"]: d async for d in db[ORG_COUNTS].find({})}


async def one(db: AsyncDatabase[Document], org_id: str) -> Document | None:
    return await db[ORG_COUNTS].find_one({"_id": org_id})


async def set_right(
    writer: DocumentWriter,
    org_id: str,
    before: Mapping[str, Any] | None,
    counts: Mapping[str, int],
) -> bool:
    """Set the organisation's ``counts`` (some statuses, or all) as read, unless a case of it
    moved since ``before`` was taken; return whether they were set."""
    try:
        if before is None:
            await writer.db[ORG_COUNTS].insert_one({"_id": org_id, **counts, "v": 0})
            return True
        return await writer.update(
            ORG_COUNTS, {"_id": org_id, "v": before.get("v", 0)}, {"$set": dict(counts)}
        )
    except PyMongoError as exc:  # a first case's count came meanwhile
        if duplicate(exc):
            return False
        raise


async def note_overdue(writer: DocumentWriter, org_id: str, overdue: int, at: datetime) -> None:
    """The organisation's open cases past a deadline, as the round found them (on a count
    that is there: every organisation with a case has one once ``COUNTED``)."""
    late = {"overdue": overdue, "overdue_at": at}
    await writer.update(ORG_COUNTS, {"_id": org_id}, {"$set": late})


async def counted(db: AsyncDatabase[Document]) -> bool:
    return await db[MIGRATIONS].find_one({"_id": COUNTED}) is not None


def view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A count as the office's overview shows it (``views.OrgCounts``)."""
    at = doc.get("overdue_at")
    return {
        "org_id": doc["_id"],
        "counts": {s: int(doc.get(s, 0)) for s in STATUSES},
        "overdue": doc.get("overdue"),
        "overdue_at": None if at is None else at.isoformat(),
    }

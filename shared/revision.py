"""One writer per revision of a document, across processes, on MongoDB and FerretDB alike.

FerretDB 1.24 applies an update by reading, changing and writing back the document, with
nothing to stop another process in between (``shared.db.DocLocks``): a compare-and-set
``replace_one({"_id": x, "rev": r}, ...)`` lets two processes both "win" revision r + 1.
An insert into a unique ``_id`` is atomic there too, so the right to write revision r + 1
is claimed with one: the loser reads again. The claim of the revision before is dropped
once the next one is written; a claim whose writer died is taken over after ``STALE``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

STALE = timedelta(seconds=30)  # longer than any write takes; a dead writer's claim expires
TRIES = 50  # reads and writes of one change before it is left for the event to come again


class Contention(RuntimeError):
    """Other writers won every try; the caller's event is handled again later."""


async def until_written(step: Callable[[], Awaitable[bool]], what: str) -> None:
    """Run ``step`` (read, change, write the next revision; False when another writer won)
    until it succeeds, with a short, growing, jittered pause between tries, so that two
    instances that lost to each other do not meet again at once."""
    for attempt in range(TRIES):
        if await step():
            return
        await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 25)))  # noqa: S311
    raise Contention(f"{what} changed under every try; the event comes again")


def _claims(collection: str) -> str:
    return f"{collection}_revs"


async def claim(
    db: AsyncDatabase[dict[str, Any]],
    collection: str,
    doc_id: str,
    rev: int,
    now: datetime | None = None,
) -> bool:
    """Claim the write of revision ``rev`` + 1 of ``doc_id``; False: someone else has it
    (read the document again and retry)."""
    now = now or datetime.now(UTC)
    key = f"{doc_id}@{rev + 1}"
    try:
        await db[_claims(collection)].insert_one({"_id": key, "at": now})
    except DuplicateKeyError:
        held = await db[_claims(collection)].find_one({"_id": key})
        if held is not None and held["at"].replace(tzinfo=UTC) < now - STALE:
            # Its writer died between claim and write: free it for the next try.
            await db[_claims(collection)].delete_one({"_id": key, "at": held["at"]})
        return False
    return True


async def written(
    db: AsyncDatabase[dict[str, Any]], collection: str, doc_id: str, rev: int
) -> None:
    """Revision ``rev`` of ``doc_id`` is written: the claim of the one before can go."""
    await db[_claims(collection)].delete_one({"_id": f"{doc_id}@{rev - 1}"})

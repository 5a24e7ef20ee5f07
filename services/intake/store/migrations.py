"""One-time changes to documents written before a version, each marked done in
``migrations`` by the periodic round that makes it. A database without cases has nothing to
change: every marker is written at start, so a new installation works the new way at once."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from shared.db import Document, duplicate

from .caselist import MONTHS
from .collections import CASES, MIGRATIONS
from .counts import COUNTED

NONE_NEEDED = (MONTHS, COUNTED)


async def mark_if_new(db: AsyncDatabase[Document], now: datetime) -> None:
    if await db[CASES].find_one({}, {"_id": 1}) is not None:
        return
    for marker in NONE_NEEDED:
        try:
            await db[MIGRATIONS].update_one({"_id": marker}, {"$set": {"at": now}}, upsert=True)
        except PyMongoError as exc:  # another instance, starting too, marked it first
            if not duplicate(exc):
                raise

"""Rate limits and lock-outs, kept in the database so every instance sees the same counts.

A counter is one document per key, raised atomically, whose window starts at its first
event; expired ones are pruned by the periodic job (FerretDB has no TTL indexes).
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.intake.store.collections import THROTTLE
from shared.clock import Clock
from shared.db import DocLocks, Document
from shared.errors import Throttled


class Throttle:
    def __init__(self, db: AsyncDatabase[Document], locks: DocLocks, clock: Clock) -> None:
        self.collection = db[THROTTLE]
        self.locks = locks
        self.clock = clock

    async def hit(self, key: str, window_s: int) -> int:
        """Count one more event for ``key``; return the count within the window that began
        at the first of them. (Not clock-aligned windows: those reset at every boundary,
        so failures spread across one would never add up.)"""
        async with self.locks.hold(THROTTLE, key):
            now = self.clock.now()
            for _ in range(3):
                doc = await self.collection.find_one_and_update(
                    {"_id": key, "expires_at": {"$gt": now}},
                    {"$inc": {"n": 1}},
                    return_document=ReturnDocument.AFTER,
                )
                if doc is not None:
                    return int(doc["n"])
                try:  # no live window: start one (or restart an expired one)
                    await self.collection.update_one(
                        {"_id": key, "expires_at": {"$lte": now}},
                        {"$set": {"n": 1, "expires_at": now + timedelta(seconds=window_s)}},
                        upsert=True,
                    )
                    return 1
                except DuplicateKeyError:
                    continue  # another instance started it first: count in that one
        raise RuntimeError(f"could not count {key}")

    async def limit(self, key: str, limit: int, window_s: int) -> None:
        """Raise 429 once ``key`` has been seen more than ``limit`` times in the window."""
        if await self.hit(key, window_s) > limit:
            raise too_many(window_s)

    async def lock(self, key: str, seconds: int) -> None:
        async with self.locks.hold(THROTTLE, f"lock:{key}"):
            await self.collection.update_one(
                {"_id": f"lock:{key}"},
                {"$set": {"expires_at": self.clock.now() + timedelta(seconds=seconds)}},
                upsert=True,
            )

    async def locked_for(self, key: str) -> int:
        """Seconds ``key`` stays locked, 0 if it is not."""
        doc = await self.collection.find_one({"_id": f"lock:{key}"})
        if doc is None:
            return 0
        expires: datetime = doc["expires_at"]
        return max(0, math.ceil((expires - self.clock.now()).total_seconds()))

    async def unlock(self, key: str) -> None:
        async with self.locks.hold(THROTTLE, f"lock:{key}"):
            await self.collection.delete_one({"_id": f"lock:{key}"})

    async def prune(self) -> None:
        await self.collection.delete_many({"expires_at": {"$lt": self.clock.now()}})


def too_many(retry_after_s: int) -> Throttled:
    return Throttled(
        f"too many attempts; try again in {retry_after_s} seconds", retry_after=retry_after_s
    )


async def slow_down(base_s: float, failures: int) -> None:
    """Answer a failure late, later for each one: guessing costs time."""
    await asyncio.sleep(min(base_s * 2 ** max(failures - 1, 0), 4.0))

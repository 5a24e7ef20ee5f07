"""MongoDB lifecycle with PyMongo's async API.

One client per process, one database per service, indexes created at start-up. The suite
uses single-document atomic operations and unique indexes, never multi-document
transactions, so the same code runs on a standalone MongoDB, a replica set or FerretDB.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
IndexSpec = Mapping[str, Sequence[IndexModel]]  # collection name -> its indexes

# Fail fast when the database is away: a request should get a 503, not hang for 30 s.
SERVER_SELECTION_TIMEOUT_MS = 2000


class Mongo:
    def __init__(self, uri: str, database: str) -> None:
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
            connectTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
            appname="vertrouwd",
        )
        self.db: AsyncDatabase[Document] = self.client[database]

    async def ensure_indexes(self, spec: IndexSpec) -> None:
        """Create the indexes that do not exist yet (by name). Sending ``createIndexes`` for
        an existing sparse index makes FerretDB 1.24 drop the connection (a panic), so an
        index that is there is left alone, as MongoDB would leave it anyway."""
        for collection, indexes in spec.items():
            existing = {i["name"] async for i in await self.db[collection].list_indexes()}
            missing = [i for i in indexes if i.document["name"] not in existing]
            if missing:
                await self.db[collection].create_indexes(missing)

    async def ping(self, within: float = 1.5) -> bool:
        try:
            await asyncio.wait_for(self.db.command("ping"), within)
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self.client.close()

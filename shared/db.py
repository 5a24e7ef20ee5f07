"""MongoDB lifecycle with PyMongo's async API.

One client per process, one database per service, indexes created at start-up. The suite
uses single-document atomic operations and unique indexes, never multi-document
transactions, so the same code runs on a standalone MongoDB, a replica set or FerretDB.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

Document = dict[str, Any]
# A filter or an update in MongoDB's query language: built where the query is, not a record.
Query = dict[str, Any]
Doc = TypeVar("Doc", bound=Mapping[str, Any])
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
            for attempt in range(3):
                existing = {i["name"] async for i in await self.db[collection].list_indexes()}
                missing = [i for i in indexes if i.document["name"] not in existing]
                if not missing:
                    break
                try:
                    await self.db[collection].create_indexes(missing)
                    break
                except PyMongoError:
                    # Another instance starting at the same moment made them first (and
                    # FerretDB may drop our connection over it): look again.
                    if attempt == 2:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))

    async def ping(self, within: float = 1.5) -> bool:
        try:
            await asyncio.wait_for(self.db.command("ping"), within)
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self.client.close()


@dataclass(frozen=True)
class TypedCollection(Generic[Doc]):
    """A collection with the type of its documents (a service's TypedDict of what it stores
    there): with ``cases = TypedCollection(CASES, Case)``, ``cases(db)`` is the collection,
    read and written as ``Case``. Each service reads only what it wrote itself, so the type
    is stated once, here, instead of at every read."""

    name: str
    kind: type[Doc]

    def __call__(self, db: AsyncDatabase[Document]) -> AsyncCollection[Doc]:
        return cast("AsyncCollection[Doc]", db[self.name])


class DocLocks:
    """Serialises writes to one document within this process.

    FerretDB 1.24 (SQLite) applies an update by reading the document, changing it and
    writing it back, with nothing stopping a second update in between: 50 concurrent
    ``$inc`` of one field leave it at 6, and two of twenty ``update_one`` calls with the
    same condition both match. MongoDB does each single-document update atomically.
    Holding this lock around every write to a mutable document makes one process correct
    on both; several instances of a service need MongoDB. Inserts need no lock: unique
    indexes hold under concurrency on FerretDB too.
    """

    def __init__(self) -> None:
        self._locks: dict[tuple[str, object], asyncio.Lock] = {}
        self._users: dict[tuple[str, object], int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, collection: str, doc_id: object) -> AsyncIterator[None]:
        key = (collection, doc_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # nobody waits: forget it, the map stays small
                del self._users[key]
                del self._locks[key]


def duplicate(exc: PyMongoError) -> bool:
    """Whether a failed write broke a unique index. MongoDB says so with code 11000 (a
    ``DuplicateKeyError``) for inserts and updates alike; FerretDB 1.24 does for inserts but
    answers an update that breaks one with code 1 and SQLite's words."""
    if isinstance(exc, DuplicateKeyError):
        return True
    return isinstance(exc, OperationFailure) and (
        exc.code in (11000, 11001) or "UNIQUE constraint failed" in str(exc)
    )

"""Events that cannot be lost between a database write and the bus: a per-document outbox.

The change and its events are written in one single-document update, so either both happen
or neither. Then the events are published and taken off the document. If the process dies in
between, or NATS is away, ``sweep`` finds the document later and publishes again; the
stream's duplicate window (``Nats-Msg-Id`` is the event id) and the consumers' idempotency
make a second publish harmless.

Staged events are a map ``outbox.<event id>`` rather than an array, and the document carries
``outbox_at`` (when it last staged something) for the sweep to find it: FerretDB 1.24 matches
no dotted query through an array of subdocuments and removes nothing with a conditional
``$pull``, while ``$set``/``$unset`` of a dotted path work everywhere.

The sweep finds such documents by ``outbox_pending: "y"``, an indexed equality the embedded
database answers from its index (a range on ``outbox_at`` alone it answers by reading every
document: 130 s at a million cases). A collection swept once in full since this field came
is marked in ``outbox_marked``; until then the sweep reads it all, as it did before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from typing_extensions import TypedDict  # documents built on it are checked by pydantic

from shared.bus import Bus
from shared.clock import Clock
from shared.db import DocLocks, Document
from shared.events import Envelope

log = logging.getLogger(__name__)

FIELD = "outbox"
AT = "outbox_at"
PENDING = "outbox_pending"  # "y" while the document may hold staged events
MARKED = "outbox_marked"  # collections whose every staging document carries PENDING
# A projection: the document without its outbox (what a view or a change never needs).
HIDDEN = {FIELD: 0, AT: 0, PENDING: 0}
# What a collection that stages events needs indexed: the sweep's look-up.
INDEXES = [IndexModel(PENDING)]


class StagedEvent(TypedDict):
    event: dict[str, Any]  # the envelope as JSON
    staged_at: datetime


class Staged(TypedDict, total=False):
    """The outbox of a document written with events; the document types of the services
    that write so extend it."""

    outbox: dict[str, StagedEvent]  # event id -> the event
    outbox_at: datetime
    outbox_pending: str


def _entries(events: tuple[Envelope, ...], now: datetime) -> dict[str, StagedEvent]:
    return {e.id: {"event": e.model_dump(mode="json"), "staged_at": now} for e in events}


def staged(*events: Envelope) -> Staged:
    """Fields for a new document: ``insert_one({..., **staged(e1, e2)})``."""
    now = datetime.now(UTC)
    return {"outbox": _entries(events, now), "outbox_at": now, "outbox_pending": "y"}


def with_staged(update: dict[str, Any], *events: Envelope) -> dict[str, Any]:
    """``update`` with ``events`` staged in the same write."""
    now = datetime.now(UTC)
    sets = {f"{FIELD}.{eid}": entry for eid, entry in _entries(events, now).items()}
    return {**update, "$set": {**update.get("$set", {}), **sets, AT: now, PENDING: "y"}}


async def flush(
    collection: AsyncCollection[Any],
    doc_id: Any,
    events: list[Envelope],
    bus: Bus,
    locks: DocLocks,
) -> None:
    """Publish staged events and take them off the document. A failure leaves them for
    ``sweep``: the caller's change is already safe."""
    try:
        for event in events:
            await bus.publish(event)
    except Exception as exc:
        log.warning("publish deferred to the outbox relay", extra={"error": type(exc).__name__})
        bus.deferred.setdefault(collection.full_name, set()).add(doc_id)
        return
    async with locks.hold(collection.name, doc_id):
        await collection.update_one(
            {"_id": doc_id}, {"$unset": {f"{FIELD}.{e.id}": "" for e in events}}
        )


async def retry_deferred(collection: AsyncCollection[Document], bus: Bus, locks: DocLocks) -> int:
    """Publish what this process staged and could not publish; return how many."""
    waiting = bus.deferred.setdefault(collection.full_name, set())
    published = 0
    for doc_id in list(waiting):
        doc = await collection.find_one({"_id": doc_id}, {FIELD: 1})
        events = [
            Envelope.model_validate(e["event"]) for e in ((doc or {}).get(FIELD) or {}).values()
        ]
        if events:
            await flush(collection, doc_id, events, bus, locks)
            published += len(events)
        else:
            waiting.discard(doc_id)
    return published


async def sweep(
    collection: AsyncCollection[Document],
    bus: Bus,
    locks: DocLocks,
    older_than: timedelta = timedelta(seconds=5),
) -> int:
    """Publish what was staged and not flushed (older than ``older_than``); return how many."""
    cutoff = datetime.now(UTC) - older_than
    published = 0
    marks = collection.database[MARKED]
    marked = await marks.find_one({"_id": collection.name}) is not None
    query: dict[str, Any] = {AT: {"$lt": cutoff}}
    if marked:  # else: documents staged before PENDING came are found by reading them all
        query[PENDING] = "y"
    async for doc in collection.find(query, {FIELD: 1, AT: 1, PENDING: 1}):
        if PENDING not in doc:  # staged before the field came: marked, for the tidy-up
            await collection.update_one({"_id": doc["_id"]}, {"$set": {PENDING: "y"}})
        stale = [
            Envelope.model_validate(entry["event"])
            for entry in (doc.get(FIELD) or {}).values()
            if entry["staged_at"] < cutoff
        ]
        if stale:
            await flush(collection, doc["_id"], stale, bus, locks)
            published += len(stale)
        else:
            # Nothing left: tidy up, unless something was staged since we looked.
            async with locks.hold(collection.name, doc["_id"]):
                await collection.update_one(
                    {"_id": doc["_id"], AT: doc[AT]}, {"$unset": {FIELD: "", AT: "", PENDING: ""}}
                )
    if not marked:  # every document staged before was seen; those since carry PENDING
        await marks.update_one({"_id": collection.name}, {"$set": {"at": cutoff}}, upsert=True)
    return published


@dataclass
class DocumentWriter:
    """Writes to one document at a time, each with its events: the way the services change
    a document when the change has events (staged in the same write, then published), and
    serialised per document in this process (``DocLocks``) for order, not for correctness.
    Writes without events (claims, buckets, caches) go to the collection directly; what
    keeps them right across processes is the unique ``_id`` or the write's own condition."""

    db: AsyncDatabase[Document]
    bus: Bus
    locks: DocLocks
    # The time the service reads (shared.clock): one per process, moved only by tests.
    clock: Clock = field(default_factory=Clock, kw_only=True)

    async def update_with_events(
        self,
        collection: str,
        query: dict[str, Any],
        update: dict[str, Any],
        events: list[Envelope],
        *,
        upsert: bool = False,
    ) -> bool:
        """Apply ``update`` to the document ``query`` names (by ``_id``) and stage
        ``events`` in the same write, then publish them; returns whether it matched."""
        merged = with_staged(update, *events) if events else update
        async with self.locks.hold(collection, query["_id"]):
            result = await self.db[collection].update_one(query, merged, upsert=upsert)
        matched = result.matched_count > 0 or result.upserted_id is not None
        if matched and events:
            await flush(self.db[collection], query["_id"], events, self.bus, self.locks)
        return matched

    async def update(
        self,
        collection: str,
        query: dict[str, Any],
        update: dict[str, Any],
        *,
        upsert: bool = False,
    ) -> bool:
        """One write to one document, without events."""
        return await self.update_with_events(collection, query, update, [], upsert=upsert)

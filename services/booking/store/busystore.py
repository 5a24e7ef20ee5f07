"""A calendar's busy time in the database: its objects spread over a fixed number of
buckets by file name, one document per bucket, each with a version.

Why buckets: an incremental sync changes a few objects, and with one document per calendar
it rewrote all of them (5,000 objects: 200 ms of a 560 ms sync). Now it rewrites the few
buckets those objects fall in. The bucket documents are read and written by ``_id`` only
(on FerretDB any other filter scans). The confidant's sync state lists each bucket's
version, so a process keeps the buckets it has and reads again only those that changed.

An object is ``{"name": file name, "intervals": [{"s": start, "e": end}, ...], "etag": …,
"until": …}`` (the ETag it was read at and the end of the window it was read for: a full
listing reads again only what changed or what was read for too short a window). In the
database each object is one string (``encode``): FerretDB writes a bucket of strings in a
third of the time it needs for the same bucket of subdocuments, and an incremental sync is
mostly that write.
"""

from __future__ import annotations

import asyncio
import uuid
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Required, TypedDict
from urllib.parse import quote, unquote

from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError, OperationFailure

from services.booking.state import Booking
from services.booking.store.collections import BUSY
from services.booking.store.documents import CalendarLink, Versions
from shared.db import duplicate

BUCKETS = 64
# One more bucket, after the others: the objects changed since they were last folded into
# them (a deleted one as ``{"name", "gone": True}``). An incremental sync writes only this
# one document until it holds FOLD_AT objects; then they go into their buckets.
OVERLAY = BUCKETS
ALL = range(BUCKETS + 1)
FOLD_AT = 200
# Writes per request. FerretDB 1.24 held one SQLite connection per update of a command
# until it ended (deploy/ferretdb-update-iterators.patch mends our build; a stock one still
# never answers a bulk of 100 replacements), so a full sync writes its buckets in parts.
WRITE_BATCH = 32
# An upsert that lost the insert to another instance finds the document the next time.
RACE_RETRIES = 5


class Span(TypedDict):
    s: datetime
    e: datetime


class BusyObject(TypedDict, total=False):
    """One calendar object's busy time, as read for a window ending at ``until``."""

    name: Required[str]  # its file name
    intervals: list[Span]  # subdocuments, not pairs: FerretDB stores no nested arrays
    etag: str | None
    until: datetime | None
    gone: bool  # on the overlay: deleted since the buckets were written


Bucket = dict[str, BusyObject]  # file name -> object


def encode(obj: BusyObject) -> str:
    """One object as a line: name, ETag, window end, then "start end" pairs in epoch
    seconds (busy time is on whole seconds: iCalendar has no finer); a gone one as its
    name and "-"."""
    if obj.get("gone"):
        return f"{quote(obj['name'], safe='')}\t-"
    until = obj.get("until")
    pairs = ",".join(
        f"{int(i['s'].timestamp())} {int(i['e'].timestamp())}" for i in obj["intervals"]
    )
    return "\t".join(
        (
            quote(obj["name"], safe=""),
            quote(obj.get("etag") or "", safe=""),
            str(int(until.timestamp())) if until else "",
            pairs,
        )
    )


def decode(stored: str | BusyObject) -> BusyObject:
    """An object as ``encode`` stored it (or, written by an earlier version, as is)."""
    if isinstance(stored, dict):
        return stored
    if stored.endswith("\t-"):
        return {"name": unquote(stored[:-2]), "gone": True}
    name, etag, until, pairs = stored.split("\t")
    moment = datetime.fromtimestamp
    intervals: list[Span] = []
    for pair in pairs.split(",") if pairs else ():
        start, end = pair.split(" ")
        intervals.append({"s": moment(int(start), UTC), "e": moment(int(end), UTC)})
    return {
        "name": unquote(name),
        "intervals": intervals,
        "etag": unquote(etag) or None,
        "until": moment(int(until), UTC) if until else None,
    }


def busy_key(confidant_id: str, calendar: str) -> str:
    return f"{confidant_id}|{calendar}"


def bucket_of(name: str) -> int:
    """The bucket of an object: stable across processes and restarts (not ``hash()``)."""
    return zlib.crc32(name.encode()) % BUCKETS


def bucket_id(key: str, bucket: int) -> str:
    return f"{key}#{bucket:02d}"


def spread(objects: Iterable[BusyObject]) -> dict[int, Bucket]:
    """All buckets (empty ones too) of a complete set of objects."""
    buckets: dict[int, Bucket] = {b: {} for b in range(BUCKETS)}
    for obj in objects:
        buckets[bucket_of(obj["name"])][obj["name"]] = obj
    return buckets


def touched(names: Iterable[str]) -> set[int]:
    return {bucket_of(name) for name in names}


async def load(
    booking: Booking, key: str, versions: Versions | None, wanted: Iterable[int]
) -> dict[int, Bucket]:
    """The ``wanted`` buckets: from this process's copy when it is the version the
    confidant's state names, else from the database (concurrently)."""
    found: dict[int, Bucket] = {}
    missing: list[int] = []
    for b in wanted:
        cached = booking.busy_cache.get(bucket_id(key, b))
        if cached is not None and cached[0] == _version(versions, b):
            found[b] = cached[1]
        else:
            missing.append(b)
    if missing:
        collection = booking.db[BUSY]
        docs = await asyncio.gather(
            *(collection.find_one({"_id": bucket_id(key, b)}) for b in missing)
        )
        for b, doc in zip(missing, docs, strict=True):
            bucket = {o["name"]: o for o in map(decode, (doc or {}).get("objects", []))}
            found[b] = bucket
            if doc and doc.get("version"):
                booking.busy_cache[bucket_id(key, b)] = (doc["version"], bucket)
    return found


async def save(
    booking: Booking, key: str, buckets: Mapping[int, Bucket], versions: Versions | None
) -> list[str | None]:
    """Write the given buckets (whole), a delta's few in one request; the new versions."""
    new: list[str | None] = [_version(versions, b) for b in ALL]
    written: dict[int, str] = {}
    writes: list[tuple[str, dict[str, object]]] = []
    now = booking.clock.now()
    for b, bucket in buckets.items():
        written[b] = uuid.uuid4().hex[:16]  # a change marker, not a secret
        objects = [encode(o) for o in bucket.values()]
        document = {"key": key, "objects": objects, "version": written[b]}
        writes.append((bucket_id(key, b), {**document, "updated_at": now}))
    async with booking.locks.hold(BUSY, key):
        for first in range(0, len(writes), WRITE_BATCH):
            batch = writes[first : first + WRITE_BATCH]
            try:
                await booking.db[BUSY].bulk_write(
                    [ReplaceOne({"_id": i}, doc, upsert=True) for i, doc in batch], ordered=False
                )
            except (BulkWriteError, KeyError):
                # Another instance inserted the same new bucket first (the lock is per
                # process). FerretDB's answer to that lacks ``nModified``, so pymongo
                # raises KeyError instead of BulkWriteError. A whole bucket's replacement
                # is idempotent: write this batch again one by one, now replacing.
                for i, doc in batch:
                    await _replace(booking, i, doc)
    for b, version in written.items():
        booking.busy_cache[bucket_id(key, b)] = (version, dict(buckets[b]))
        new[b] = version
    return new


async def _replace(booking: Booking, bucket: str, document: dict[str, object]) -> None:
    for attempt in range(RACE_RETRIES):
        try:
            await booking.db[BUSY].replace_one({"_id": bucket}, document, upsert=True)
            return
        except OperationFailure as exc:
            if not duplicate(exc) or attempt == RACE_RETRIES - 1:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))


def _version(versions: Versions | None, b: int) -> str | None:
    # None: never written (a state from before the overlay has one version fewer).
    return versions[b] if versions is not None and b < len(versions) else None


async def intervals(
    booking: Booking, key: str, versions: Versions | None, after: datetime
) -> list[tuple[datetime, datetime]]:
    """A calendar's busy intervals that end after ``after``: the buckets' objects, each
    as the overlay has it if it has it."""
    buckets = await load(booking, key, versions, ALL)
    overlay = buckets.pop(OVERLAY)
    objects = [
        o for bucket in buckets.values() for o in bucket.values() if o["name"] not in overlay
    ]
    objects += [o for o in overlay.values() if not o.get("gone")]
    return [(i["s"], i["e"]) for o in objects for i in o["intervals"] if i["e"] > after]


async def of_calendar(
    booking: Booking, confidant_id: str, calendar: CalendarLink, after: datetime
) -> tuple[list[tuple[datetime, datetime]], bool]:
    """The busy intervals ending after ``after`` in all of a connection's calendars (those
    it reads for busy time, and the one it books into), and whether every one of them has
    been synced into buckets (False: some calendar is not known yet, so not known free).
    The sync state names each bucket's version: buckets this process holds in that version
    are not read again (a big calendar is not read at every slots request)."""
    versions = {
        c["calendar"]: c.get("versions")
        for c in (calendar.get("sync") or {}).get("calendars") or []
    }
    wanted = dict.fromkeys([*calendar.get("busy_calendars", []), calendar["booking_calendar"]])
    busy: list[tuple[datetime, datetime]] = []
    for cal in wanted:
        if versions.get(cal) is not None:
            busy += await intervals(booking, busy_key(confidant_id, cal), versions[cal], after)
    return busy, all(versions.get(cal) is not None for cal in wanted)

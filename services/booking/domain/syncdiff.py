"""What a sync changes in the busy-time buckets, as pure functions: no I/O.

A calendar's busy time is kept per object (by file name) in buckets (``busystore``). A full
listing replaces every bucket; a delta changes only the objects it names. Either way the
result must be what a fresh full read would give: the property tests hold both to that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.booking.calendars.dav import name_of
from services.booking.domain.availability import Interval
from services.booking.domain.busytime import BrokenObject, parse
from services.booking.store.busystore import Bucket, BusyObject, bucket_of, spread

Obj = BusyObject
# What was read for a window ending this much earlier is still good (a listing is renewed
# daily, and then everything is read again: recurring events grow at the window's end).
FRESH = timedelta(days=1)


@dataclass
class Parsed:
    objects: dict[str, Obj | None] = field(default_factory=dict)  # name -> object (None: drop)
    ours: dict[str, tuple[str, str, datetime]] = field(
        default_factory=dict
    )  # id -> href, etag, start
    broken: list[str] = field(default_factory=list)  # why each broken object was skipped


def read(
    objects: Mapping[str, tuple[str, str]],
    zone: ZoneInfo,
    window: Interval,
    known: Mapping[str, Obj] | None = None,
) -> Parsed:
    """The busy time of each fetched object (href -> (etag, iCalendar text)), and where our
    own appointments' events are now. A broken object is dropped, not fatal. An object in
    ``known`` at the same ETag, read for this window (or one at most a day shorter), is
    taken as it is: a full listing of 5,000 events parses only those that changed."""
    found = Parsed()
    for href, (etag, text) in objects.items():
        name = name_of(href)
        before = known.get(name) if known else None
        until = before.get("until") if before is not None else None
        if (
            before is not None
            and etag
            and before.get("etag") == etag
            and until is not None
            and window[1] - until <= FRESH
        ):
            found.objects[name] = before
            continue
        try:
            parsed = parse(text, zone, window)
        except BrokenObject as exc:
            found.objects[name] = None
            found.broken.append(str(exc))
            continue
        # Subdocuments, not pairs: FerretDB stores no nested arrays.
        found.objects[name] = {
            "name": name,
            "intervals": [{"s": start, "e": end} for start, end in parsed.busy],
            "etag": etag or None,
            "until": window[1],
        }
        for appointment_id, start in parsed.ours.items():
            found.ours[appointment_id] = (href, etag, start)
    return found


def full(
    before: Mapping[int, Bucket], objects: Mapping[str, Obj | None]
) -> tuple[dict[int, Bucket], list[str]]:
    """The buckets a complete listing changes (every one, when there were none before), and
    the names it no longer has."""
    present = {name for name, obj in objects.items() if obj is not None}
    removed = [name for bucket in before.values() for name in bucket if name not in present]
    buckets = spread(obj for obj in objects.values() if obj is not None)
    return {b: bucket for b, bucket in buckets.items() if before.get(b) != bucket}, removed


def delta(
    before: Mapping[int, Bucket], objects: Mapping[str, Obj | None], deleted: Iterable[str]
) -> dict[int, Bucket]:
    """The buckets a delta touches, changed: ``before`` holds (at least) those buckets."""
    buckets = {b: dict(bucket) for b, bucket in before.items()}  # copies: changed below
    for name, obj in objects.items():
        bucket = buckets[bucket_of(name)]
        if obj is None:
            bucket.pop(name, None)
        else:
            bucket[name] = obj
    for name in deleted:
        buckets[bucket_of(name)].pop(name, None)
    return buckets


def stage(overlay: Bucket, objects: Mapping[str, Obj | None], deleted: Iterable[str]) -> Bucket:
    """The overlay with a delta's changes on it (an unreadable object blocks nothing: gone)."""
    staged = dict(overlay)
    for name, obj in objects.items():
        staged[name] = obj if obj is not None else {"name": name, "gone": True}
    for name in deleted:
        staged[name] = {"name": name, "gone": True}
    return staged


def fold(before: Mapping[int, Bucket], overlay: Bucket) -> dict[int, Bucket]:
    """The buckets the overlay's objects fall in, with them applied (``before`` holds at
    least those buckets)."""
    objects = {name: None if obj.get("gone") else obj for name, obj in overlay.items()}
    return delta(before, objects, [])


def effective(buckets: Mapping[int, Bucket], overlay: Bucket) -> dict[int, Bucket]:
    """Every bucket as it is with the overlay applied: what a full read would give."""
    touched = {bucket_of(name) for name in overlay}
    return {**buckets, **fold({b: buckets[b] for b in touched}, overlay)}


def blocks_after(obj: Obj, since: datetime) -> bool:
    """Whether the object has busy time that ends after ``since``."""
    return any(interval["e"] > since for interval in obj["intervals"])


HELD_MINIMUM = 5  # a calendar this small may well be emptied by hand


def removal_held(known: int, removed: int, max_share: float) -> bool:
    """Whether a full sync that would remove ``removed`` of ``known`` objects is held."""
    return known >= HELD_MINIMUM and removed > max_share * known

"""Keeping busy time in step with a confidant's calendars, and the calendars with bookings.

Per calendar: the RFC 6578 delta since the stored sync token (empty: nothing to do), the
changed objects fetched in one multiget; with no token, or one the server no longer
accepts, a full time-range fetch that replaces what we had (skipped, for a server without
sync tokens, while its ctag stays the same). Busy time is stored per calendar object in
buckets (``busystore``), so a delta rewrites only the buckets of the objects that changed.

Our own booked events come back in the booking calendar: one the confidant moved moves the
appointment (or, onto time that is not free, is kept and reported as a conflict); one they
deleted cancels it. Either way an event goes out, so notify tells the employee.

A sync that fails is recorded (the confidant sees it); once the last success is older than
the limit, the confidant's slots close and ``booking.calendar.sync_failed`` goes out once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp

from services.booking.calendars.dav import DavError, name_of
from services.booking.calendars.provider import Calendars, open_calendars
from services.booking.domain import syncdiff
from services.booking.state import Booking
from services.booking.store import busystore
from services.booking.store.busystore import busy_key
from services.booking.store.claims import Taken, cancel, move
from services.booking.store.collections import APPOINTMENTS, BUSY, CONFIDANTS
from services.booking.store.documents import (
    Appointment,
    CalendarState,
    Confidant,
    Versions,
    appointments,
    confidants,
)
from shared.event_schemas import CalendarConflict, CalendarSyncFailed
from shared.events import new_event

log = logging.getLogger(__name__)
PAST = timedelta(days=1)  # busy time kept behind now (today's appointments still show)
AHEAD = timedelta(days=366)
# A listing read the window of its day: recurring events grow new occurrences at its end, and
# a Graph delta link keeps the window it was made with. A day on, the next sync lists again.
RELIST = timedelta(days=1)


async def sync_confidant(
    booking: Booking,
    confidant: Confidant,
    now: datetime | None = None,
    *,
    force_full: bool = False,
    accept_removals: bool = False,
) -> dict[str, float]:
    """Sync every calendar of one confidant; returns counts of what happened."""
    now = now or booking.clock.now()
    calendar = confidant.get("calendar")
    if not calendar:
        raise DavError("unauthorized", "no calendar is connected")
    zone = ZoneInfo(confidant.get("timezone", "Europe/Amsterdam"))
    window = (now - PAST, now + AHEAD)
    report: dict[str, float] = {
        "calendars": 0,
        "unchanged": 0,
        "delta": 0,
        "full": 0,
        "objects": 0,
        "deleted": 0,
        "broken": 0,
        "moved": 0,
        "cancelled": 0,
    }
    # A list, not a map by URL: URLs hold dots, which document keys may not.
    states: dict[str, CalendarState] = {
        c["calendar"]: c for c in (calendar.get("sync") or {}).get("calendars") or []
    }
    wanted = list(
        dict.fromkeys([*calendar.get("busy_calendars", []), calendar["booking_calendar"]])
    )
    try:
        async with aiohttp.ClientSession() as session:
            source = open_calendars(booking, session, confidant)
            for cal in wanted:
                report["calendars"] += 1
                states[cal] = await _sync_calendar(
                    booking,
                    source,
                    confidant,
                    cal,
                    states.get(cal) or {},
                    zone,
                    window,
                    force_full,
                    report,
                    accept_removals,
                )
            report["server_ms"] = round(source.waited_s * 1000, 1)  # of it, the server's share
    except DavError as exc:
        await _failed(booking, confidant, now, exc)
        raise
    await booking.update_with_events(
        CONFIDANTS,
        {"_id": confidant["_id"]},
        {
            "$set": {
                "calendar.sync.calendars": list(states.values()),
                "calendar.sync.last_success": now,
                "calendar.sync.last_error": None,
                "calendar.sync.failing_since": None,
                "calendar.sync.announced": False,
                "calendar.sync.not_before": None,
            }
        },
        [],
    )
    return report


@dataclass
class Fetched:
    """What one calendar's server said: a delta, or the full listing (``full``)."""

    full: bool
    token: str | None
    ctag: str | None
    listed: datetime | None  # the end of the window the last full listing read
    objects: dict[str, tuple[str, str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


async def _fetch(
    source: Calendars,
    cal: str,
    state: CalendarState,
    window: tuple[datetime, datetime],
    force_full: bool,
    report: dict[str, float],
) -> Fetched | None:
    """The delta since the stored token, or a full listing when there is no token, the
    server forgot it, or the last listing is a day old; None when nothing changed."""
    token, ctag, versions = state.get("token"), state.get("ctag"), state.get("versions")
    listed = state.get("listed")
    relist = listed is not None and window[1] - listed.replace(tzinfo=UTC) > RELIST
    if token and not (force_full or relist or versions is None):
        # With a sync token the delta itself says whether anything changed: no ctag first
        # (on Radicale the ctag costs two thirds of the delta, and a change pays for both).
        try:
            changes = await source.delta(cal, token)
        except DavError as exc:
            if exc.kind != "invalid":
                raise
            # the server forgot our token: a full listing below
        else:
            report["delta" if changes.changed or changes.deleted else "unchanged"] += 1
            token = changes.token or token
            if not changes.changed and not changes.deleted:
                return Fetched(False, token, ctag, listed)  # nothing to apply
            return Fetched(False, token, ctag, listed, changes.objects, changes.deleted)
    # A server without sync tokens: the ctag tells whether the full fetch is needed.
    ctag = await source.ctag(cal)
    same = ctag and ctag == state.get("ctag")
    if not (force_full or relist or token) and same and versions:
        report["unchanged"] += 1
        return None
    token, objects = await source.listing(cal, *window)
    report["full"] += 1
    return Fetched(True, token, ctag, window[1], objects)


async def _sync_calendar(
    booking: Booking,
    source: Calendars,
    confidant: Confidant,
    cal: str,
    state: CalendarState,
    zone: ZoneInfo,
    window: tuple[datetime, datetime],
    force_full: bool,
    report: dict[str, float],
    accept_removals: bool = False,
) -> CalendarState:
    fetched = await _fetch(source, cal, state, window, force_full, report)
    if fetched is None:
        return state
    if not fetched.full and not fetched.objects and not fetched.deleted:
        return {**state, "token": fetched.token}
    cid = confidant["_id"]
    key = busy_key(cid, cal)
    versions = state.get("versions")
    raw: dict[int, busystore.Bucket] = {}
    overlay: busystore.Bucket = {}
    if fetched.full:
        raw = await busystore.load(booking, key, versions, busystore.ALL)
        overlay = raw.pop(busystore.OVERLAY)
    before = syncdiff.effective(raw, overlay)
    known = {name: obj for bucket in before.values() for name, obj in bucket.items()}
    found = syncdiff.read(fetched.objects, zone, window, known)
    for reason in found.broken:
        log.warning("calendar object skipped", extra={"confidant_id": cid, "reason": reason})
    report["broken"] += len(found.broken)
    report["objects"] += len(found.objects) - len(found.broken)
    if fetched.full:
        deleted = [name for name in known if found.objects.get(name) is None]
        # Only what still blocks time counts: a listing vouches for its window, and what
        # ended before it is not in it without being gone.
        count = sum(syncdiff.blocks_after(obj, window[0]) for obj in known.values())
        lost = sum(syncdiff.blocks_after(known[name], window[0]) for name in deleted)
        if not accept_removals and syncdiff.removal_held(
            count, lost, booking.settings.sync_max_removal_share
        ):
            # A listing that suddenly lacks most of a calendar is more likely a server in
            # trouble than a confidant who emptied it: nothing is applied, the confidant is
            # told, and "update now" with accept_removals=1 applies it once they confirm.
            raise DavError("held", f"the server listed {count - lost} of {count} known events")
        buckets, _ = syncdiff.full(raw, found.objects)  # what differs from what is stored
        if versions is None:  # the first listing writes every bucket, empty ones too
            buckets = {**{b: {} for b in range(busystore.BUCKETS)}, **buckets}
        if overlay or versions is None:
            buckets[busystore.OVERLAY] = {}
    else:
        deleted = [name_of(h) for h in fetched.deleted]
        buckets = await _staged(booking, key, versions, found.objects, deleted)
    report["deleted"] += len(deleted)
    versions = await busystore.save(booking, key, buckets, versions)
    if fetched.full:  # what a version before the buckets kept, in one document per calendar
        await booking.db[BUSY].delete_one({"_id": key})
    booking_calendar = (confidant.get("calendar") or {}).get("booking_calendar")
    if cal == booking_calendar and (fetched.full or found.ours or deleted):
        # A listing vouches only for its window: an appointment that ended before it is
        # not in it, and is not gone (it happened).
        # A listing names what is there (from its window on); a delta names what is gone.
        present = set(fetched.objects) if fetched.full else None
        gone = set() if fetched.full else set(deleted)
        await _follow_confidant(booking, confidant, found.ours, gone, present, window[0], report)
    return {
        "calendar": cal,
        "ctag": fetched.ctag,
        "token": fetched.token,
        "versions": versions,
        "listed": fetched.listed,
    }


async def _staged(
    booking: Booking,
    key: str,
    versions: Versions | None,
    objects: dict[str, syncdiff.Obj | None],
    deleted: list[str],
) -> dict[int, busystore.Bucket]:
    """A delta's changes, on the overlay: one small document to write, until it holds
    enough to be folded into the buckets."""
    loaded = await busystore.load(booking, key, versions, [busystore.OVERLAY])
    staged = syncdiff.stage(loaded[busystore.OVERLAY], objects, deleted)
    if len(staged) <= busystore.FOLD_AT:
        return {busystore.OVERLAY: staged}
    loaded = await busystore.load(booking, key, versions, busystore.touched(staged))
    return {**syncdiff.fold(loaded, staged), busystore.OVERLAY: {}}


async def _follow_confidant(
    booking: Booking,
    confidant: Confidant,
    seen: dict[str, tuple[str, str, datetime]],
    deleted: set[str],
    present: set[str] | None,
    listed_from: datetime,
    report: dict[str, float],
) -> None:
    """Apply what the confidant did to booked events in their own calendar: ``deleted``
    the server named as gone; ``present`` (a full listing) all there is from ``listed_from``
    on."""
    query = {
        "confidant_id": confidant["_id"],
        "status": "booked",
        "calendar.href": {"$ne": None},
        "calendar.pending": None,
    }
    async for appointment in appointments(booking.db).find(query, {"outbox": 0}):
        # Servers answer with paths (or names), we wrote to full URLs: compare file names.
        href = name_of(str(appointment["calendar"]["href"]))  # (the query asks for one)
        missing = (
            present is not None
            and appointment["end"].replace(tzinfo=UTC) > listed_from
            and href not in {name_of(h) for h in present}
        )
        if href in {name_of(h) for h in deleted} or missing:
            await _cancel_by_calendar(booking, appointment)
            report["cancelled"] += 1
        elif appointment["_id"] in seen:
            _, etag, start = seen[appointment["_id"]]
            if start != appointment["start"]:
                duration = appointment["end"] - appointment["start"]
                before = appointment["start"] - appointment["occupied"][0]
                after = appointment["occupied"][1] - appointment["end"]
                taken = (start - before, start + duration + after)
                try:
                    await move(booking, appointment, start, duration, taken, "calendar")
                    await booking.update(
                        APPOINTMENTS,
                        {"_id": appointment["_id"]},
                        {"$set": {"calendar.etag": etag, "calendar.pending": None}},
                    )
                    report["moved"] += 1
                except Taken:  # the new time is not free: keep ours, say so
                    await booking.update_with_events(
                        APPOINTMENTS,
                        {"_id": appointment["_id"]},
                        {"$set": {"calendar.pending": "put"}},
                        [
                            new_event(
                                CalendarConflict,
                                {
                                    "appointment_id": appointment["_id"],
                                    "case_id": appointment["case_id"],
                                    "confidant_id": appointment["confidant_id"],
                                },
                                source="booking",
                                occurred_at=booking.clock.now(),
                                org_id=appointment["org_id"],
                            )
                        ],
                    )


async def _cancel_by_calendar(booking: Booking, appointment: Appointment) -> None:
    # Gone from the calendar already: nothing of it is left there to take out.
    await cancel(booking, appointment, "calendar", {"calendar.href": None})


async def _failed(booking: Booking, confidant: Confidant, now: datetime, error: DavError) -> None:
    kind = error.kind
    sync = (confidant.get("calendar") or {}).get("sync") or {}
    since = sync.get("failing_since") or now
    limit = timedelta(seconds=booking.settings.sync_stale_after_s)
    last = sync.get("last_success")
    stale = last is None or now - last > limit
    events = []
    if stale and not sync.get("announced"):
        events.append(
            new_event(
                CalendarSyncFailed,
                {"confidant_id": confidant["_id"], "since": since, "error": kind},
                source="booking",
                occurred_at=now,
            )
        )
    await booking.update_with_events(
        CONFIDANTS,
        {"_id": confidant["_id"]},
        {
            "$set": {
                "calendar.sync.last_error": kind,
                "calendar.sync.failing_since": since,
                "calendar.sync.last_attempt": now,
                "calendar.sync.announced": bool(sync.get("announced") or events),
                # A provider that asked to wait is not asked again before then.
                "calendar.sync.not_before": now + timedelta(seconds=error.retry_after)
                if error.retry_after is not None
                else None,
            }
        },
        events,
    )


async def sync_all(booking: Booking) -> None:
    """Every confidant with a calendar, a few at a time."""
    gate = asyncio.Semaphore(4)

    async def one(confidant: Confidant) -> None:
        async with gate:
            try:
                await sync_confidant(booking, confidant)
            except DavError:
                pass  # recorded on the confidant by sync_confidant

    now = booking.clock.now()
    connected = (
        await confidants(booking.db).find({"calendar": {"$ne": None}}, {"outbox": 0}).to_list(None)
    )
    await asyncio.gather(*(one(c) for c in connected if _due(c, now)))


def _due(confidant: Confidant, now: datetime) -> bool:
    calendar = confidant.get("calendar")
    if not calendar:
        return False
    wait = (calendar.get("sync") or {}).get("not_before")
    return wait is None or wait.replace(tzinfo=UTC) <= now

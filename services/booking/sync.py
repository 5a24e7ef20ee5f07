"""Keeping busy time in step with a confidant's calendars, and the calendars with bookings.

Per calendar: the ctag shortcut (unchanged: nothing to fetch), then the RFC 6578 delta
since the stored sync token, fetched in one multiget; with no token, or one the server no
longer accepts, a full time-range fetch that replaces what we had. Busy time is stored per
calendar object, so a delta touches only the objects that changed.

Our own booked events come back in the booking calendar: one the confidant moved moves the
appointment (or, onto time that is not free, is kept and reported as a conflict); one they
deleted cancels it. Either way an event goes out, so notify tells the employee.

A sync that fails is recorded (the confidant sees it); once the last success is older than
the limit, the confidant's slots close and ``booking.calendar.sync_failed`` goes out once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from shared.events import new_event

from .busytime import BrokenObject, parse
from .dav import Creds, Dav, DavError
from .schedule import Taken, move
from .state import Booking
from .store import APPOINTMENTS, BUSY, CLAIMS, CONFIDANTS

log = logging.getLogger(__name__)
PAST = timedelta(days=1)  # busy time kept behind now (today's appointments still show)


def busy_key(confidant_id: str, calendar: str) -> str:
    return f"{confidant_id}|{calendar}"


def creds_of(booking: Booking, confidant: dict[str, Any]) -> Creds:
    calendar = confidant["calendar"]
    password = booking.cipher.open(
        calendar["password"], doc_id=confidant["_id"], field="calendar.password"
    )
    return Creds(calendar["url"], calendar["username"], password)


async def sync_confidant(
    booking: Booking,
    confidant: dict[str, Any],
    now: datetime | None = None,
    *,
    force_full: bool = False,
) -> dict[str, float]:
    """Sync every calendar of one confidant; returns counts of what happened."""
    now = now or datetime.now(UTC)
    calendar = confidant["calendar"]
    zone = ZoneInfo(confidant.get("timezone", "Europe/Amsterdam"))
    window = (now - PAST, now + timedelta(days=366))
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
    states: dict[str, Any] = {
        c["calendar"]: c for c in (calendar.get("sync") or {}).get("calendars") or []
    }
    wanted = list(
        dict.fromkeys([*calendar.get("busy_calendars", []), calendar["booking_calendar"]])
    )
    try:
        async with aiohttp.ClientSession() as session:
            dav = Dav(session, creds_of(booking, confidant))
            for cal in wanted:
                report["calendars"] += 1
                states[cal] = await _sync_calendar(
                    booking,
                    dav,
                    confidant,
                    cal,
                    states.get(cal) or {},
                    zone,
                    window,
                    force_full,
                    report,
                )
            report["server_ms"] = round(dav.waited_s * 1000, 1)  # of it, the server's share
    except DavError as exc:
        await _failed(booking, confidant, now, exc.kind)
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
            }
        },
        [],
    )
    return report


async def _sync_calendar(
    booking: Booking,
    dav: Dav,
    confidant: dict[str, Any],
    cal: str,
    state: dict[str, Any],
    zone: ZoneInfo,
    window: tuple[datetime, datetime],
    force_full: bool,
    report: dict[str, float],
) -> dict[str, Any]:
    ctag = await dav.ctag(cal)
    token = state.get("token")
    if not force_full and ctag and ctag == state.get("ctag"):
        report["unchanged"] += 1
        return state
    objects: dict[str, tuple[str, str]]
    deleted: list[str] = []
    full = force_full or not state.get("token")
    if not full:
        try:
            changes = await dav.changes(cal, state["token"])
            objects = await dav.fetch(cal, changes.changed)
            deleted, token = changes.deleted, changes.token or token
            report["delta"] += 1
        except DavError as exc:
            if exc.kind != "invalid":
                raise
            full = True  # the server forgot our token (or never kept one)
    if full:
        token = await dav.sync_token(cal)  # first: changes after it show up next time
        objects = await dav.window(cal, *window)
        report["full"] += 1

    cid = confidant["_id"]
    is_booking_calendar = cal == confidant["calendar"]["booking_calendar"]
    key = busy_key(cid, cal)
    # The calendar's busy time is one document, read and written by _id: on FerretDB any
    # other filter scans the collection, which made per-object documents slow to sync and
    # to read for every slots request.
    cached = booking.busy_cache.get(key)
    if cached is not None and cached[0] == state.get("version"):
        stored = cached[1]  # this process wrote the current version: no need to read it
    else:
        stored = await booking.db[BUSY].find_one({"_id": key}) or {}
    # Objects by file name, without ETags: half the size to read and write at every sync.
    known: dict[str, Any] = {} if full else {o["name"]: o for o in stored.get("objects", [])}
    before = {o["name"] for o in stored.get("objects", [])}
    seen_ours: dict[str, tuple[str, str, datetime]] = {}
    for href, (etag, text) in objects.items():
        try:
            parsed = parse(text, zone, window)
        except BrokenObject as exc:
            report["broken"] += 1
            log.warning("calendar object skipped", extra={"confidant_id": cid, "reason": str(exc)})
            known.pop(_name(href), None)
            continue
        report["objects"] += 1
        # Subdocuments, not pairs: FerretDB stores no nested arrays.
        known[_name(href)] = {
            "name": _name(href),
            "intervals": [{"s": start, "e": end} for start, end in parsed.busy],
        }
        for appointment_id, start in parsed.ours.items():
            seen_ours[appointment_id] = (href, etag, start)
    if full:
        gone = before - {_name(h) for h in objects}
        deleted = [h for h in before if h in gone]
    for href in deleted:
        known.pop(_name(href), None)
    report["deleted"] += len(deleted)
    version = uuid.uuid4().hex
    document = {
        "confidant_id": cid,
        "calendar": cal,
        "objects": list(known.values()),
        "version": version,
        "updated_at": datetime.now(UTC),
    }
    async with booking.locks.hold(BUSY, key):
        await booking.db[BUSY].replace_one({"_id": key}, document, upsert=True)
    booking.busy_cache[key] = (version, document)
    if is_booking_calendar and (full or seen_ours or deleted):
        await _follow_confidant(
            booking, confidant, seen_ours, set(deleted), full, set(objects), report
        )
    return {"calendar": cal, "ctag": ctag, "token": token, "version": version}


async def _follow_confidant(
    booking: Booking,
    confidant: dict[str, Any],
    seen: dict[str, tuple[str, str, datetime]],
    deleted: set[str],
    full: bool,
    present: set[str],
    report: dict[str, float],
) -> None:
    """Apply what the confidant did to booked events in their own calendar."""
    query = {
        "confidant_id": confidant["_id"],
        "status": "booked",
        "calendar.href": {"$ne": None},
        "calendar.pending": None,
    }
    async for appointment in booking.db[APPOINTMENTS].find(query, {"outbox": 0}):
        # Servers answer with paths (or names), we wrote to full URLs: compare file names.
        href = _name(appointment["calendar"]["href"])
        if href in {_name(h) for h in deleted} or (
            full and href not in {_name(h) for h in present}
        ):
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
                                "booking.calendar.conflict",
                                {
                                    "appointment_id": appointment["_id"],
                                    "case_id": appointment["case_id"],
                                    "confidant_id": appointment["confidant_id"],
                                },
                                source="booking",
                                org_id=appointment["org_id"],
                            )
                        ],
                    )


def _name(href: str) -> str:
    return _path(href).rstrip("/").rsplit("/", 1)[-1]


def _path(href: str) -> str:
    return unquote(urlsplit(href).path)  # servers may write "@" as "%40"


async def _cancel_by_calendar(booking: Booking, appointment: dict[str, Any]) -> None:
    event = new_event(
        "booking.appointment.cancelled",
        {
            "appointment_id": appointment["_id"],
            "case_id": appointment["case_id"],
            "confidant_id": appointment["confidant_id"],
            "cancelled_by": "calendar",
            "sequence": appointment.get("sequence", 0),
        },
        source="booking",
        org_id=appointment["org_id"],
    )
    if await booking.update_with_events(
        APPOINTMENTS,
        {"_id": appointment["_id"], "status": "booked"},
        {"$set": {"status": "cancelled", "updated_at": datetime.now(UTC), "calendar.href": None}},
        [event],
    ):
        await booking.db[CLAIMS].delete_many({"appointment_id": appointment["_id"]})


async def _failed(booking: Booking, confidant: dict[str, Any], now: datetime, kind: str) -> None:
    sync = (confidant.get("calendar") or {}).get("sync") or {}
    since = sync.get("failing_since") or now
    limit = timedelta(seconds=booking.settings.sync_stale_after_s)
    last = sync.get("last_success")
    stale = last is None or now - last > limit
    events = []
    if stale and not sync.get("announced"):
        events.append(
            new_event(
                "booking.calendar.sync_failed",
                {"confidant_id": confidant["_id"], "since": since, "error": kind},
                source="booking",
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
            }
        },
        events,
    )


async def sync_all(booking: Booking) -> None:
    """Every confidant with a calendar, a few at a time."""
    gate = asyncio.Semaphore(4)

    async def one(confidant: dict[str, Any]) -> None:
        async with gate:
            try:
                await sync_confidant(booking, confidant)
            except DavError:
                pass  # recorded on the confidant by sync_confidant

    confidants = (
        await booking.db[CONFIDANTS].find({"calendar": {"$ne": None}}, {"outbox": 0}).to_list(None)
    )
    await asyncio.gather(*(one(c) for c in confidants if c.get("calendar")))

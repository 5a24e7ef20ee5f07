"""A confidant's calendar connection: connect (validated), sync on demand, and the busy
time it holds (for the agenda's week view: when, never what)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from shared.http import ApiError, Endpoint, read_body

from . import busystore
from .api import confidant_or_admin, confidant_view, get_confidant, is_current, window_of
from .availability import within
from .dav import Creds, DavError, discover
from .models import CalendarConnect
from .state import BOOKING
from .sync import sync_confidant


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/") + "/"


async def connect_calendar(request: web.Request) -> web.Response:
    confidant_id = request.match_info["confidant_id"]
    confidant_or_admin(request, confidant_id)
    booking = request.app[BOOKING]
    await get_confidant(booking, confidant_id)
    body = await read_body(request, CalendarConnect)
    try:
        found = await asyncio.to_thread(discover, Creds(body.url, body.username, body.password))
    except DavError as exc:
        field = {"unauthorized": "password"}.get(exc.kind, "url")
        raise ApiError(422, "invalid", str(exc), {field: str(exc)}) from None
    if not found:
        raise ApiError(422, "invalid", "no calendars found", {"url": "no calendars found"})
    by_path = {_path(url): url for url, _ in found}

    def pick(url: str, field: str) -> str:
        if _path(url) not in by_path:
            raise ApiError(
                422,
                "invalid",
                "not one of the account's calendars",
                {field: "not one of the account's calendars"},
            )
        return by_path[_path(url)]

    busy = (
        [pick(u, "busy_calendars") for u in body.busy_calendars]
        if body.busy_calendars
        else [url for url, _ in found]
    )
    booking_calendar = (
        pick(body.booking_calendar, "booking_calendar") if body.booking_calendar else found[0][0]
    )
    calendar: dict[str, Any] = {
        "url": body.url,
        "username": body.username,
        "password": booking.cipher.seal(
            body.password, doc_id=confidant_id, field="calendar.password"
        ),
        "busy_calendars": busy,
        "booking_calendar": booking_calendar,
        "sync": {"last_success": None, "connected_at": datetime.now(UTC)},
    }
    await booking.update_with_events(
        "confidants", {"_id": confidant_id}, {"$set": {"calendar": calendar}}, []
    )
    confidant = await get_confidant(booking, confidant_id)
    try:  # the first sync right away: without it the slots stay closed
        await sync_confidant(booking, confidant)
    except DavError:
        pass  # recorded in the sync state the answer shows
    view = confidant_view(await get_confidant(booking, confidant_id))
    view["calendars"] = [{"url": url, "name": name} for url, name in found]
    return web.json_response(view)


async def sync_now(request: web.Request) -> web.Response:
    confidant_id = request.match_info["confidant_id"]
    confidant_or_admin(request, confidant_id)
    booking = request.app[BOOKING]
    confidant = await get_confidant(booking, confidant_id)
    if not confidant.get("calendar"):
        raise ApiError(409, "conflict", "this confidant has no calendar connected")
    try:
        report = await sync_confidant(
            booking,
            confidant,
            force_full=request.query.get("full") == "1",
            accept_removals=request.query.get("accept_removals") == "1",
        )
    except DavError as exc:
        if exc.kind == "held":
            raise ApiError(
                409,
                "sync_held",
                f"{exc}; if you removed those events yourself, update with accept_removals=1",
            ) from None
        raise ApiError(502, "calendar_unavailable", f"the calendar server: {exc}") from None
    return web.json_response(
        {"report": report, **confidant_view(await get_confidant(booking, confidant_id))}
    )


async def busy_time(request: web.Request) -> web.Response:
    """The busy time in the confidant's own calendars within ``?from=&to=``, merged (our own
    appointments are not in it), and whether it is current: ``not_connected``; ``stale``
    (not read for too long: what was last read is shown, and no slots are offered);
    ``current``."""
    confidant_id = request.match_info["confidant_id"]
    confidant_or_admin(request, confidant_id)
    window = window_of(request, required=True)
    assert window is not None  # (required)
    booking = request.app[BOOKING]
    confidant = await get_confidant(booking, confidant_id)
    calendar = confidant.get("calendar")
    if not calendar:
        return web.json_response({"calendar": "not_connected", "busy": []})
    sync = calendar.get("sync") or {}
    last = sync.get("last_success")
    state = "current" if is_current(booking, calendar, datetime.now(UTC)) else "stale"
    busy, _ = await busystore.of_calendar(booking, confidant_id, calendar, window[0])
    return web.json_response(
        {
            "calendar": state,
            "last_success": last.isoformat() if last else None,
            "busy": [
                {"start": s.isoformat(), "end": e.isoformat()} for s, e in within(busy, *window)
            ],
        }
    )


ENDPOINTS = [
    Endpoint(
        "PUT",
        "/v1/confidants/{confidant_id}/calendar",
        connect_calendar,
        "Connect a CalDAV account (checked by connecting); the password is sealed.",
        roles=["admin", "confidant"],
        body=CalendarConnect,
        scope="own",
    ),
    Endpoint(
        "POST",
        "/v1/confidants/{confidant_id}/calendar/sync",
        sync_now,
        "Sync now (?full=1: a full fetch; ?accept_removals=1: apply a held one); shows the state.",
        roles=["admin", "confidant"],
        scope="own",
    ),
    Endpoint(
        "GET",
        "/v1/confidants/{confidant_id}/calendar/busy",
        busy_time,
        "Busy time in the confidant's calendars within ?from=&to= (at most 42 days), merged.",
        roles=["admin", "confidant"],
        scope="own",
    ),
]

"""A confidant's calendar connection: connect (validated), sync on demand, and the busy
time it holds (for the agenda's week view: when, never what)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal, Required
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from services.booking.api.appointments import window
from services.booking.api.confidants import confidant_or_admin, get_confidant
from services.booking.api.models import CalendarAuthorize, CalendarAuthorized, CalendarConnect
from services.booking.calendars import oauth
from services.booking.calendars.dav import Creds, DavError, discover
from services.booking.calendars.sync import sync_confidant
from services.booking.domain.availability import within
from services.booking.domain.blocked import is_current
from services.booking.state import BOOKING, Booking
from services.booking.store import busystore
from services.booking.store.collections import CONFIDANTS
from services.booking.store.documents import (
    CalendarLink,
    Confidant,
    Connected,
    Synced,
    confidant_view,
)
from shared.errors import Conflict, Invalid, Unavailable, UpstreamFailed
from shared.http import Endpoint, Moment, answers, read_body


class Span(TypedDict):
    start: str
    end: str


class BusyView(TypedDict, total=False):
    calendar: Required[Literal["current", "stale", "not_connected"]]
    last_success: str | None
    busy: Required[list[Span]]


class Authorize(TypedDict):
    authorize_url: str  # where the confidant gives consent


async def _whose(request: web.Request) -> tuple[Booking, Confidant]:
    """The confidant of the path, if the caller is them (or an admin)."""
    confidant_id = request.match_info["confidant_id"]
    confidant_or_admin(request, confidant_id)
    booking = request.app[BOOKING]
    return booking, await get_confidant(booking, confidant_id)


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/") + "/"


@answers(Connected)
async def connect_calendar(request: web.Request) -> web.Response:
    """A CalDAV or iCloud account, with a password: checked by discovering its calendars."""
    booking, confidant = await _whose(request)
    confidant_id = confidant["_id"]
    body = await read_body(request, CalendarConnect)
    url = body.url or booking.settings.icloud_caldav_url
    try:
        found = await asyncio.to_thread(discover, Creds(url, body.username, body.password))
    except DavError as exc:
        field = {"unauthorized": "password"}.get(exc.kind, "url")
        raise Invalid(str(exc), {field: str(exc)}) from None
    if not found:
        raise Invalid("no calendars found", {"url": "no calendars found"})
    busy, booking_calendar = _chosen(found, body.busy_calendars, body.booking_calendar)
    calendar: CalendarLink = {
        "provider": body.provider,
        "url": url,
        "username": body.username,
        "password": booking.cipher.seal(
            body.password, doc_id=confidant_id, field="calendar.password"
        ),
        "busy_calendars": busy,
        "booking_calendar": booking_calendar,
    }
    return await _connected(booking, confidant_id, calendar, found)


def _chosen(
    found: list[tuple[str, str]], busy: list[str] | None, booking_calendar: str | None
) -> tuple[list[str], str]:
    """The calendars that count as busy and the one bookings go to: the account's own
    (all, and the first), or those asked for, if the account has them."""
    by_path = {_path(url): url for url, _ in found}

    def pick(url: str, field: str) -> str:
        if _path(url) not in by_path:
            raise Invalid(
                "not one of the account's calendars", {field: "not one of the account's calendars"}
            )
        return by_path[_path(url)]

    return (
        [pick(u, "busy_calendars") for u in busy] if busy else [url for url, _ in found],
        pick(booking_calendar, "booking_calendar") if booking_calendar else found[0][0],
    )


async def _connected(
    booking: Booking, confidant_id: str, calendar: CalendarLink, found: list[tuple[str, str]]
) -> web.Response:
    calendar["sync"] = {"last_success": None, "connected_at": booking.clock.now()}
    await booking.update_with_events(
        CONFIDANTS, {"_id": confidant_id}, {"$set": {"calendar": calendar}}, []
    )
    confidant = await get_confidant(booking, confidant_id)
    try:  # the first sync right away: without it the slots stay closed
        await sync_confidant(booking, confidant)
    except DavError:
        pass  # recorded in the sync state the answer shows
    view = confidant_view(await get_confidant(booking, confidant_id))
    view["calendars"] = [{"url": url, "name": name} for url, name in found]
    return web.json_response(view)


@answers(Authorize)
async def authorize(request: web.Request) -> web.Response:
    """Start connecting Google or Microsoft 365: where to send the confidant to consent."""
    booking, confidant = await _whose(request)
    confidant_id = confidant["_id"]
    body = await read_body(request, CalendarAuthorize)
    provider = oauth.providers(booking.settings).get(body.provider)
    if provider is None:
        message = "this installation has no client registration for that provider"
        raise Invalid(message, {"provider": message})
    back = booking.settings.redirect_uri(str(request.url.origin()))
    url = await oauth.start(booking, provider, confidant_id, back, booking.clock.now())
    return web.json_response({"authorize_url": url})


@answers(Connected)
async def authorized(request: web.Request) -> web.Response:
    """Finish connecting: the code and state the provider sent the confidant back with are
    traded for a grant, the account's calendar is found and read."""
    booking, confidant = await _whose(request)
    confidant_id = confidant["_id"]
    body = await read_body(request, CalendarAuthorized)
    try:
        account = await oauth.connect(booking, confidant_id, body.state, body.code)
    except oauth.OAuthError as exc:
        raise Invalid(str(exc), {exc.field: str(exc)}) from None
    except DavError as exc:
        raise UpstreamFailed(f"the provider: {exc}", code="calendar_unavailable") from None
    found, tokens = account.calendars, account.tokens
    if not found:
        raise Invalid("the account has no calendar to write to", {"code": "none"})
    cipher = booking.cipher
    calendar: CalendarLink = {
        "provider": account.provider,
        "url": account.url,
        "username": account.username,
        "grant": cipher.seal(str(tokens.refresh), doc_id=confidant_id, field="calendar.grant"),
        "access": cipher.seal(tokens.access, doc_id=confidant_id, field="calendar.access"),
        "access_until": booking.clock.now() + timedelta(seconds=tokens.expires_in),
        "busy_calendars": [found[0][0]],
        "booking_calendar": found[0][0],
    }
    return await _connected(booking, confidant_id, calendar, found)


@answers(Synced)
async def sync_now(request: web.Request) -> web.Response:
    booking, confidant = await _whose(request)
    confidant_id = confidant["_id"]
    if not confidant.get("calendar"):
        raise Conflict("this confidant has no calendar connected")
    try:
        report = await sync_confidant(
            booking,
            confidant,
            force_full=request.query.get("full") == "1",
            accept_removals=request.query.get("accept_removals") == "1",
        )
    except DavError as exc:
        if exc.kind == "held":
            raise Conflict(
                f"{exc}; if you removed those events yourself, update with accept_removals=1",
                code="sync_held",
            ) from None
        if exc.kind == "revoked":
            raise Conflict(str(exc), code="calendar_revoked") from None
        if exc.kind == "throttled":
            wait = str(round(exc.retry_after or 60))
            raise Unavailable(
                f"the calendar provider asks to wait {wait} s",
                code="calendar_throttled",
                retry_after=int(wait),
            ) from None
        raise UpstreamFailed(f"the calendar server: {exc}", code="calendar_unavailable") from None
    return web.json_response(
        {"report": report, **confidant_view(await get_confidant(booking, confidant_id))}
    )


@answers(BusyView)
async def busy_time(request: web.Request) -> web.Response:
    """The busy time in the confidant's own calendars within ``?from=&to=``, merged (our own
    appointments are not in it), and whether it is current: ``not_connected``; ``stale``
    (not read for too long: what was last read is shown, and no slots are offered);
    ``current``."""
    confidant_id = request.match_info["confidant_id"]
    confidant_or_admin(request, confidant_id)
    span = window(request)
    booking = request.app[BOOKING]
    confidant = await get_confidant(booking, confidant_id)
    calendar = confidant.get("calendar")
    if not calendar:
        return web.json_response({"calendar": "not_connected", "busy": []})
    sync = calendar.get("sync") or {}
    last = sync.get("last_success")
    state = "current" if is_current(booking, calendar, booking.clock.now()) else "stale"
    busy, _ = await busystore.of_calendar(booking, confidant_id, calendar, span[0])
    return web.json_response(
        {
            "calendar": state,
            "last_success": last.isoformat() if last else None,
            "busy": [
                {"start": s.isoformat(), "end": e.isoformat()} for s, e in within(busy, *span)
            ],
        }
    )


class Window(BaseModel):
    """``?from=&to=``: ISO 8601 with an offset, at most 42 days apart."""

    model_config = ConfigDict(populate_by_name=True)

    from_: Moment = Field(alias="from")
    to: Moment


class SyncQuery(BaseModel):
    full: Literal["0", "1"] = "0"  # a full fetch instead of the changes
    accept_removals: Literal["0", "1"] = "0"  # apply a sync held for removing too much


ENDPOINTS = [
    Endpoint(
        "PUT",
        "/v1/confidants/{confidant_id}/calendar",
        connect_calendar,
        "Connect a CalDAV or iCloud account (checked by connecting); the password is sealed.",
        roles=["admin", "confidant"],
        body=CalendarConnect,
        scope="own",
    ),
    Endpoint(
        "POST",
        "/v1/confidants/{confidant_id}/calendar/authorize",
        authorize,
        "Start connecting Google or Microsoft 365 (OAuth with PKCE): the URL to consent at.",
        roles=["admin", "confidant"],
        body=CalendarAuthorize,
        scope="own",
    ),
    Endpoint(
        "POST",
        "/v1/confidants/{confidant_id}/calendar/authorized",
        authorized,
        "Finish connecting with the code and state the provider sent back.",
        roles=["admin", "confidant"],
        body=CalendarAuthorized,
        scope="own",
    ),
    Endpoint(
        "POST",
        "/v1/confidants/{confidant_id}/calendar/sync",
        sync_now,
        "Sync now (?full=1: a full fetch; ?accept_removals=1: apply a held one); shows the state.",
        query=SyncQuery,
        roles=["admin", "confidant"],
        scope="own",
    ),
    Endpoint(
        "GET",
        "/v1/confidants/{confidant_id}/calendar/busy",
        busy_time,
        "Busy time in the confidant's calendars within ?from=&to= (at most 42 days), merged.",
        query=Window,
        roles=["admin", "confidant"],
        scope="own",
    ),
]

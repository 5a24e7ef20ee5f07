"""Microsoft 365 and Outlook.com calendars through Microsoft Graph (they have no CalDAV).

The same four operations as ``dav.Dav``, so the sync and the writer do not know which
provider they talk to:

- ``listing``: a new round of ``calendarView/delta`` over the window, page by page
  (``@odata.nextLink``) to its ``@odata.deltaLink``, which is the sync token;
- ``delta``: that link followed, the changed events and the ``@removed`` ones; a link Graph
  no longer knows (410 Gone) means a new round;
- ``write``: ``POST .../events`` with ``transactionId`` (a retried create makes no second
  event), ``PATCH`` with ``If-Match`` to move it; ``remove``: ``DELETE``.

Each event is turned into the small iCalendar object the rest of the sync reads: its span
in UTC, free (``showAs: free``) as transparent, cancelled as cancelled, ours by the
``transactionId`` we gave it. Tentative, out of office, working elsewhere and unknown all
count as busy. Any answer that is not the JSON Graph documents is an error, never an
empty calendar.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from icalendar import Calendar, Event

from services.booking.calendars import ics
from services.booking.calendars.dav import TIMEOUT, Changes, DavError, Token, retry_after
from services.booking.store.documents import Appointment
from shared.wire import Json

PAGE = 200  # events per page asked for (Graph may send fewer)
MAX_PAGES = 1000  # a round longer than this is a server going round in circles
FREE = {"free"}
_KINDS = {401: "unauthorized", 403: "unauthorized", 404: "not_found", 410: "invalid"}


def _when(value: Any, all_day: bool) -> datetime:
    """A Graph ``dateTimeTimeZone``: UTC, as asked for with ``Prefer: outlook.timezone``."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise DavError("malformed", "Graph: an event without start or end")
    zone_name = value.get("timeZone") or "UTC"
    try:
        zone = UTC if zone_name == "UTC" else ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DavError("malformed", f"Graph: a time in zone {zone_name!r}") from None
    try:
        moment = datetime.fromisoformat(value["dateTime"][:26])  # 7 decimals: Python reads 6
    except ValueError:
        raise DavError("malformed", "Graph: an unreadable dateTime") from None
    return moment if all_day else moment.replace(tzinfo=zone).astimezone(UTC)


def to_ics(event: Mapping[str, Any]) -> str:
    """One Graph event (a single instance, an occurrence or an exception of a series: a
    calendar view expands series) as an iCalendar object."""
    all_day = bool(event.get("isAllDay"))
    start, end = _when(event.get("start"), all_day), _when(event.get("end"), all_day)
    vevent = Event()
    transaction = event.get("transactionId")
    ours = isinstance(transaction, str) and ics.appointment_id_from(transaction) is not None
    vevent.add("uid", transaction if ours else f"{event['id']}@graph")
    # All-day events are dates, read in the confidant's own zone like CalDAV's.
    vevent.add("dtstart", start.date() if all_day else start)
    vevent.add("dtend", end.date() if all_day else end)
    vevent.add("dtstamp", datetime(2000, 1, 1, tzinfo=UTC))
    if str(event.get("showAs", "busy")).lower() in FREE:
        vevent.add("transp", "TRANSPARENT")
    if event.get("isCancelled"):
        vevent.add("status", "CANCELLED")
    calendar = Calendar()
    calendar.add("prodid", "-//Vertrouwd//graph//NL")
    calendar.add("version", "2.0")
    calendar.add_component(vevent)
    text: str = calendar.to_ical().decode()
    return text


def event_of(appointment: Appointment, *, create: bool) -> Json:
    """The appointment as a Graph event (nothing about the person or the case)."""

    def when(moment: datetime) -> dict[str, str]:
        return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}

    body: Json = {
        "subject": ics.SUMMARY,
        "body": {"contentType": "text", "content": ics.description_of(appointment)},
        "start": when(appointment["start"]),
        "end": when(appointment["end"]),
        "showAs": "busy",
        "location": {"displayName": ics.where_of(appointment) or ""},
    }
    if create:  # set once: Graph refuses to change it later
        body["transactionId"] = ics.uid(appointment["_id"])
    return body


class Graph:
    """One confidant's Microsoft 365 account, over one aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: Token) -> None:
        self.session = session
        self.base = base.rstrip("/") + "/"
        self.token = token
        self.waited_s = 0.0

    async def _call(
        self,
        method: str,
        url: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
        renewed: bool = False,
    ) -> tuple[int, Json, Mapping[str, str]]:
        started = time.perf_counter()
        try:
            bearer = await self.token(renewed)
            async with self.session.request(
                method,
                url,
                json=body,
                timeout=TIMEOUT,
                headers={
                    "Authorization": f"Bearer {bearer}",
                    "Prefer": f'outlook.timezone="UTC", odata.maxpagesize={PAGE}',
                    **(headers or {}),
                },
            ) as response:
                status = response.status
                if status == 401 and not renewed:
                    return await self._call(method, url, body, headers, ok, renewed=True)
                if status in (429, 503) and "Retry-After" in response.headers:
                    raise DavError(
                        "throttled", "Graph asks to wait", status, retry_after(response.headers)
                    )
                if status not in ok:
                    raise DavError(
                        _KINDS.get(status, "other"), f"Graph {method} answered {status}", status
                    )
                if status == 204:
                    return status, {}, response.headers
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if kind != "application/json":
                    raise DavError("malformed", f"Graph {method} answered {kind or 'no type'}")
                try:
                    found = await response.json()
                except ValueError:
                    raise DavError("malformed", f"Graph {method}: the JSON is not whole") from None
                if not isinstance(found, dict):
                    raise DavError("malformed", f"Graph {method}: not a JSON object")
                return status, found, response.headers
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DavError("unreachable", f"Graph {method}: {type(exc).__name__}") from None
        finally:
            self.waited_s += time.perf_counter() - started

    async def account(self) -> str:
        """The signed-in account's address, to show which one is connected."""
        _, me, _ = await self._call("GET", f"{self.base}me")
        name = me.get("mail") or me.get("userPrincipalName")
        if not isinstance(name, str) or not name:
            raise DavError("malformed", "Graph: /me without an address")
        return name

    async def calendars(self) -> list[tuple[str, str, bool]]:
        """(url, name, is the default) of the account's calendars it can write to."""
        _, found, _ = await self._call("GET", f"{self.base}me/calendars")
        value = found.get("value")
        if not isinstance(value, list):
            raise DavError("malformed", "Graph: no calendar list")
        return [
            (
                f"{self.base}me/calendars/{quote(c['id'], safe='')}",
                str(c.get("name") or ""),
                bool(c.get("isDefaultCalendar")),
            )
            for c in value
            if isinstance(c, dict) and isinstance(c.get("id"), str) and c.get("canEdit", True)
        ]

    async def ctag(self, calendar: str) -> str | None:
        return None  # Graph has no cheap "anything changed?": the delta link is that

    async def _round(self, url: str) -> tuple[str, dict[str, tuple[str, str]], list[str]]:
        """Every page from ``url`` to the delta link: the link, the events (id -> (etag,
        iCalendar)) and the ids Graph says were removed."""
        objects: dict[str, tuple[str, str]] = {}
        removed: list[str] = []
        for _ in range(MAX_PAGES):
            _, page, _ = await self._call("GET", url)
            value = page.get("value")
            if not isinstance(value, list):
                raise DavError("malformed", "Graph delta: a page without a value list")
            for item in value:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise DavError("malformed", "Graph delta: an item without an id")
                if "@removed" in item:
                    removed.append(item["id"])
                    objects.pop(item["id"], None)
                else:
                    objects[item["id"]] = (str(item.get("@odata.etag", "")), to_ics(item))
            following, done = page.get("@odata.nextLink"), page.get("@odata.deltaLink")
            if isinstance(done, str) and not following:
                return done, objects, removed
            if not isinstance(following, str):
                raise DavError("malformed", "Graph delta: a page with neither next nor delta link")
            url = following
        raise DavError("malformed", f"Graph delta: more than {MAX_PAGES} pages")

    async def listing(
        self, calendar: str, start: datetime, end: datetime
    ) -> tuple[str | None, dict[str, tuple[str, str]]]:
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        query = urlencode(
            {
                "startDateTime": start.astimezone(UTC).strftime(fmt),
                "endDateTime": end.astimezone(UTC).strftime(fmt),
            }
        )
        link, objects, _ = await self._round(f"{calendar}/calendarView/delta?{query}")
        return link, objects

    async def delta(self, calendar: str, token: str) -> Changes:
        if not token.startswith(self.base):
            raise DavError("invalid", "a delta link of another account")  # a new round
        link, objects, removed = await self._round(token)
        return Changes(token=link, changed=list(objects), deleted=removed, objects=objects)

    async def write(
        self, calendar: str, appointment: Appointment, href: str | None, etag: str | None
    ) -> tuple[str, str | None]:
        if href is None:
            _, made, _ = await self._call(
                "POST", f"{calendar}/events", event_of(appointment, create=True), ok=(200, 201)
            )
            if not isinstance(made.get("id"), str):
                raise DavError("malformed", "Graph: a created event without an id")
            href = f"{self.base}me/events/{quote(made['id'], safe='')}"
            return href, made.get("@odata.etag")
        body = event_of(appointment, create=False)
        try:
            _, changed, _ = await self._call(
                "PATCH", href, body, {"If-Match": etag} if etag else {}
            )
        except DavError as exc:
            if exc.status != 412:
                raise
            # Changed meanwhile: ours is the appointment's truth, written over it.
            _, changed, _ = await self._call("PATCH", href, body)
        return href, changed.get("@odata.etag")

    async def remove(self, href: str, etag: str | None) -> None:
        try:
            await self._call("DELETE", href, None, {"If-Match": etag} if etag else {}, ok=(204,))
        except DavError as exc:
            if exc.status == 404:
                return  # gone already is what we wanted
            if exc.status != 412:
                raise
            await self._call("DELETE", href, None, ok=(204, 404))

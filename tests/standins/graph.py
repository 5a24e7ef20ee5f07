"""Microsoft Graph's calendar endpoints as booking uses them, over an OAuth stand-in:
``/me``, ``/me/calendars``, ``calendarView/delta`` (pages with ``@odata.nextLink``, a round
ending in ``@odata.deltaLink``, ``@removed`` for deleted events, 410 for a link it no longer
knows), events created with ``transactionId`` (a repeated create gives the same event),
changed with ``If-Match`` (412 when the etag is old) and deleted. Answers are in the shapes
recorded in ``shapes/``.

The confidant's own doings in Outlook are ``add``, ``move`` and ``delete``. Knobs:
``throttle(n)`` (the next n calls get 429 with ``Retry-After``), ``expire_deltas()``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .oauth import OAuthServer, shape

DEFAULT = "cal-default"
HOLIDAYS = "cal-holidays"


def _when(moment: datetime) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": "UTC",
    }


def _read(value: dict[str, str]) -> datetime:
    return datetime.fromisoformat(value["dateTime"][:19]).replace(tzinfo=UTC)


@dataclass
class GraphServer:
    oauth: OAuthServer
    page_size: int = 3  # small, so that every round has pages
    version: int = 0
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> event (+ "_v")
    removed: dict[str, int] = field(default_factory=dict)  # id -> version it was deleted at
    deltas: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    throttled: int = 0
    retry_after: int = 7
    calls: int = 0
    portal: bool = False  # a captive portal or proxy answers in Graph's place: 200, a page

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1.0/me", self.me),
            web.get("/v1.0/me/calendars", self.calendars),
            web.get("/v1.0/me/calendars/{cid}/calendarView/delta", self.delta),
            web.post("/v1.0/me/calendars/{cid}/events", self.create),
            web.patch("/v1.0/me/events/{eid}", self.update),
            web.delete("/v1.0/me/events/{eid}", self.remove),
        ]

    # -- what the confidant does in Outlook ------------------------------------------------
    def _bump(self, event: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        event["_v"] = self.version
        event["@odata.etag"] = f'W/"{secrets.token_urlsafe(12)}"'
        return event

    def add(
        self,
        start: datetime,
        end: datetime,
        *,
        show_as: str = "busy",
        all_day: bool = False,
        cancelled: bool = False,
        subject: str = "Overleg",
    ) -> str:
        eid = f"AAMk{secrets.token_urlsafe(12)}="
        self.events[eid] = self._bump(
            {
                "@odata.type": "#microsoft.graph.event",
                "id": eid,
                "subject": subject,
                "isAllDay": all_day,
                "isCancelled": cancelled,
                "showAs": show_as,
                "type": "singleInstance",
                "transactionId": None,
                "start": _when(start),
                "end": _when(end),
                "calendar": DEFAULT,
            }
        )
        return eid

    def move(self, eid: str, start: datetime, end: datetime) -> None:
        event = self.events[eid]
        event.update({"start": _when(start), "end": _when(end)})
        self._bump(event)

    def delete(self, eid: str) -> None:
        del self.events[eid]
        self.version += 1
        self.removed[eid] = self.version

    def expire_deltas(self) -> None:
        self.deltas.clear()

    def ours(self) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e.get("transactionId")]

    # -- the API ---------------------------------------------------------------------------
    def _gate(self, request: web.Request) -> None:
        self.calls += 1
        if self.portal:
            raise web.HTTPOk(
                text="<html><body>Log in to the Wi-Fi</body></html>", content_type="text/html"
            )
        if self.throttled > 0:
            self.throttled -= 1
            raise web.HTTPTooManyRequests(
                text=web.json_response(shape("graph_error_429.json")).text,
                content_type="application/json",
                headers={"Retry-After": str(self.retry_after)},
            )
        if not self.oauth.valid(request):
            body = {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}
            raise web.HTTPUnauthorized(
                text=web.json_response(body).text, content_type="application/json"
            )

    @staticmethod
    def _public(event: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in event.items() if k not in ("_v", "calendar")}

    async def me(self, request: web.Request) -> web.Response:
        self._gate(request)
        return web.json_response({"mail": self.oauth.email, "userPrincipalName": self.oauth.email})

    async def calendars(self, request: web.Request) -> web.Response:
        self._gate(request)
        body = shape("graph_calendars.json")
        body["value"][0]["id"], body["value"][1]["id"] = DEFAULT, HOLIDAYS
        return web.json_response(body)

    def _link(self, request: web.Request, key: str, value: str) -> str:
        return f"{request.url.origin()}{request.path}?${key}={value}"

    async def delta(self, request: web.Request) -> web.Response:
        self._gate(request)
        q = request.query
        if "$skiptoken" in q:
            page = self.pages.pop(q["$skiptoken"], None)
            if page is None:
                return web.json_response(shape("graph_error_410.json"), status=410)
            return self._page(request, page["items"], page["final"])
        if "$deltatoken" in q:
            since = self.deltas.get(q["$deltatoken"])
            if since is None:
                return web.json_response(shape("graph_error_410.json"), status=410)
            start, end = since["start"], since["end"]
            items: list[dict[str, Any]] = [
                self._public(e)
                for e in self.events.values()
                if e["_v"] > since["version"]
                and _read(e["start"]) < end
                and _read(e["end"]) > start
            ]
            items += [
                {
                    "@odata.type": "#microsoft.graph.event",
                    "id": eid,
                    "@removed": {"reason": "deleted"},
                }
                for eid, v in self.removed.items()
                if v > since["version"]
            ]
        else:
            try:
                start = datetime.fromisoformat(q["startDateTime"].replace("Z", "+00:00"))
                end = datetime.fromisoformat(q["endDateTime"].replace("Z", "+00:00"))
            except (KeyError, ValueError):
                body = {"error": {"code": "ErrorInvalidParameter", "message": "startDateTime"}}
                return web.json_response(body, status=400)
            items = [
                self._public(e)
                for e in self.events.values()
                if e["calendar"] == request.match_info["cid"]
                and _read(e["start"]) < end
                and _read(e["end"]) > start
            ]
        token = secrets.token_urlsafe(16)
        self.deltas[token] = {"version": self.version, "start": start, "end": end}
        return self._page(request, items, token)

    def _page(self, request: web.Request, items: list[dict[str, Any]], final: str) -> web.Response:
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)"
        }
        body["value"], rest = items[: self.page_size], items[self.page_size :]
        if rest:
            skip = secrets.token_urlsafe(16)
            self.pages[skip] = {"items": rest, "final": final}
            body["@odata.nextLink"] = self._link(request, "skiptoken", skip)
        else:
            body["@odata.deltaLink"] = self._link(request, "deltatoken", final)
        return web.json_response(body)

    async def create(self, request: web.Request) -> web.Response:
        self._gate(request)
        sent = await request.json()
        transaction = sent.get("transactionId")
        for event in self.events.values():  # a create sent again makes no second event
            if transaction and event.get("transactionId") == transaction:
                return web.json_response(self._public(event), status=201)
        event = shape("graph_event_created.json")
        event.pop("@odata.context")
        event.update(
            {
                "id": f"AAMk{secrets.token_urlsafe(12)}=",
                "transactionId": transaction,
                "subject": sent["subject"],
                "showAs": sent.get("showAs", "busy"),
                "start": _when(_read(sent["start"])),
                "end": _when(_read(sent["end"])),
                "location": sent.get("location", {}),
                "body": sent.get("body"),
                "calendar": request.match_info["cid"],
            }
        )
        self.events[event["id"]] = self._bump(event)
        return web.json_response(self._public(event), status=201)

    async def update(self, request: web.Request) -> web.Response:
        self._gate(request)
        event = self.events.get(request.match_info["eid"])
        if event is None:
            return web.json_response({"error": {"code": "ErrorItemNotFound"}}, status=404)
        match = request.headers.get("If-Match")
        if match and match != event["@odata.etag"]:
            return web.json_response({"error": {"code": "ErrorIrresolvableConflict"}}, status=412)
        sent = await request.json()
        if "transactionId" in sent:
            return web.json_response({"error": {"code": "ErrorInvalidRequest"}}, status=400)
        for key in ("start", "end"):
            if key in sent:
                event[key] = _when(_read(sent[key]))
        event.update({k: sent[k] for k in ("subject", "location", "body", "showAs") if k in sent})
        return web.json_response(self._public(self._bump(event)))

    async def remove(self, request: web.Request) -> web.Response:
        self._gate(request)
        eid = request.match_info["eid"]
        if eid not in self.events:
            return web.json_response({"error": {"code": "ErrorItemNotFound"}}, status=404)
        self.delete(eid)
        return web.Response(status=204)

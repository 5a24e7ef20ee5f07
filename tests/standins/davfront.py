"""Google's and Apple's CalDAV as booking meets them, in front of a real CalDAV server
(Radicale): the requests go through unchanged but for the paths, which are rewritten both
ways, so the client sees the provider's URL shapes and the server does the CalDAV.

- ``GoogleCalDav``: ``/caldav/v2/<address>/events/`` with an OAuth bearer token (checked
  against the OAuth stand-in), 429 with ``Retry-After`` when throttled.
- ``ICloud``: discovery on one host (``current-user-principal``, then a
  ``calendar-home-set`` on a partition host of another name, as ``caldav.icloud.com`` sends
  ``pNN-caldav.icloud.com``), Basic authentication with the Apple ID and an app password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from .oauth import OAuthServer

FORWARDED = ("Depth", "Content-Type", "If-Match", "If-None-Match")
KEPT = ("Content-Type", "ETag")


@dataclass
class Rewrite:
    """Forward ``public`` paths to ``private`` ones on ``upstream`` and back."""

    upstream: str  # scheme://host:port of the real server
    auth: dict[str, str]  # how the real server is logged in to
    public: str = ""
    private: str = ""
    session: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request, public: str, private: str) -> web.Response:
        if self.session is None:
            self.session = aiohttp.ClientSession()
        path = request.raw_path
        target = f"{self.upstream}{private}{path[len(public) :]}"
        headers = {k: request.headers[k] for k in FORWARDED if k in request.headers}
        body = await request.read()
        body = body.replace(public.encode(), private.encode())
        async with self.session.request(
            request.method, target, data=body or None, headers={**headers, **self.auth}
        ) as answer:
            data = await answer.read()
            kept = {k: answer.headers[k] for k in KEPT if k in answer.headers}
            return web.Response(
                status=answer.status,
                body=data.replace(private.encode(), public.encode()),
                headers=kept,
            )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


@dataclass
class GoogleCalDav:
    oauth: OAuthServer
    rewrite: Rewrite
    calendar_path: str  # the Radicale calendar that plays the account's calendar
    throttled: int = 0
    calls: int = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/caldav/v2/{address}/events/{tail:.*}", self.handle)]

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.throttled > 0:
            self.throttled -= 1
            return web.Response(status=429, headers={"Retry-After": "11"}, text="Rate Limit")
        if not self.oauth.valid(request):
            return web.Response(
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
                text="Unauthorized",
            )
        if request.match_info["address"] != self.oauth.email:
            return web.Response(status=403, text="Forbidden")
        public = request.raw_path.split("/events/")[0] + "/events/"
        return await self.rewrite.forward(request, public, self.calendar_path)


PRINCIPAL = "/1234567/principal/"
HOME = "/1234567/calendars/"


def _multistatus(href: str, props: str) -> web.Response:
    return web.Response(
        status=207,
        content_type="application/xml",
        text=(
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop>"
            "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"
        ),
    )


@dataclass
class ICloud:
    apple_id: str
    app_password: str
    rewrite: Rewrite
    home_path: str  # the Radicale collection that plays the account's calendar home
    partition: Callable[[], str] = field(default=lambda: "")  # its base URL, once running

    def _allowed(self, request: web.Request) -> bool:
        try:
            auth = aiohttp.BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return False
        return (auth.login, auth.password) == (self.apple_id, self.app_password)

    def discovery_routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/{tail:.*}", self.discover)]

    def partition_routes(self) -> list[web.RouteDef]:
        return [web.route("*", HOME + "{tail:.*}", self.calendars)]

    async def discover(self, request: web.Request) -> web.Response:
        if request.path == "/.well-known/caldav":
            raise web.HTTPMovedPermanently("/")
        if not self._allowed(request):
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="iCloud"'})
        if request.method != "PROPFIND":
            return web.Response(status=405)
        if request.path == PRINCIPAL:
            home = f"{self.partition()}{HOME}"
            return _multistatus(
                PRINCIPAL,
                f"<c:calendar-home-set><d:href>{home}</d:href></c:calendar-home-set>"
                f"<d:current-user-principal><d:href>{PRINCIPAL}</d:href>"
                "</d:current-user-principal><d:resourcetype><d:principal/></d:resourcetype>",
            )
        return _multistatus(
            request.path,
            f"<d:current-user-principal><d:href>{PRINCIPAL}</d:href></d:current-user-principal>",
        )

    async def calendars(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="iCloud"'})
        return await self.rewrite.forward(request, HOME, self.home_path)

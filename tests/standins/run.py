"""The three providers' stand-ins started together, for the API and browser tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from deploy.stack.places import DEMO_CALDAV_USER

from .davfront import GoogleCalDav, ICloud, Rewrite
from .graph import GraphServer
from .oauth import OAuthServer

CALDAV_USER, CALDAV_PASSWORD = DEMO_CALDAV_USER
CALDAV_AUTH = {"Authorization": aiohttp.encode_basic_auth(CALDAV_USER, CALDAV_PASSWORD)}
APP_PASSWORD = "abcd-efgh-ijkl-mnop"


@dataclass
class Providers:
    google_oauth: OAuthServer
    google: GoogleCalDav
    microsoft_oauth: OAuthServer
    graph: GraphServer
    icloud: ICloud
    calendar: str  # the Radicale calendar behind Google (direct URL)
    home: str  # the Radicale calendar behind iCloud (direct URL)
    home_name: str  # its name in the account
    env: dict[str, str]


async def dav(method: str, url: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers=CALDAV_AUTH) as response,
    ):
        assert response.status == 201, await response.text()


@contextlib.asynccontextmanager
async def running_providers(caldav_url: str) -> AsyncIterator[Providers]:
    """Google, iCloud and Microsoft stand-ins on local ports, their calendars in the
    Radicale at ``caldav_url``; ``env`` points booking at them."""
    origin = caldav_url.rstrip("/")
    tag = uuid.uuid4().hex[:8]
    calendar_path, home_path = f"/{CALDAV_USER}/g-{tag}/", f"/{CALDAV_USER}/"
    await dav("MKCALENDAR", f"{origin}{calendar_path}")
    # iCloud's home is the Radicale principal (Radicale keeps no deeper collections), where
    # other tests' calendars are too: this test names its own.
    await dav("MKCALENDAR", f"{origin}{home_path}i-{tag}/")

    rewrite = Rewrite(upstream=origin, auth=CALDAV_AUTH)
    google_oauth = OAuthServer(
        "g-client", "g-secret", "anna@example.org", "https://accounts.google.com"
    )
    microsoft_oauth = OAuthServer(
        "m-client", "m-secret", "anna@contoso.nl", "https://login.microsoftonline.com", True
    )
    google = GoogleCalDav(google_oauth, rewrite, calendar_path)
    graph = GraphServer(microsoft_oauth)
    app = web.Application()
    app.add_routes(
        [
            *google_oauth.routes("/o/oauth2/v2/auth", "/token"),
            *microsoft_oauth.routes("/common/oauth2/v2.0/authorize", "/common/oauth2/v2.0/token"),
            *graph.routes(),
            *google.routes(),
        ]
    )
    icloud = ICloud("anna@icloud.com", APP_PASSWORD, rewrite, home_path)
    discovery, partition = web.Application(), web.Application()
    discovery.add_routes(icloud.discovery_routes())
    partition.add_routes(icloud.partition_routes())
    servers = [TestServer(app), TestServer(discovery), TestServer(partition)]
    for server in servers:
        await server.start_server()
    base, found, part = (str(s.make_url("")).rstrip("/") for s in servers)
    # Another host name than discovery's, as Apple's partitions are.
    icloud.partition = lambda: part.replace("127.0.0.1", "localhost")
    env = {
        "BOOKING_GOOGLE_CLIENT_ID": "g-client",
        "BOOKING_GOOGLE_CLIENT_SECRET": "g-secret",
        "BOOKING_GOOGLE_AUTHORIZE_URL": f"{base}/o/oauth2/v2/auth",
        "BOOKING_GOOGLE_TOKEN_URL": f"{base}/token",
        "BOOKING_GOOGLE_CALDAV_URL": f"{base}/caldav/v2/",
        "BOOKING_MICROSOFT_CLIENT_ID": "m-client",
        "BOOKING_MICROSOFT_CLIENT_SECRET": "m-secret",
        "BOOKING_MICROSOFT_AUTHORIZE_URL": f"{base}/common/oauth2/v2.0/authorize",
        "BOOKING_MICROSOFT_TOKEN_URL": f"{base}/common/oauth2/v2.0/token",
        "BOOKING_MICROSOFT_GRAPH_URL": f"{base}/v1.0/",
        "BOOKING_ICLOUD_CALDAV_URL": f"{found}/",
    }
    try:
        yield Providers(
            google_oauth,
            google,
            microsoft_oauth,
            graph,
            icloud,
            f"{origin}{calendar_path}",
            f"{origin}{home_path}i-{tag}/",
            f"i-{tag}",
            env,
        )
    finally:
        await rewrite.close()
        for server in servers:
            await server.close()

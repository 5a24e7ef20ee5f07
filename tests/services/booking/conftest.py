"""Booking on real FerretDB and NATS: a confidant with working hours, appointment types."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from deploy.stack.calendars import digest_front, xandikos
from deploy.stack.infra import Infra, running
from deploy.stack.places import DEMO_CALDAV_USER
from deploy.stack.process import free_port
from services.booking.domain.rules import public_holidays
from services.booking.state import BOOKING, Booking
from tests import scene
from tests.conftest import Isolation, StartService
from tests.scene import bearer as bearer  # (imported from here by other tests)
from tests.scene import booking as booking_body

Client = TestClient[web.Request, web.Application]
CALDAV_USER, CALDAV_PASSWORD = DEMO_CALDAV_USER
CALDAV_AUTH = {"Authorization": aiohttp.encode_basic_auth(CALDAV_USER, CALDAV_PASSWORD)}
AMS = ZoneInfo("Europe/Amsterdam")
ORG = "org-noord"


def state(client: Client) -> Booking:
    app: web.Application | None = client.app
    assert app is not None
    return app[BOOKING]


@dataclass(frozen=True)
class CalendarServer:
    """A CalDAV account the service connects to, and one calendar of it for this test."""

    name: str
    base: str  # what the confidant enters
    user: str
    password: str
    url: str  # the calendar, as the service reaches it
    direct: str  # the same calendar, for the test's own requests (no Digest needed)


@pytest.fixture(scope="session")
def xandikos_front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Xandikos, and lighttpd in front of it asking for HTTP Digest: (front, direct)."""
    if not (shutil.which("lighttpd") or Path("/usr/sbin/lighttpd").exists()):
        pytest.fail("lighttpd is missing: 'make test' installs it (apt-get install lighttpd)")
    data = tmp_path_factory.mktemp("xandikos")
    upstream, port = free_port(), free_port()
    server = xandikos(data / "xandikos", upstream)
    front = digest_front(data / "front", port, upstream, CALDAV_USER, CALDAV_PASSWORD)
    with running([server], [front]):
        yield front.url, server.url


async def make_calendar(url: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.request("MKCALENDAR", url, headers=CALDAV_AUTH) as response,
    ):
        assert response.status == 201, await response.text()


@pytest.fixture(params=["radicale", "xandikos"])
async def calendar(request: pytest.FixtureRequest, infra: Infra) -> CalendarServer:
    """A calendar of this test's own on each CalDAV server in turn: Radicale with Basic
    authentication, Xandikos behind a front that asks for Digest."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    if request.param == "radicale":
        if "radicale" not in {p.name for p in infra.processes}:
            pytest.skip("these tests create calendars in the embedded Radicale")
        url = f"{infra.caldav_url}{CALDAV_USER}/{name}/"
        await make_calendar(url)
        return CalendarServer("radicale", infra.caldav_url, CALDAV_USER, CALDAV_PASSWORD, url, url)
    front, direct = request.getfixturevalue("xandikos_front")
    await make_calendar(f"{direct}user/calendars/{name}/")
    return CalendarServer(
        "xandikos",
        front,
        CALDAV_USER,
        CALDAV_PASSWORD,
        f"{front}user/calendars/{name}/",
        f"{direct}user/calendars/{name}/",
    )


@pytest.fixture
async def calendar_url(infra: Infra) -> str:
    """A calendar of this test's own in Radicale."""
    if "radicale" not in {p.name for p in infra.processes}:
        pytest.skip("these tests create calendars in the embedded Radicale")
    url = f"{infra.caldav_url}{CALDAV_USER}/t-{uuid.uuid4().hex[:8]}/"
    async with (
        aiohttp.ClientSession() as session,
        session.request("MKCALENDAR", url, headers=CALDAV_AUTH) as response,
    ):
        assert response.status == 201, await response.text()
    return url


@pytest.fixture
async def booking(start_service: StartService) -> Client:
    return await start_service("booking")


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token("admin", "booking"))


@pytest.fixture
def reporter(token: Callable[..., str]) -> Callable[[str], dict[str, str]]:
    def headers(case_id: str = "case-1", org_id: str = ORG) -> dict[str, str]:
        return bearer(token("employee", ["intake", "booking"], org_id=org_id, case_id=case_id))

    return headers


WEEKDAYS = scene.WEEKDAYS


async def setup_confidant(
    client: Client, admin: dict[str, str], confidant_id: str = "c-anna", **hours: Any
) -> None:
    created = await client.post(
        "/v1/confidants",
        headers=admin,
        json={
            "id": confidant_id,
            "display_name": "Anna",
            "org_ids": [ORG],
            "locations": [
                {"id": "hq", "name": "Hoofdkantoor", "address": "Stationsplein 1, Zwolle"}
            ],
        },
    )
    assert created.status == 201, await created.text()
    set_hours = await client.put(
        f"/v1/confidants/{confidant_id}/hours", headers=admin, json={"weekly": WEEKDAYS, **hours}
    )
    assert set_hours.status == 200, await set_hours.text()


async def setup_type(client: Client, admin: dict[str, str], **fields: Any) -> None:
    """The appointment type "gesprek": an hour, online, bookable at once (plus ``fields``)."""
    made = await client.post(
        "/v1/appointment-types",
        headers=admin,
        json={
            "id": "gesprek",
            "name": {"nl": "Gesprek", "en": "Conversation"},
            "duration_min": 60,
            "modes": ["online"],
            "min_notice_min": 0,
            **fields,
        },
    )
    assert made.status == 201, await made.text()


body = booking_body  # an online "gesprek" with c-anna at a time


async def resync(client: Client, **options: Any) -> dict[str, float]:
    """Sync c-anna's calendar now, from what the database holds of her."""
    from services.booking.calendars.sync import sync_confidant
    from services.booking.store.documents import confidants

    confidant = await confidants(state(client).db).find_one({"_id": "c-anna"})
    assert confidant is not None
    return await sync_confidant(state(client), confidant, **options)


@pytest.fixture
async def ready(booking: Client, admin: dict[str, str]) -> Client:
    await setup_confidant(booking, admin)
    await setup_type(
        booking,
        admin,
        modes=["online", "on_location", "walk"],
        buffer_after_min=15,
        interval_min=30,
    )
    return booking


@dataclass
class Desk:
    """What most booking tests start from: booking with c-anna and the "gesprek" type set
    up, the admin's headers, a case's headers (``reporter("case-2")``), the token maker and
    the test's servers."""

    ready: Client
    admin: dict[str, str]
    reporter: Callable[..., dict[str, str]]
    token: Callable[..., str]
    infra: Infra
    isolation: Isolation


@pytest.fixture
def desk(
    ready: Client,
    admin: dict[str, str],
    reporter: Callable[..., dict[str, str]],
    token: Callable[..., str],
    infra: Infra,
    isolation: Isolation,
) -> Desk:
    return Desk(ready, admin, reporter, token, infra, isolation)


def next_weekday_at(hour: int, days_ahead: int = 2) -> datetime:
    """A working day (a weekday, not a Dutch public holiday: those are closed) at least
    ``days_ahead`` days out, at ``hour`` Amsterdam time, as UTC."""
    day = datetime.now(AMS).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5 or day in public_holidays("NL", day.year):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMS).astimezone(UTC)

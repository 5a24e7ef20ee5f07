"""Google, iCloud and Microsoft 365 calendars, each against a local stand-in that answers
as the provider documents (``tests/standins``), with booking's own client code unchanged:
OAuth with PKCE from consent to refresh, a revoked grant, throttling with Retry-After,
discovery on a partition host, Graph's delta rounds and an expired delta link."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from aiohttp import ClientResponse

from deploy.stack.infra import Infra
from services.booking.calendars.sync import sync_all
from services.booking.calendars.writer import write_pending
from tests.conftest import StartService
from tests.services.booking.conftest import (
    AMS,
    Client,
    Desk,
    body,
    next_weekday_at,
    resync,
    setup_confidant,
    setup_type,
    state,
)
from tests.services.booking.test_calendar import at, put_event, put_hour, read, slot_starts
from tests.standins.run import APP_PASSWORD, Providers, running_providers


@pytest.fixture
async def providers(infra: Infra) -> AsyncIterator[Providers]:
    if "radicale" not in {p.name for p in infra.processes}:
        pytest.skip("the stand-ins keep their calendars in the embedded Radicale")
    async with running_providers(infra.caldav_url) as found:
        found.env["BOOKING_OAUTH_REDIRECT_URL"] = "https://vertrouwd.example/staff/agenda"
        yield found


@pytest.fixture
async def ready(start_service: StartService, providers: Providers, admin: dict[str, str]) -> Client:
    client: Client = await start_service("booking", **providers.env)
    await setup_confidant(client, admin)
    await setup_type(client, admin)
    return client


async def consent(client: Client, headers: dict[str, str], provider: str) -> Any:
    """What the agenda page does: ask where to consent, go there (the stand-in says yes at
    once), and hand the code and state it comes back with to booking."""
    started = await client.post(
        "/v1/confidants/c-anna/calendar/authorize", headers=headers, json={"provider": provider}
    )
    assert started.status == 200, await started.text()
    url = (await started.json())["authorize_url"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as answer,
    ):
        assert answer.status == 302, await answer.text()
        back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "https://vertrouwd.example/staff/agenda"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    return await client.post(
        "/v1/confidants/c-anna/calendar/authorized", headers=headers, json=query
    ), query


async def sync_now(client: Client, headers: dict[str, str]) -> ClientResponse:
    """The agenda's "update now"."""
    return await client.post("/v1/confidants/c-anna/calendar/sync", headers=headers)


async def busy_between(client: Client, headers: dict[str, str], day: datetime) -> list[Any]:
    start = day.replace(hour=0)
    span = urlencode({"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()})
    answer = await client.get(f"/v1/confidants/c-anna/calendar/busy?{span}", headers=headers)
    assert answer.status == 200, await answer.text()
    found = await answer.json()
    return [
        (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
        for b in found["busy"]
    ]


async def test_google_connects_with_pkce_reads_busy_time_and_takes_bookings(
    desk: Desk, providers: Providers
) -> None:
    ten = next_weekday_at(10)
    await put_hour(providers.calendar, "overleg", ten)
    answer, query = await consent(desk.ready, desk.admin, "google")
    assert answer.status == 200, await answer.text()
    view = await answer.json()
    calendar = view["calendar"]
    assert (calendar["provider"], calendar["username"]) == ("google", "anna@example.org")
    assert calendar["booking_calendar"].endswith("/caldav/v2/anna%40example.org/events/")
    assert calendar["sync"]["last_success"] is not None and "grant" not in calendar
    # PKCE: the verifier booking sent matched the challenge (the stand-in checks), and is
    # of the length RFC 7636 asks.
    assert 43 <= len(providers.google_oauth.verifiers_seen[-1]) <= 128
    assert ten not in await slot_starts(desk.ready, desk.reporter())
    assert ten + timedelta(hours=2) in await slot_starts(desk.ready, desk.reporter())

    # A state comes back once.
    again = await desk.ready.post(
        "/v1/confidants/c-anna/calendar/authorized", headers=desk.admin, json=query
    )
    assert again.status == 422 and "state" in (await again.json())["error"]["fields"]

    # A booking reaches the Google calendar, through its CalDAV, with the bearer token.
    two = next_weekday_at(14)
    made = await desk.ready.post("/v1/appointments", headers=desk.reporter(), json=body(two))
    appointment = await made.json()
    assert (await write_pending(state(desk.ready)))["written"] == 1
    written = await read(f"{providers.calendar}vertrouwd-{appointment['id']}@vertrouwd.ics")
    assert written is not None and "METHOD" not in written

    # The access token ends: a fresh one is made from the refresh token, and the sync goes on.
    refreshed = providers.google_oauth.refreshed
    providers.google_oauth.expire_access()
    assert (await sync_now(desk.ready, desk.admin)).status == 200
    assert providers.google_oauth.refreshed == refreshed + 1


async def test_a_revoked_grant_fails_closed_and_says_so(
    ready: Client, providers: Providers, admin: dict[str, str]
) -> None:
    answer, _ = await consent(ready, admin, "google")
    assert answer.status == 200
    providers.google_oauth.revoke()  # the confidant withdrew the permission at Google
    synced = await sync_now(ready, admin)
    assert synced.status == 409, await synced.text()
    assert (await synced.json())["error"]["code"] == "calendar_revoked"
    profile = await (await ready.get("/v1/confidants/c-anna", headers=admin)).json()
    assert profile["calendar"]["sync"]["last_error"] == "revoked"


async def throttled(
    ready: Client, admin: dict[str, str], provider: str, standin: Any
) -> ClientResponse:
    """Connected through ``provider``'s consent, then synced once while its stand-in asks
    to wait: the 503 that says so."""
    answer, _ = await consent(ready, admin, provider)
    assert answer.status == 200
    standin.throttled = 1
    synced = await sync_now(ready, admin)
    assert synced.status == 503
    return synced


async def test_a_throttled_provider_is_not_asked_again_before_retry_after(
    ready: Client, providers: Providers, admin: dict[str, str]
) -> None:
    synced = await throttled(ready, admin, "google", providers.google)
    assert synced.headers["Retry-After"] == "11"
    assert (await synced.json())["error"]["code"] == "calendar_throttled"
    confidant = await state(ready).db["confidants"].find_one({"_id": "c-anna"})
    assert confidant is not None
    wait = confidant["calendar"]["sync"]["not_before"].replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(seconds=5) < wait <= timedelta(seconds=11)
    calls = providers.google.calls
    await sync_all(state(ready))  # the background sync leaves it alone until then
    assert providers.google.calls == calls


async def test_icloud_wants_an_app_password_and_is_found_on_its_partition(
    desk: Desk, providers: Providers
) -> None:
    own = f"{providers.icloud.partition()}/1234567/calendars/{providers.home_name}/"

    def connect(password: str) -> Any:
        return desk.ready.put(
            "/v1/confidants/c-anna/calendar",
            headers=desk.admin,
            json={
                "provider": "icloud",
                "username": "anna@icloud.com",
                "password": password,
                "busy_calendars": [own],
                "booking_calendar": own,
            },
        )

    plain = await connect("mijn-gewone-wachtwoord")
    assert plain.status == 422 and "app-specific" in await plain.text()
    wrong = await connect("abcd-efgh-ijkl-mnoq")
    assert wrong.status == 422 and "password" in (await wrong.json())["error"]["fields"]
    ten = next_weekday_at(10)
    await put_event(
        providers.home,
        "les",
        f"DTSTART:{at(ten)}",
        f"DTEND:{at(ten + timedelta(hours=1))}",
    )
    answer = await connect(APP_PASSWORD)
    assert answer.status == 200, await answer.text()
    view = await answer.json()
    assert view["calendar"]["provider"] == "icloud"
    # Discovery went from the first host to the partition host, where the calendars are.
    assert view["calendar"]["booking_calendar"] == own
    assert own.startswith("http://localhost:")
    assert view["calendar"]["sync"]["last_success"] is not None
    assert ten not in await slot_starts(desk.ready, desk.reporter())


async def test_microsoft_365_through_graph(desk: Desk, providers: Providers) -> None:
    graph = providers.graph
    day = next_weekday_at(9)
    hour = timedelta(hours=1)
    busy = graph.add(day, day + hour)
    graph.add(day + 2 * hour, day + 3 * hour, show_as="free")
    tentative = graph.add(day + 3 * hour, day + 4 * hour, show_as="tentative")
    graph.add(day + 5 * hour, day + 6 * hour, cancelled=True)
    graph.add(day + timedelta(days=7), day + timedelta(days=7, hours=1))  # another page
    answer, _ = await consent(desk.ready, desk.admin, "microsoft")
    assert answer.status == 200, await answer.text()
    calendar = (await answer.json())["calendar"]
    assert (calendar["provider"], calendar["username"]) == ("microsoft", "anna@contoso.nl")
    assert calendar["booking_calendar"].endswith("/me/calendars/cal-default")
    assert await busy_between(desk.ready, desk.admin, day) == [
        (day, day + hour),  # busy
        (day + 3 * hour, day + 4 * hour),  # tentative counts as busy; free and cancelled not
    ]

    # The confidant moves one and deletes another in Outlook: a delta round brings both.
    graph.move(busy, day + hour, day + 2 * hour)
    graph.delete(tentative)
    report = await resync(desk.ready)
    assert (report["delta"], report["full"]) == (1, 0)
    assert await busy_between(desk.ready, desk.admin, day) == [(day + hour, day + 2 * hour)]

    # A booking is created with its transactionId; sent again, Graph keeps one event.
    start = next_weekday_at(15)
    appointment = await (
        await desk.ready.post("/v1/appointments", headers=desk.reporter(), json=body(start))
    ).json()
    assert (await write_pending(state(desk.ready)))["written"] == 1
    [ours] = graph.ours()
    assert ours["transactionId"] == f"vertrouwd-{appointment['id']}@vertrouwd"
    assert datetime.fromisoformat(ours["start"]["dateTime"][:19]).replace(tzinfo=UTC) == start
    await (
        state(desk.ready)
        .db["appointments"]
        .update_one(
            {"_id": appointment["id"]}, {"$set": {"calendar.pending": "put", "calendar.href": None}}
        )
    )  # as if the answer to the first create was lost
    assert (await write_pending(state(desk.ready)))["written"] == 1
    assert len(graph.ours()) == 1

    # The confidant moves it in Outlook: the appointment follows; deletes it: cancelled.
    later = start + timedelta(hours=1)
    graph.move(ours["id"], later, later + hour)
    assert (await resync(desk.ready))["moved"] == 1
    url = f"/v1/appointments/{appointment['id']}"
    moved = await (await desk.ready.get(url, headers=desk.reporter())).json()
    assert datetime.fromisoformat(moved["start"]) == later
    graph.delete(ours["id"])
    assert (await resync(desk.ready))["cancelled"] == 1
    assert (await (await desk.ready.get(url, headers=desk.reporter())).json())[
        "status"
    ] == "cancelled"

    # A delta link Graph no longer knows (410): a new round, the busy time whole.
    graph.expire_deltas()
    graph.add(day + 4 * hour, day + 5 * hour)
    report = await resync(desk.ready)
    assert report["full"] == 1
    assert await busy_between(desk.ready, desk.admin, day) == [
        (day + hour, day + 2 * hour),
        (day + 4 * hour, day + 5 * hour),
    ]
    assert day.astimezone(AMS).hour == 9


async def test_graph_throttling_and_a_revoked_grant(
    ready: Client, providers: Providers, admin: dict[str, str]
) -> None:
    synced = await throttled(ready, admin, "microsoft", providers.graph)
    assert synced.headers["Retry-After"] == "7"
    # Microsoft sends a new refresh token with each refresh; the newest is kept and works.
    providers.microsoft_oauth.expire_access()
    assert (await sync_now(ready, admin)).status == 200
    providers.microsoft_oauth.expire_access()
    assert (await sync_now(ready, admin)).status == 200
    assert providers.microsoft_oauth.refreshed == 2
    providers.microsoft_oauth.revoke()
    synced = await sync_now(ready, admin)
    assert (await synced.json())["error"]["code"] == "calendar_revoked"


async def test_connecting_refuses_what_is_not_set_up_or_not_theirs(
    start_service: StartService,
    ready: Client,
    admin: dict[str, str],
    token: Callable[..., str],
) -> None:
    bare: Client = await start_service("booking")  # no client registrations
    refused = await bare.post(
        "/v1/confidants/c-anna/calendar/authorize", headers=admin, json={"provider": "google"}
    )
    assert refused.status == 422 and "provider" in (await refused.json())["error"]["fields"]
    unknown = await ready.post(
        "/v1/confidants/c-anna/calendar/authorize", headers=admin, json={"provider": "yahoo"}
    )
    assert unknown.status == 422
    # A state made for Anna is no use to another confidant.
    await setup_confidant(ready, admin, "c-bram")
    started = await ready.post(
        "/v1/confidants/c-anna/calendar/authorize", headers=admin, json={"provider": "google"}
    )
    state_value = parse_qs(urlsplit((await started.json())["authorize_url"]).query)["state"][0]
    bram = {"Authorization": f"Bearer {token('confidant', 'booking', sub='c-bram')}"}
    stolen = await ready.post(
        "/v1/confidants/c-bram/calendar/authorized",
        headers=bram,
        json={"state": state_value, "code": "x"},
    )
    assert stolen.status == 422 and "state" in (await stolen.json())["error"]["fields"]
    other = await ready.post(
        "/v1/confidants/c-anna/calendar/authorize", headers=bram, json={"provider": "google"}
    )
    assert other.status == 403


async def test_a_page_in_graphs_place_is_an_error_not_an_empty_calendar(
    desk: Desk, providers: Providers
) -> None:
    graph = providers.graph
    start = next_weekday_at(15)
    answer, _ = await consent(desk.ready, desk.admin, "microsoft")
    assert answer.status == 200
    appointment = await (
        await desk.ready.post("/v1/appointments", headers=desk.reporter(), json=body(start))
    ).json()
    assert (await write_pending(state(desk.ready)))["written"] == 1
    graph.expire_deltas()  # the next sync lists everything: the moment a page would empty it
    graph.portal = True
    synced = await sync_now(desk.ready, desk.admin)
    assert synced.status == 502, await synced.text()
    profile = await (await desk.ready.get("/v1/confidants/c-anna", headers=desk.admin)).json()
    assert profile["calendar"]["sync"]["last_error"] == "malformed"
    url = f"/v1/appointments/{appointment['id']}"
    assert (await (await desk.ready.get(url, headers=desk.reporter())).json())["status"] == "booked"
    graph.portal = False
    assert (await resync(desk.ready))["cancelled"] == 0
    assert len(graph.ours()) == 1

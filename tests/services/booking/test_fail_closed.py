"""A calendar server, proxy or portal that answers anything but what CalDAV promises: the
sync fails and says why, slots close once the calendar is stale, and no appointment is
cancelled. Real Radicale behind a proxy that can be switched to misbehave."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from deploy.stack.infra import Infra
from services.booking.calendars import dav
from services.booking.calendars.dav import DavError
from services.booking.calendars.writer import write_pending
from tests.conftest import Isolation
from tests.services.booking.conftest import (
    CalendarServer,
    Client,
    Desk,
    body,
    next_weekday_at,
    resync,
    state,
)
from tests.services.booking.test_calendar import at, put_event, slot_starts
from tests.services.intake.conftest import stream_events

LOGIN_PAGE = "<!doctype html><html><body><form>Log in to the network</form></body></html>"


class Proxy:
    """Forwards to Radicale while ``mode`` is "pass"; otherwise misbehaves as told."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = "pass"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/login":
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        mode = self.mode
        if mode == "login":
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        if mode == "redirect":
            raise web.HTTPFound("/login")
        if mode == "xml":
            return web.Response(text="<?xml version='1.0'?><html/>", content_type="text/xml")
        if mode == "xml207":
            return web.Response(
                status=207,
                text='<?xml version="1.0"?><d:error xmlns:d="DAV:"/>',
                content_type="application/xml",
            )
        if mode == "hang":
            await asyncio.sleep(5)
        status, data, headers = await self.forward(request)
        if mode == "truncated" and status == 207:
            data = data[: len(data) // 2]
        if mode == "empty" and request.method == "REPORT":
            data = (
                b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">'
                b"<d:sync-token>http://x/sync/empty</d:sync-token></d:multistatus>"
            )
        return web.Response(status=status, body=data, headers=headers)

    async def forward(self, request: web.Request) -> tuple[int, bytes, dict[str, str]]:
        passed = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "depth", "content-type", "if-match", "if-none-match")
        }
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                self.upstream + request.path_qs,
                data=await request.read(),
                headers=passed,
            ) as answer,
        ):
            kept = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() in ("content-type", "etag", "www-authenticate")
            }
            return answer.status, await answer.read(), kept


@contextlib.asynccontextmanager
async def behind_proxy(ready: Client, calendar: CalendarServer) -> AsyncIterator[Proxy]:
    """c-anna's calendar, reached through the proxy."""
    base = calendar.base.rstrip("/")
    proxy = Proxy(base)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    server = TestServer(app)
    await server.start_server()
    try:
        url = str(server.make_url(calendar.url.removeprefix(base)))
        sealed = state(ready).cipher.seal(
            calendar.password, doc_id="c-anna", field="calendar.password"
        )
        await (
            state(ready)
            .db["confidants"]
            .update_one(
                {"_id": "c-anna"},
                {
                    "$set": {
                        "calendar": {
                            "url": url,
                            "username": calendar.user,
                            "password": sealed,
                            "busy_calendars": [url],
                            "booking_calendar": url,
                            "sync": {},
                        }
                    }
                },
            )
        )
        yield proxy
    finally:
        await server.close()


async def make_stale(client: Client) -> None:
    """The last good sync long ago: the clock moves a day on."""
    state(client).clock.move(timedelta(days=1))


async def book_one(ready: Client, reporter: Callable[..., dict[str, str]]) -> dict[str, Any]:
    """An appointment booked by the reporter of case-1 (not yet written to the calendar)."""
    made = await ready.post("/v1/appointments", headers=reporter(), json=body(next_weekday_at(10)))
    assert made.status == 201, await made.text()
    appointment: dict[str, Any] = await made.json()
    return appointment


async def status_of(
    ready: Client, reporter: Callable[..., dict[str, str]], appointment: dict[str, Any]
) -> str:
    url = f"/v1/appointments/{appointment['id']}"
    status: str = (await (await ready.get(url, headers=reporter())).json())["status"]
    return status


BAD = ("login", "redirect", "xml", "xml207", "truncated", "hang")


async def test_no_bad_answer_opens_slots_or_cancels_an_appointment(
    ready: Client,
    reporter: Callable[..., dict[str, str]],
    infra: Infra,
    isolation: Isolation,
    calendar: CalendarServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dav, "TIMEOUT", aiohttp.ClientTimeout(total=1))  # for "hang"
    busy = next_weekday_at(14)
    await put_event(
        calendar.direct, "dentist", f"DTSTART:{at(busy)}", f"DTEND:{at(busy + timedelta(hours=1))}"
    )
    async with behind_proxy(ready, calendar) as proxy:
        await resync(ready)
        appointment = await book_one(ready, reporter)
        assert (await write_pending(state(ready)))["written"] == 1
        await resync(ready)
        assert busy not in await slot_starts(ready, reporter("case-2"))

        for mode in BAD:
            proxy.mode = mode
            for full in (False, True):
                with pytest.raises(DavError) as failed:
                    await resync(ready, force_full=full)
                assert failed.value.kind in ("malformed", "unreachable", "other"), mode
                doc = await (
                    await ready.get("/v1/confidants/c-anna", headers={**reporter()})
                ).json()
                assert "calendar" not in doc  # an employee is not told about it
                confidant = await state(ready).db["confidants"].find_one({"_id": "c-anna"})
                assert confidant is not None
                assert confidant["calendar"]["sync"]["last_error"] == failed.value.kind
            assert await status_of(ready, reporter, appointment) == "booked", mode
            # Stale now: every slot closes rather than open over busy time.
            await make_stale(ready)
            closed = await (
                await ready.get(
                    "/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=reporter("case-2")
                )
            ).json()
            assert closed == {
                "timezone": "Europe/Amsterdam",
                "slots": [],
                "closed": "calendar_unavailable",
            }, mode
            proxy.mode = "pass"
            await resync(ready)
            assert busy not in await slot_starts(ready, reporter("case-2"))

    cancelled = [
        e
        for e in await stream_events(infra, isolation)
        if e["type"] == "booking.appointment.cancelled"
    ]
    assert cancelled == []


async def test_a_listing_that_lacks_most_of_a_calendar_is_held_until_confirmed(
    desk: Desk, calendar: CalendarServer
) -> None:
    for i in range(5):
        start = next_weekday_at(9 + i, days_ahead=3)
        await put_event(
            calendar.direct,
            f"ev{i}",
            f"DTSTART:{at(start)}",
            f"DTEND:{at(start + timedelta(hours=1))}",
        )
    async with behind_proxy(desk.ready, calendar) as proxy:
        await resync(desk.ready)
        appointment = await book_one(desk.ready, desk.reporter)
        assert (await write_pending(state(desk.ready)))["written"] == 1
        await resync(desk.ready)
        proxy.mode = "empty"  # a 207 with nothing in it, as a server in trouble may send
        with pytest.raises(DavError) as held:
            await resync(desk.ready, force_full=True)
        assert held.value.kind == "held"
        answer = await desk.ready.post(
            "/v1/confidants/c-anna/calendar/sync?full=1", headers=desk.admin
        )
        assert answer.status == 409
        assert (await answer.json())["error"]["code"] == "sync_held"
        assert await status_of(desk.ready, desk.reporter, appointment) == "booked"
        # The confidant says they did empty it: applied, and the appointment follows.
        confirmed = await desk.ready.post(
            "/v1/confidants/c-anna/calendar/sync?full=1&accept_removals=1", headers=desk.admin
        )
        assert confirmed.status == 200, await confirmed.text()
        assert await status_of(desk.ready, desk.reporter, appointment) == "cancelled"


async def test_a_write_the_server_keeps_refusing_is_shown_as_failed(
    desk: Desk, calendar: CalendarServer
) -> None:
    async with behind_proxy(desk.ready, calendar) as proxy:
        await resync(desk.ready)
        appointment = await book_one(desk.ready, desk.reporter)
        proxy.mode = "login"  # every write answered with a log-in page
        booking = state(desk.ready)
        for attempt in range(booking.settings.writer_max_attempts):
            assert (await write_pending(booking))["failed"] == 1
            await booking.db["appointments"].update_one(
                {"_id": appointment["id"]}, {"$set": {"calendar.next_try": None}}
            )
            shown = await (
                await desk.ready.get(f"/v1/appointments/{appointment['id']}", headers=desk.admin)
            ).json()
            last = attempt + 1 == booking.settings.writer_max_attempts
            assert shown["calendar_write"]["state"] == ("failed" if last else "pending")
        proxy.mode = "pass"
        assert (await write_pending(booking))["written"] == 1
        shown = await (
            await desk.ready.get(f"/v1/appointments/{appointment['id']}", headers=desk.admin)
        ).json()
        assert shown["calendar_write"] == {"state": "done", "error": None}

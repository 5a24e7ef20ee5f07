"""Calendars on a real Radicale: connect, busy time, incremental sync, calendar writes,
the confidant's own moves and deletions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from icalendar import Calendar

from deploy.stack.places import DEMO_CALDAV_USER
from services.booking.calendars.writer import write_pending
from services.booking.store.busystore import OVERLAY, bucket_id, busy_key
from tests.services.booking.conftest import (
    AMS,
    CalendarServer,
    Client,
    Desk,
    body,
    next_weekday_at,
    resync,
    state,
)
from tests.services.intake.conftest import stream_events

USER, PASSWORD = DEMO_CALDAV_USER
AUTH = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}


async def put_event(url: str, uid: str, *lines: str) -> str:
    body = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//t//t//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20261101T000000Z",
            *lines,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    href = f"{url}{uid}.ics"
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            href, data=body.encode(), headers={**AUTH, "Content-Type": "text/calendar"}
        ) as response,
    ):
        assert response.status in (201, 204), await response.text()
    return href


async def put_hour(url: str, uid: str, start: datetime) -> str:
    """An hour of the confidant's own from ``start``."""
    return await put_event(
        url, uid, f"DTSTART:{at(start)}", f"DTEND:{at(start + timedelta(hours=1))}"
    )


async def delete(href: str) -> None:
    async with aiohttp.ClientSession() as session, session.delete(href, headers=AUTH) as response:
        assert response.status in (200, 204)


async def read(href: str) -> Calendar | None:
    async with aiohttp.ClientSession() as session, session.get(href, headers=AUTH) as response:
        if response.status == 404:
            return None
        return Calendar.from_ical(await response.read())


def at(start: datetime) -> str:
    return start.strftime("%Y%m%dT%H%M%SZ")


async def connect(
    client: Client, admin: dict[str, str], server: CalendarServer, **extra: Any
) -> Any:
    return await client.put(
        "/v1/confidants/c-anna/calendar",
        headers=admin,
        json={
            "url": server.base,
            "username": server.user,
            "password": server.password,
            "busy_calendars": [server.url],
            "booking_calendar": server.url,
            **extra,
        },
    )


async def slot_starts(client: Client, headers: dict[str, str]) -> set[datetime]:
    found = await (
        await client.get("/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=headers)
    ).json()
    return {datetime.fromisoformat(s["start"]).astimezone(UTC) for s in found["slots"]}


async def test_connecting_checks_the_account(desk: Desk, calendar: CalendarServer) -> None:
    wrong = await connect(desk.ready, desk.admin, calendar, password="fout")
    assert wrong.status == 422 and "password" in (await wrong.json())["error"]["fields"]
    nowhere = await desk.ready.put(
        "/v1/confidants/c-anna/calendar",
        headers=desk.admin,
        json={"url": "http://127.0.0.1:9/", "username": USER, "password": PASSWORD},
    )
    assert nowhere.status == 422 and "url" in (await nowhere.json())["error"]["fields"]
    other = await connect(
        desk.ready, desk.admin, calendar, booking_calendar=f"{calendar.url}../niet/"
    )
    assert other.status == 422
    assert (await state(desk.ready).db["confidants"].find_one({"_id": "c-anna"}) or {}).get(
        "calendar"
    ) is None  # nothing half-written
    good = await connect(desk.ready, desk.admin, calendar)
    assert good.status == 200, await good.text()
    view = await good.json()
    assert view["calendar"]["sync"]["last_success"] is not None
    assert "password" not in str(view)
    raw = await state(desk.ready).db["confidants"].find_one({"_id": "c-anna"})
    assert raw is not None and PASSWORD not in str(raw["calendar"]["password"])


async def test_busy_time_blocks_and_a_deleted_event_reopens_the_slot(
    desk: Desk, calendar: CalendarServer
) -> None:
    ten, two = next_weekday_at(10), next_weekday_at(14)
    href = await put_event(
        calendar.direct,
        "eigen-afspraak",
        f"DTSTART:{at(ten)}",
        f"DTEND:{at(ten + timedelta(hours=1))}",
    )
    await put_event(
        calendar.direct,
        "vrij",
        f"DTSTART:{at(two)}",
        f"DTEND:{at(two + timedelta(hours=1))}",
        "TRANSP:TRANSPARENT",
    )
    assert (await connect(desk.ready, desk.admin, calendar)).status == 200
    starts = await slot_starts(desk.ready, desk.reporter())
    assert ten not in starts and ten - timedelta(minutes=30) not in starts  # buffer after
    assert two in starts  # transparent: free
    refused = await desk.ready.post(
        "/v1/appointments",
        headers=desk.reporter(),
        json=body(ten),
    )
    assert refused.status == 409

    buckets = state(desk.ready).db["busy"]
    before = {d["_id"]: d["version"] async for d in buckets.find()}
    await delete(href)
    report = await resync(desk.ready)
    assert report["delta"] == 1 and report["deleted"] == 1 and report["full"] == 0
    assert ten in await slot_starts(desk.ready, desk.reporter())
    # The delta wrote one small document, the overlay, and no bucket.
    after = {d["_id"]: d["version"] async for d in buckets.find()}
    assert after.keys() == before.keys()
    assert [k for k in after if after[k] != before[k]] == [
        bucket_id(busy_key("c-anna", calendar.url), OVERLAY)
    ]
    again = await resync(desk.ready)
    assert again["unchanged"] == 1  # an empty delta: nothing fetched, nothing written
    assert {d["_id"]: d["version"] async for d in buckets.find()} == after


async def test_bookings_reach_the_calendar_and_follow_the_confidant(
    desk: Desk, calendar: CalendarServer
) -> None:
    assert (await connect(desk.ready, desk.admin, calendar)).status == 200
    start = next_weekday_at(10)
    made = await desk.ready.post(
        "/v1/appointments",
        headers=desk.reporter(),
        json=body(start),
    )
    appointment = await made.json()
    booking = state(desk.ready)
    assert (await write_pending(booking))["written"] == 1
    href = f"{calendar.direct}vertrouwd-{appointment['id']}@vertrouwd.ics"
    written = await read(href)
    assert written is not None
    assert "METHOD" not in written  # RFC 4791 4.1: no METHOD in a calendar collection
    [event] = written.walk("VEVENT")
    assert str(event["summary"]) == "Vertrouwelijk gesprek"
    assert str(event["location"]) == appointment["video_url"]
    assert "case" not in str(event.to_ical()).lower()  # no case or person in a calendar

    # The confidant drags it to 14:00 in their own calendar.
    two = next_weekday_at(14)
    await put_event(
        calendar.direct,
        f"vertrouwd-{appointment['id']}@vertrouwd",
        f"DTSTART:{at(two)}",
        f"DTEND:{at(two + timedelta(hours=1))}",
        "SUMMARY:Vertrouwelijk gesprek",
    )
    assert (await resync(desk.ready))["moved"] == 1
    moved = await (
        await desk.ready.get(f"/v1/appointments/{appointment['id']}", headers=desk.reporter())
    ).json()
    assert datetime.fromisoformat(moved["start"]) == two and moved["sequence"] == 1
    assert start in await slot_starts(desk.ready, desk.reporter())  # the old time is free again

    # ... and then deletes it.
    await delete(href)
    assert (await resync(desk.ready))["cancelled"] == 1
    gone = await (
        await desk.ready.get(f"/v1/appointments/{appointment['id']}", headers=desk.reporter())
    ).json()
    assert gone["status"] == "cancelled"
    events = [
        (e["type"], e["data"].get("rescheduled_by") or e["data"].get("cancelled_by"))
        for e in await stream_events(desk.infra, desk.isolation)
        if e["type"].startswith("booking.appointment.")
    ]
    assert events == [
        ("booking.appointment.booked", None),
        ("booking.appointment.rescheduled", "calendar"),
        ("booking.appointment.cancelled", "calendar"),
    ]


async def test_reschedule_and_cancel_update_the_calendar_event(
    desk: Desk, calendar: CalendarServer
) -> None:
    assert (await connect(desk.ready, desk.admin, calendar)).status == 200
    start = next_weekday_at(10)
    appointment = await (
        await desk.ready.post(
            "/v1/appointments",
            headers=desk.reporter(),
            json=body(start),
        )
    ).json()
    booking = state(desk.ready)
    await write_pending(booking)
    href = f"{calendar.direct}vertrouwd-{appointment['id']}@vertrouwd.ics"
    later = start + timedelta(hours=2)
    url = f"/v1/appointments/{appointment['id']}"
    assert (
        await desk.ready.post(
            f"{url}/reschedule", headers=desk.reporter(), json={"start": later.isoformat()}
        )
    ).status == 200
    assert (await write_pending(booking))["written"] == 1
    written = await read(href)
    assert written is not None
    [event] = written.walk("VEVENT")
    assert event.decoded("dtstart") == later and int(str(event["sequence"])) == 1
    assert (await desk.ready.post(f"{url}/cancel", headers=desk.reporter())).status == 200
    assert (await write_pending(booking))["deleted"] == 1
    assert await read(href) is None
    assert later.astimezone(AMS).hour == 12


BROKEN = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
    "UID:kapot\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261103T100000Z\r\n"
    "DTEND:nooit\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


async def test_a_broken_event_is_skipped_and_the_sync_goes_on(
    ready: Client,
    admin: dict[str, str],
    reporter: Callable[..., dict[str, str]],
) -> None:
    """Radicale refuses malformed events, so it never serves one; servers out there do.
    A minimal CalDAV responder stands in for them: the two requests of a full sync."""
    ten = next_weekday_at(10)
    good = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:goed\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{at(ten)}\r\n"
        f"DTEND:{at(ten + timedelta(hours=1))}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    async def dav(request: web.Request) -> web.Response:
        if request.method == "PROPFIND":
            body = (
                "<d:response><d:href>/cal/</d:href><d:propstat><d:prop><cs:getctag>1"
                "</cs:getctag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
                "</d:response>"
            )
        else:
            body = item("/cal/goed.ics", good) + item("/cal/kapot.ics", BROKEN)
        return multistatus(body)

    async with stand_in_calendar(ready, dav):
        report = await resync(ready)
        assert report["broken"] == 1 and report["objects"] == 1 and report["full"] == 1
        starts = await slot_starts(ready, reporter())
        assert starts and ten not in starts  # the good event blocks; the sync went on


async def test_a_server_that_sends_no_data_with_the_delta_is_asked_with_a_multiget(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    """RFC 6578 leaves it to the server whether calendar-data comes along in a delta;
    Radicale sends it, this stand-in does not: the changed objects are then fetched."""
    ten, two = next_weekday_at(10), next_weekday_at(14)
    events = {"/cal/a.ics": event_text("a", ten)}
    asked: list[str] = []

    async def dav(request: web.Request) -> web.Response:
        text = await request.text()
        kind = next(k for k in ("propfind", "sync-collection", "multiget", "query") if k in text)
        asked.append(kind)
        token = f"<d:sync-token>t{len(events)}</d:sync-token>"
        if kind == "propfind":
            return multistatus(
                "<d:response><d:href>/cal/</d:href><d:propstat><d:prop>"
                f"<cs:getctag>{len(events)}</cs:getctag>{token}</d:prop>"
                "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
            )
        if kind == "sync-collection":  # t1 -> t2: b.ics is new; hrefs and ETags only
            new = [h for h in events if h != "/cal/a.ics"]
            return multistatus(
                "".join(
                    f"<d:response><d:href>{h}</d:href><d:propstat><d:prop><d:getetag>"
                    f'"{h}"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status>'
                    "</d:propstat></d:response>"
                    for h in new
                )
                + token
            )
        wanted = [h for h in events if kind == "query" or f">{h}<" in text]
        return multistatus("".join(item(h, events[h]) for h in wanted))

    async with stand_in_calendar(ready, dav):
        assert (await resync(ready))["full"] == 1
        assert ten not in await slot_starts(ready, reporter())
        events["/cal/b.ics"] = event_text("b", two)
        asked.clear()
        report = await resync(ready)
        assert report["delta"] == 1 and report["objects"] == 1 and report["full"] == 0
        assert asked == ["sync-collection", "multiget"]
        starts = await slot_starts(ready, reporter())
        assert ten not in starts and two not in starts


def event_text(uid: str, start: datetime) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{at(start)}\r\n"
        f"DTEND:{at(start + timedelta(hours=1))}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def item(href: str, data: str) -> str:
    return (
        f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>"
        f'<d:getetag>"{href}"</d:getetag><c:calendar-data>{data}</c:calendar-data>'
        "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    )


def multistatus(body: str) -> web.Response:
    head = (
        '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" '
        'xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">'
    )
    return web.Response(
        status=207, text=f"{head}{body}</d:multistatus>", content_type="application/xml"
    )


@contextlib.asynccontextmanager
async def stand_in_calendar(
    ready: Client, dav: Callable[[web.Request], Awaitable[web.Response]]
) -> AsyncIterator[None]:
    """A minimal CalDAV responder on a port of its own, as c-anna's only calendar."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dav)
    server = TestServer(app)
    await server.start_server()
    try:
        url = str(server.make_url("/cal/"))
        password = state(ready).cipher.seal("p", doc_id="c-anna", field="calendar.password")
        calendar = {
            "url": url,
            "username": "u",
            "busy_calendars": [url],
            "booking_calendar": url,
            "password": password,
            "sync": {},
        }
        await (
            state(ready)
            .db["confidants"]
            .update_one({"_id": "c-anna"}, {"$set": {"calendar": calendar}})
        )
        yield
    finally:
        await server.close()


async def test_what_has_happened_is_not_cancelled_or_held_when_the_window_moves_on(
    desk: Desk, calendar: CalendarServer
) -> None:
    """Days later the listing's window starts after an appointment and after the week's own
    events: they are not in the listing, and that is not the server saying they are gone."""
    assert (await connect(desk.ready, desk.admin, calendar)).status == 200
    start = next_weekday_at(10)
    for hour in range(5):  # the confidant's own events of that week, before the window's end
        begin = start + timedelta(hours=hour - 2, days=1)
        end = begin + timedelta(minutes=30)
        await put_event(calendar.direct, f"week-{hour}", f"DTSTART:{at(begin)}", f"DTEND:{at(end)}")
    made = await desk.ready.post("/v1/appointments", headers=desk.reporter(), json=body(start))
    appointment = await made.json()
    assert (await write_pending(state(desk.ready)))["written"] == 1
    await resync(desk.ready)
    state(desk.ready).clock.move(timedelta(days=10))  # all of it has happened
    report = await resync(desk.ready)  # a new listing: the window moved on
    assert report["full"] == 1 and report["cancelled"] == 0
    url = f"/v1/appointments/{appointment['id']}"
    assert (await (await desk.ready.get(url, headers=desk.reporter())).json())["status"] == "booked"
    cancelled = [
        e
        for e in await stream_events(desk.infra, desk.isolation)
        if e["type"] == "booking.appointment.cancelled"
    ]
    assert cancelled == []

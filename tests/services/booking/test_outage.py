"""A calendar server that goes away: booking goes on, writes wait, stale calendars close."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from deploy.stack import DEMO_CALDAV_USER, Infra, Process, free_port, radicale, running
from services.booking.writer import write_pending
from tests.conftest import Isolation, StartService
from tests.services.booking.conftest import (
    body,
    next_weekday_at,
    resync,
    setup_confidant,
    setup_type,
    state,
)
from tests.services.intake.conftest import stream_events

USER, PASSWORD = DEMO_CALDAV_USER


@pytest.fixture
def own_radicale(tmp_path: Path) -> Iterator[Process]:
    server = radicale(tmp_path / "radicale", free_port(), dict([DEMO_CALDAV_USER]))
    with running([server]):
        yield server


async def test_radicale_down_booking_goes_on_and_the_write_lands_later(
    own_radicale: Process,
    start_service: StartService,
    admin: dict[str, str],
    reporter: Callable[..., dict[str, str]],
    infra: Infra,
    isolation: Isolation,
) -> None:
    booking = await start_service("booking", BOOKING_SYNC_STALE_AFTER_S="2")
    await setup_confidant(booking, admin)
    await setup_type(booking, admin)
    calendar = f"{own_radicale.url}{USER}/werk/"
    auth = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
    async with (
        aiohttp.ClientSession() as session,
        session.request("MKCALENDAR", calendar, headers=auth) as made,
    ):
        assert made.status == 201
    connected = await booking.put(
        "/v1/confidants/c-anna/calendar",
        headers=admin,
        json={"url": own_radicale.url, "username": USER, "password": PASSWORD},
    )
    assert connected.status == 200, await connected.text()

    await asyncio.to_thread(own_radicale.kill)
    start = next_weekday_at(10)
    booked = await booking.post(
        "/v1/appointments",
        headers=reporter(),
        json=body(start),
    )
    assert booked.status == 201  # the cache says free; the calendar can wait
    appointment = await booked.json()
    writes = await write_pending(state(booking))
    assert writes["failed"] == 1
    doc = await state(booking).db["appointments"].find_one({"_id": appointment["id"]})
    assert doc is not None and doc["calendar"]["pending"] == "put"  # kept, not lost

    # The calendar stays unreadable past the limit: slots close, one event goes out.
    await asyncio.sleep(2.1)  # the limit is 2 s in this test: the time itself is the point
    with pytest.raises(Exception, match="ClientConnectorError"):
        await resync(booking)
    closed = await (
        await booking.get(
            "/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=reporter("case-2")
        )
    ).json()
    assert closed["slots"] == [] and closed["closed"] == "calendar_unavailable"
    refused = await booking.post(
        "/v1/appointments",
        headers=reporter("case-2"),
        json={
            "confidant_id": "c-anna",
            "type_id": "gesprek",
            "start": next_weekday_at(14).isoformat(),
            "mode": "online",
        },
    )
    assert refused.status == 409
    failed = await (await booking.get("/v1/confidants/c-anna", headers=admin)).json()
    assert failed["calendar"]["sync"]["last_error"] == "unreachable"
    with pytest.raises(Exception, match="ClientConnectorError"):
        await resync(booking)  # still down: no second event
    announced = [
        e
        for e in await stream_events(infra, isolation)
        if e["type"] == "booking.calendar.sync_failed"
    ]
    assert len(announced) == 1
    assert announced[0]["data"]["error"] == "unreachable"

    await asyncio.to_thread(_restart, own_radicale)
    await (
        state(booking)
        .db["appointments"]
        .update_one({"_id": appointment["id"]}, {"$set": {"calendar.next_try": None}})
    )  # no waiting
    assert (await write_pending(state(booking)))["written"] == 1
    href = f"{calendar}vertrouwd-{appointment['id']}@vertrouwd.ics"
    async with aiohttp.ClientSession() as session, session.get(href, headers=auth) as got:
        assert got.status == 200 and b"Vertrouwelijk gesprek" in await got.read()
    await resync(booking)
    reopened = await (
        await booking.get(
            "/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=reporter("case-2")
        )
    ).json()
    assert reopened["slots"] and "closed" not in reopened


def _restart(process: Process) -> None:
    process.start()
    process.wait_ready(30)

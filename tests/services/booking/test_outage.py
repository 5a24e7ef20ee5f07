"""A calendar server that goes away: booking goes on, writes wait, stale calendars close."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import nats
import pytest

from deploy.stack.bus import nats_server
from deploy.stack.calendars import radicale
from deploy.stack.infra import Infra, running
from deploy.stack.places import DEMO_CALDAV_USER
from deploy.stack.process import Process, free_port
from services.booking.calendars.writer import write_pending
from tests.conftest import Isolation, StartService
from tests.polling import eventually
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
    state(booking).clock.move(timedelta(seconds=2.1))  # past the 2 s limit of this test
    with pytest.raises(Exception, match="ClientConnectorError"):
        await resync(booking)
    closed = await (
        await booking.get(
            "/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=reporter("case-2")
        )
    ).json()
    assert closed["slots"] == [] and closed["closed"] == "calendar_unavailable"
    refused = await booking.post(
        "/v1/appointments", headers=reporter("case-2"), json=body(next_weekday_at(14))
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


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[Process]:
    server = nats_server(tmp_path / "nats", free_port())
    with running([server]):
        yield server


async def stream_of(url: str, stream: str) -> list[dict[str, Any]]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        return [
            json.loads((await js.get_msg(stream, seq)).data or b"{}")
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
        ]
    finally:
        await nc.close()


async def test_a_booking_made_while_nats_is_away_goes_out_when_it_is_back(
    own_nats: Process,
    start_service: StartService,
    admin: dict[str, str],
    reporter: Callable[..., dict[str, str]],
    isolation: Isolation,
) -> None:
    booking = await start_service("booking", NATS_URL=own_nats.url, OUTBOX_RELAY_S="0.3")
    await setup_confidant(booking, admin)
    await setup_type(booking, admin)
    await asyncio.to_thread(own_nats.kill)
    booked = await booking.post(
        "/v1/appointments", headers=reporter(), json=body(next_weekday_at(10))
    )
    assert booked.status == 201  # stored: the event waits in the appointment's outbox
    appointment = await booked.json()
    db = state(booking).db
    doc = await db["appointments"].find_one({"_id": appointment["id"]})
    assert doc is not None and len(doc["outbox"]) == 1
    [event_id] = doc["outbox"]

    await asyncio.to_thread(_restart, own_nats)

    async def relayed() -> bool:
        found = await db["appointments"].find_one({"_id": appointment["id"]})
        return found is not None and not found.get("outbox")

    await eventually(relayed, within=30)  # no one asked: booking relays its own outbox
    events = await stream_of(own_nats.url, isolation.stream)
    assert [e["id"] for e in events if e["type"] == "booking.appointment.booked"] == [event_id]


async def test_the_stream_is_the_operators(
    own_nats: Process, start_service: StartService, isolation: Isolation
) -> None:
    """A stream made by the operator keeps its replicas and limits whatever the services'
    settings say; one that is missing is made from the settings."""
    nc = await nats.connect(own_nats.url)
    try:
        js = nc.jetstream()
        await js.add_stream(
            name=isolation.stream,
            subjects=[f"{isolation.subject_prefix}intake.>"],
            max_age=7 * 86400,
            max_msgs=1_000_000,
        )
        await start_service("booking", NATS_URL=own_nats.url)
        kept = (await js.stream_info(isolation.stream)).config
        assert kept.max_age == 7 * 86400 and kept.max_msgs == 1_000_000
        assert f"{isolation.subject_prefix}booking.>" in (kept.subjects or [])  # added only
        await js.delete_stream(isolation.stream)
        await start_service("intake", NATS_URL=own_nats.url, NATS_STREAM_MAX_AGE_S="86400")
        made = (await js.stream_info(isolation.stream)).config
        assert made.max_age == 86400 and made.num_replicas == 1
    finally:
        await nc.close()

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar

from tests.conftest import StartService
from tests.services.booking.conftest import (
    AMS,
    Client,
    Desk,
    body,
    next_weekday_at,
    setup_confidant,
    setup_type,
    state,
)
from tests.services.intake.conftest import stream_events


async def test_slots_come_from_working_hours(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    answer = await ready.get("/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=reporter())
    assert answer.status == 200
    found = await answer.json()
    assert found["timezone"] == "Europe/Amsterdam" and len(found["slots"]) > 50
    first = found["slots"][0]
    assert first["start"].endswith(("+01:00", "+02:00"))  # shown in the zone, not UTC
    other_org = await ready.get(
        "/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=reporter(org_id="org-zuid")
    )
    assert other_org.status == 422


async def test_book_online_then_the_slot_is_gone(desk: Desk) -> None:
    start = next_weekday_at(10)
    made = await desk.ready.post("/v1/appointments", headers=desk.reporter(), json=body(start))
    assert made.status == 201, await made.text()
    appointment = await made.json()
    assert appointment["video_url"].startswith("https://meet.jit.si/vp-")
    room = appointment["video_url"].rsplit("/", 1)[-1].removeprefix("vp-")
    assert len(room) >= 22  # 128 random bits, URL-safe
    again = await desk.ready.post(
        "/v1/appointments", headers=desk.reporter("case-2"), json=body(start)
    )
    assert again.status == 409
    # The buffer after: 11:00 touches the first appointment's 15 minutes.
    buffered = await desk.ready.post(
        "/v1/appointments",
        headers=desk.reporter("case-2"),
        json=body(start + timedelta(hours=1)),
    )
    assert buffered.status == 409
    later = await desk.ready.post(
        "/v1/appointments",
        headers=desk.reporter("case-2"),
        json=body(start + timedelta(hours=1, minutes=30)),
    )
    assert later.status == 201
    slots = await (
        await desk.ready.get(
            "/v1/slots?confidant_id=c-anna&type_id=gesprek", headers=desk.reporter()
        )
    ).json()
    taken = start.astimezone(AMS).isoformat()
    assert taken not in {s["start"] for s in slots["slots"]}
    events = [
        e
        for e in await stream_events(desk.infra, desk.isolation)
        if e["type"] == "booking.appointment.booked"
    ]
    assert len(events) == 2 and set(events[0]["data"]) == {
        "appointment_id",
        "case_id",
        "confidant_id",
        "starts_at",
        "ends_at",
        "mode",
        "sequence",
        "meeting",
    }
    assert events[0]["data"]["meeting"] == "case"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"confidant_id": "c-zeno"}, "confidant_id"),
        ({"type_id": "massage"}, "type_id"),
        ({"mode": "phone"}, "mode"),
        ({"mode": "on_location"}, "location_id"),
        ({"start": "2020-01-06T09:00:00+00:00"}, "start"),  # the past
        ({"start": "2099-01-05T09:00:00+00:00"}, "start"),  # beyond the horizon
        ({"start": "naughty"}, "start"),
    ],
)
async def test_bad_bookings_are_refused_and_nothing_is_written(
    ready: Client, reporter: Callable[..., dict[str, str]], change: dict[str, Any], field: str
) -> None:
    made = await ready.post(
        "/v1/appointments", headers=reporter(), json={**body(next_weekday_at(10)), **change}
    )
    assert made.status == 422, await made.text()
    assert field in (await made.json())["error"]["fields"]
    db = state(ready).db
    assert await db["appointments"].count_documents({}) == 0
    assert await db["claims"].count_documents({}) == 0


async def test_off_grid_and_outside_hours(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    for start in (next_weekday_at(10) + timedelta(minutes=10), next_weekday_at(20)):
        made = await ready.post("/v1/appointments", headers=reporter(), json=body(start))
        assert made.status == 422


async def test_on_location_gives_the_address(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    made = await ready.post(
        "/v1/appointments",
        headers=reporter(),
        json=body(next_weekday_at(11), mode="on_location", location_id="hq"),
    )
    assert made.status == 201
    appointment = await made.json()
    assert appointment["address"] == "Hoofdkantoor, Stationsplein 1, Zwolle"
    assert appointment["video_url"] is None


async def test_an_idempotency_key_is_honoured(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    headers = {**reporter(), "Idempotency-Key": "boek-1"}
    first = await ready.post("/v1/appointments", headers=headers, json=body(next_weekday_at(10)))
    second = await ready.post("/v1/appointments", headers=headers, json=body(next_weekday_at(10)))
    assert first.status == second.status == 201
    assert (await first.json())["id"] == (await second.json())["id"]
    assert await state(ready).db["appointments"].count_documents({}) == 1


async def test_reschedule_cancel_and_ics(desk: Desk) -> None:
    start = next_weekday_at(10)
    appointment = await (
        await desk.ready.post("/v1/appointments", headers=desk.reporter(), json=body(start))
    ).json()
    url = f"/v1/appointments/{appointment['id']}"
    # Half an hour later overlaps its own old time: that is no conflict.
    moved = await desk.ready.post(
        f"{url}/reschedule",
        headers=desk.reporter(),
        json={"start": (start + timedelta(minutes=30)).isoformat()},
    )
    assert moved.status == 200, await moved.text()
    assert (await moved.json())["sequence"] == 1
    other = await desk.ready.post(
        "/v1/appointments", headers=desk.reporter("case-2"), json=body(start)
    )
    assert other.status == 409  # 10:00 is still inside the moved appointment's time

    ics_answer = await desk.ready.get(f"{url}.ics", headers=desk.reporter())
    assert ics_answer.status == 200 and ics_answer.content_type == "text/calendar"
    calendar = Calendar.from_ical(await ics_answer.read())
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Vertrouwelijk gesprek"
    assert str(event["uid"]) == f"vertrouwd-{appointment['id']}@vertrouwd"
    assert int(str(event["sequence"])) == 1
    assert event.decoded("dtstart") == start + timedelta(minutes=30)

    stranger = await desk.ready.post(f"{url}/cancel", headers=desk.reporter("case-9"))
    assert stranger.status == 404  # someone else's: as if there were none
    other_confidant = desk.token("confidant", "booking", orgs=["org-noord"], sub="c-bram")
    assert (
        await desk.ready.post(
            f"{url}/cancel", headers={"Authorization": f"Bearer {other_confidant}"}
        )
    ).status == 404
    cancelled = await desk.ready.post(f"{url}/cancel", headers=desk.reporter())
    assert cancelled.status == 200 and (await cancelled.json())["status"] == "cancelled"
    assert (await desk.ready.post(f"{url}/cancel", headers=desk.reporter())).status == 409
    assert await state(desk.ready).db["claims"].count_documents({}) == 0
    now_free = await desk.ready.post(
        "/v1/appointments", headers=desk.reporter("case-2"), json=body(start)
    )
    assert now_free.status == 201
    types = [e["type"] for e in await stream_events(desk.infra, desk.isolation)]
    assert types.count("booking.appointment.rescheduled") == 1
    assert types.count("booking.appointment.cancelled") == 1


async def test_200_requests_for_one_slot_over_two_instances_book_it_once(
    start_service: StartService,
    admin: dict[str, str],
    reporter: Callable[..., dict[str, str]],
) -> None:
    first = await start_service("booking")
    second = await start_service("booking")
    await setup_confidant(first, admin)
    await setup_type(first, admin)
    start = next_weekday_at(10)
    answers = await asyncio.gather(
        *(
            (first if i % 2 else second).post(
                "/v1/appointments", headers=reporter(f"case-{i}"), json=body(start)
            )
            for i in range(200)
        )
    )
    statuses = sorted(a.status for a in answers)
    assert statuses.count(201) == 1 and set(statuses) == {201, 409}
    assert await state(first).db["appointments"].count_documents({}) == 1


async def test_claims_left_by_a_crash_are_given_back(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    from datetime import UTC, datetime

    from services.booking.domain.rules import claim_ids
    from services.booking.store.claims import release_orphan_claims

    start = next_weekday_at(10)
    booked = await (
        await ready.post("/v1/appointments", headers=reporter(), json=body(start))
    ).json()
    # As if a process had claimed 14:00 and died before writing its appointment.
    db = state(ready).db
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    two = next_weekday_at(14)
    await db["claims"].insert_many(
        [
            {"_id": i, "owner": "ghost:0", "appointment_id": "ghost", "claimed_at": long_ago}
            for i in claim_ids("c-anna", (two, two + timedelta(hours=1)))
        ]
    )
    refused = await ready.post("/v1/appointments", headers=reporter("case-2"), json=body(two))
    assert refused.status == 409
    assert await release_orphan_claims(state(ready)) == 12
    assert (
        await release_orphan_claims(state(ready), now=datetime.now(UTC) + timedelta(hours=1)) == 0
    )  # a booked appointment keeps its claims
    assert await db["claims"].count_documents({"appointment_id": booked["id"]}) == 15
    again = await ready.post("/v1/appointments", headers=reporter("case-2"), json=body(two))
    assert again.status == 201


async def test_slots_in_another_zone(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    london = await (
        await ready.get(
            "/v1/slots?confidant_id=c-anna&type_id=gesprek&timezone=Europe/London",
            headers=reporter(),
        )
    ).json()
    assert london["timezone"] == "Europe/London"
    assert london["slots"][0]["start"].endswith(("+00:00", "+01:00"))
    bad = await ready.get(
        "/v1/slots?confidant_id=c-anna&type_id=gesprek&timezone=Mars/Base", headers=reporter()
    )
    assert bad.status == 422

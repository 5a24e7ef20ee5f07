"""The organisation's own meetings with the firm, and the confidant's confirmation of how a
conversation went: booked, refused, told and cancelled through booking's public API."""

from __future__ import annotations

from datetime import timedelta

from services.booking.api.meetings import meetings_of
from tests.scene import bearer
from tests.services.booking.conftest import ORG, Desk, body, next_weekday_at, state
from tests.services.intake.conftest import stream_events

INTRO = {
    "id": "intro",
    "name": {"nl": "Kennismaking met de organisatie", "en": "Introduction"},
    "duration_min": 90,
    "modes": ["online", "on_location"],
    "min_notice_min": 0,
    "audience": "organisation",
}


async def test_the_organisations_admin_books_its_meeting_with_the_firm(desk: Desk) -> None:
    booking = desk.ready
    assert (
        await booking.post("/v1/appointment-types", headers=desk.admin, json=INTRO)
    ).status == 201
    hr = bearer(desk.token("org_admin", "booking", org_id=ORG))
    options = await (await booking.get(f"/v1/orgs/{ORG}/meeting-options", headers=hr)).json()
    assert options["confidants"] == [{"id": "c-anna", "display_name": "Anna"}]
    assert [t["id"] for t in options["types"]] == ["intro"]  # not the reporters' "gesprek"
    start = next_weekday_at(13)
    meeting = {**body(start), "type_id": "intro", "mode": "on_location", "location_id": "hq"}
    # A reporter's type is not the organisation's, and a reporter cannot book this one.
    wrong = await booking.post(f"/v1/orgs/{ORG}/meetings", headers=hr, json=body(start))
    assert wrong.status == 403 and "own meetings" in (await wrong.json())["error"]["message"]
    as_reporter = await booking.post("/v1/appointments", headers=desk.reporter(), json=meeting)
    assert as_reporter.status == 422
    other = bearer(desk.token("org_admin", "booking", org_id="org-zuid"))
    assert (
        await booking.post(f"/v1/orgs/{ORG}/meetings", headers=other, json=meeting)
    ).status == 403

    made = await booking.post(f"/v1/orgs/{ORG}/meetings", headers=hr, json=meeting)
    assert made.status == 201, await made.text()
    booked = await made.json()
    assert booked["meeting"] == "organisation" and booked["booked_by"] == "org_admin"
    assert booked["case_id"] == meetings_of(ORG) and booked["reference"] is None
    assert booked["address"] == "Hoofdkantoor, Stationsplein 1, Zwolle"
    # Its time is taken like any conversation's: no reporter can book over it.
    clash = await booking.post("/v1/appointments", headers=desk.reporter(), json=body(start))
    assert clash.status == 409
    listed = await (await booking.get(f"/v1/orgs/{ORG}/meetings", headers=hr)).json()
    assert [m["id"] for m in listed["items"]] == [booked["id"]]
    assert (await booking.get(f"/v1/orgs/{ORG}/meetings", headers=other)).status == 403

    cancelled = await booking.post(f"/v1/orgs/{ORG}/meetings/{booked['id']}/cancel", headers=hr)
    assert cancelled.status == 200 and (await cancelled.json())["status"] == "cancelled"
    again = await booking.post(f"/v1/orgs/{ORG}/meetings/{booked['id']}/cancel", headers=hr)
    assert again.status == 409
    events = [
        e
        for e in await stream_events(desk.infra, desk.isolation)
        if e["type"].startswith("booking.appointment.")
    ]
    assert [(e["type"], e["data"]["meeting"]) for e in events] == [
        ("booking.appointment.booked", "organisation"),
        ("booking.appointment.cancelled", "organisation"),
    ]
    assert events[1]["data"]["cancelled_by"] == "organisation"


async def test_the_confidant_confirms_how_a_conversation_went(desk: Desk) -> None:
    booking = desk.ready
    start = next_weekday_at(10)
    made = await booking.post(
        "/v1/appointments", headers=desk.reporter(), json=body(start, mode="walk")
    )
    assert made.status == 201, await made.text()
    appointment = await made.json()
    anna = bearer(desk.token("confidant", "booking", sub="c-anna", orgs=[ORG]))
    held = {
        "started_at": (start + timedelta(minutes=5)).isoformat(),
        "ended_at": (start + timedelta(minutes=80)).isoformat(),
        "km": 42.5,
        "travel_minutes": 50,
    }
    path = f"/v1/appointments/{appointment['id']}/held"
    early = await booking.put(path, headers=anna, json=held)
    assert early.status == 409 and "not begun" in (await early.json())["error"]["message"]
    state(booking).clock.move(start - state(booking).clock.now() + timedelta(hours=2))
    bad = await booking.put(path, headers=anna, json={**held, "ended_at": held["started_at"]})
    assert bad.status == 422 and "ended_at" in str((await bad.json())["error"]["fields"])
    reporter = await booking.put(path, headers=desk.reporter(), json=held)
    assert reporter.status == 403
    bram = bearer(desk.token("confidant", "booking", sub="c-bram", orgs=[ORG]))
    assert (await booking.put(path, headers=bram, json=held)).status == 404
    done = await booking.put(path, headers=anna, json=held)
    assert done.status == 200, await done.text()
    assert (await done.json())["held"] == {
        **held,
        "started_at": (start + timedelta(minutes=5)).isoformat(),
    }
    # Corrected later: the last confirmation counts.
    fixed = await booking.put(path, headers=anna, json={**held, "km": 40.0})
    assert (await fixed.json())["held"]["km"] == 40.0
    events = [
        e["data"]
        for e in await stream_events(desk.infra, desk.isolation)
        if e["type"] == "booking.appointment.held"
    ]
    assert [(e["km"], e["travel_minutes"], e["mode"]) for e in events] == [
        (42.5, 50, "walk"),
        (40.0, 50, "walk"),
    ]
    # Online there is no travel to confirm.
    online = await booking.post(
        "/v1/appointments",
        headers=desk.reporter("case-2"),
        json=body(start + timedelta(days=7)),
    )
    assert online.status == 201
    state(booking).clock.move(timedelta(days=7))
    refused = await booking.put(
        f"/v1/appointments/{(await online.json())['id']}/held",
        headers=anna,
        json={
            **held,
            "started_at": (start + timedelta(days=7)).isoformat(),
            "ended_at": (start + timedelta(days=7, minutes=45)).isoformat(),
        },
    )
    assert refused.status == 422

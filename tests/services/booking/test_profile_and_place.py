"""What the employee's booking page shows and sends beyond a time: the confidant's
description in their language, closed public holidays as a setting, and a meeting point the
employee proposes and the confidant confirms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.services.booking.conftest import ORG, Client, Desk, bearer, body, next_weekday_at


async def test_a_bio_per_language_and_the_holidays_setting(
    ready: Client, admin: dict[str, str], reporter: Callable[..., dict[str, str]]
) -> None:
    bios = {"nl": "Luistert en denkt mee.", "en": "Listens and thinks along."}
    changed = await ready.patch("/v1/confidants/c-anna", headers=admin, json={"bio": bios})
    assert changed.status == 200, await changed.text()
    seen = await (await ready.get("/v1/confidants/c-anna", headers=reporter())).json()
    assert seen["bio"] == bios and seen["holidays"] == "NL"  # NL unless set
    assert "hours" not in seen  # an employee sees the public profile only

    for wrong, field in [
        ({"holidays": "XX"}, "holidays"),
        ({"bio": {"nl": "x" * 601}}, "bio"),
        ({"bio": {"klingon": "nuqneH"}}, "bio"),
    ]:
        refused = await ready.patch("/v1/confidants/c-anna", headers=admin, json=wrong)
        assert refused.status == 422, wrong
        assert any(k.startswith(field) for k in (await refused.json())["error"]["fields"]), wrong
    # No holidays at all (a confidant who works through them), and back.
    off = await ready.patch("/v1/confidants/c-anna", headers=admin, json={"holidays": None})
    assert (await off.json())["holidays"] is None
    german = await ready.patch("/v1/confidants/c-anna", headers=admin, json={"holidays": "DE"})
    assert (await german.json())["holidays"] == "DE"
    assert (await german.json())["bio"] == bios  # what was not sent stays


async def test_the_employee_proposes_a_meeting_point_and_the_confidant_confirms_it(
    desk: Desk,
) -> None:
    walk = await desk.ready.post(
        "/v1/appointments",
        headers=desk.reporter(),
        json=body(next_weekday_at(10), mode="walk", meeting_point="Ingang van het Park"),
    )
    assert walk.status == 201, await walk.text()
    made: dict[str, Any] = await walk.json()
    assert made["meeting_point"] == {
        "text": "Ingang van het Park",
        "state": "proposed",
        "by": "reporter",
    }
    place = f"/v1/appointments/{made['id']}/meeting-point"
    anna = bearer(desk.token("confidant", "booking", sub="c-anna", orgs=[ORG]))
    confirmed = await desk.ready.put(
        place, headers=anna, json={"text": "Ingang Park, bij de vijver"}
    )
    assert confirmed.status == 200, await confirmed.text()
    assert (await confirmed.json())["meeting_point"] == {
        "text": "Ingang Park, bij de vijver",
        "state": "confirmed",
        "by": "confidant",
    }
    # The employee sees it after a reload, as the page reads it.
    again = await (
        await desk.ready.get(f"/v1/appointments/{made['id']}", headers=desk.reporter())
    ).json()
    assert again["meeting_point"]["state"] == "confirmed"

    # Another case's desk.token, a bad text, a video call, a cancelled walk: all refused cleanly.
    other = await desk.ready.put(place, headers=desk.reporter("case-2"), json={"text": "Elders"})
    assert other.status == 404
    for wrong in ({"text": ""}, {"text": "x" * 201}, {}, {"text": 5}):
        assert (await desk.ready.put(place, headers=desk.reporter(), json=wrong)).status == 422, (
            wrong
        )
    online = await desk.ready.post(
        "/v1/appointments", headers=desk.reporter("case-3"), json=body(next_weekday_at(14))
    )
    online_id = (await online.json())["id"]
    refused = await desk.ready.put(
        f"/v1/appointments/{online_id}/meeting-point",
        headers=desk.reporter("case-3"),
        json={"text": "Hier"},
    )
    assert refused.status == 409
    video_with_place = await desk.ready.post(
        "/v1/appointments",
        headers=desk.reporter("case-4"),
        json=body(next_weekday_at(16), meeting_point="Hier"),
    )
    assert video_with_place.status == 422
    assert "meeting_point" in (await video_with_place.json())["error"]["fields"]
    cancelled = await desk.ready.post(
        f"/v1/appointments/{made['id']}/cancel", headers=desk.reporter()
    )
    assert cancelled.status == 200
    assert (
        await desk.ready.put(place, headers=desk.reporter(), json={"text": "Toch hier"})
    ).status == 409


async def test_on_location_elsewhere_is_a_proposed_place(
    ready: Client, reporter: Callable[..., dict[str, str]]
) -> None:
    nowhere = await ready.post(
        "/v1/appointments", headers=reporter(), json=body(next_weekday_at(10), mode="on_location")
    )
    assert nowhere.status == 422
    assert "location_id" in (await nowhere.json())["error"]["fields"]
    elsewhere = await ready.post(
        "/v1/appointments",
        headers=reporter(),
        json=body(next_weekday_at(10), mode="on_location", meeting_point="Bibliotheek Zwolle"),
    )
    assert elsewhere.status == 201, await elsewhere.text()
    made = await elsewhere.json()
    assert made["address"] is None and made["meeting_point"]["state"] == "proposed"

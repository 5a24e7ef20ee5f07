"""The agenda's week through the API: the busy time from the confidant's own calendar (on
Radicale and on Xandikos), appointments within a window, and the case reference they carry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.services.booking.conftest import (
    ORG,
    CalendarServer,
    Client,
    Desk,
    bearer,
    body,
    next_weekday_at,
    setup_confidant,
    state,
)
from tests.services.booking.test_calendar import at, connect, put_event


def window(start: datetime, end: datetime) -> str:
    return urlencode({"from": start.isoformat(), "to": end.isoformat()})


async def busy(client: Client, headers: dict[str, str], query: str, who: str = "c-anna") -> Any:
    return await client.get(f"/v1/confidants/{who}/calendar/busy?{query}", headers=headers)


async def test_the_week_shows_busy_time_merged_and_cut_to_the_window(
    desk: Desk, calendar: CalendarServer
) -> None:
    anna = bearer(desk.token("confidant", "booking", sub="c-anna"))
    day = next_weekday_at(0)  # that day's midnight in Amsterdam
    noon, ten = next_weekday_at(12), next_weekday_at(10)
    await put_event(
        calendar.direct, "lunch", f"DTSTART:{at(noon)}", f"DTEND:{at(noon + timedelta(hours=1))}"
    )
    await put_event(  # overlaps the lunch: one busy block from 12:00 to 14:00
        calendar.direct,
        "overleg",
        f"DTSTART:{at(noon + timedelta(minutes=30))}",
        f"DTEND:{at(noon + timedelta(hours=2))}",
    )
    await put_event(  # marked free: not busy
        calendar.direct,
        "vrij",
        f"DTSTART:{at(noon + timedelta(hours=3))}",
        f"DTEND:{at(noon + timedelta(hours=4))}",
        "TRANSP:TRANSPARENT",
    )
    await put_event(  # ten days later: outside a window of this day
        calendar.direct,
        "later",
        f"DTSTART:{at(noon + timedelta(days=10))}",
        f"DTEND:{at(noon + timedelta(days=10, hours=1))}",
    )
    before = await busy(desk.ready, anna, window(day, day + timedelta(days=1)))
    assert (await before.json()) == {"calendar": "not_connected", "busy": []}
    assert (await connect(desk.ready, desk.admin, calendar)).status == 200

    # An appointment of ours is in her calendar too, but it is an appointment, not busy time.
    employee = bearer(
        desk.token(
            "employee",
            ["intake", "booking"],
            org_id=ORG,
            case_id="case-1",
            reference="VP-2026-ABC123",
        )
    )
    booked = await desk.ready.post("/v1/appointments", headers=employee, json=body(ten))
    assert booked.status == 201, await booked.text()

    answer = await busy(desk.ready, anna, window(day, day + timedelta(days=1)))
    assert answer.status == 200, await answer.text()
    found = await answer.json()
    assert found["calendar"] == "current" and found["last_success"]
    assert [
        (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
        for b in found["busy"]
    ] == [(noon, noon + timedelta(hours=2))]
    # A window that starts in the middle of the block shows only its part inside.
    cut = await (
        await busy(desk.ready, anna, window(noon + timedelta(hours=1), day + timedelta(days=1)))
    ).json()
    assert [b["start"] for b in cut["busy"]] == [(noon + timedelta(hours=1)).isoformat()]

    # The appointments of that window, with the case's reference from the booking desk.token.
    listed = await desk.ready.get(
        f"/v1/appointments?{window(day, day + timedelta(days=1))}", headers=anna
    )
    [appointment] = (await listed.json())["items"]
    assert appointment["reference"] == "VP-2026-ABC123" and appointment["case_id"] == "case-1"
    later = await desk.ready.get(
        f"/v1/appointments?{window(day + timedelta(days=1), day + timedelta(days=8))}", headers=anna
    )
    assert (await later.json())["items"] == []

    # Not read for too long: the last busy time is still shown, and said to be stale.
    state(desk.ready).clock.move(timedelta(days=1))
    stale = await (await busy(desk.ready, anna, window(day, day + timedelta(days=1)))).json()
    assert stale["calendar"] == "stale" and len(stale["busy"]) == 1


async def test_the_week_is_asked_for_a_clear_window_and_only_by_its_confidant(
    ready: Client, admin: dict[str, str], token: Callable[..., str]
) -> None:
    anna = bearer(token("confidant", "booking", sub="c-anna"))
    now = datetime.now(UTC)
    good = window(now, now + timedelta(days=7))
    for query, field in [
        ("", "from"),
        (urlencode({"from": now.isoformat()}), "to"),
        (urlencode({"from": "gisteren", "to": now.isoformat()}), "from"),
        (urlencode({"from": "2026-12-07T00:00:00", "to": now.isoformat()}), "from"),  # no offset
        (window(now, now - timedelta(hours=1)), "to"),  # backwards
        (window(now, now + timedelta(days=60)), "to"),  # too long
    ]:
        answer = await busy(ready, anna, query)
        assert answer.status == 422, (query, await answer.text())
        assert field in (await answer.json())["error"]["fields"], query
        listed = await ready.get(f"/v1/appointments?{query}", headers=anna)
        assert listed.status == (200 if query == "" else 422), query

    await setup_confidant(ready, admin, "c-bert")
    assert (await busy(ready, anna, good, who="c-bert")).status == 403  # another's calendar
    employee = bearer(token("employee", ["intake", "booking"], org_id=ORG, case_id="case-1"))
    assert (await busy(ready, employee, good)).status == 403
    org_admin = bearer(token("org_admin", "booking", org_id=ORG))
    assert (await busy(ready, org_admin, good)).status == 403
    assert (await busy(ready, {}, good)).status == 401
    assert (await busy(ready, admin, good, who="niemand")).status == 404
    # A token whose reference is not one is refused as a whole.
    forged = bearer(
        token("employee", ["intake", "booking"], org_id=ORG, case_id="case-1", reference="<b>")
    )
    assert (await ready.get("/v1/appointments", headers=forged)).status == 401

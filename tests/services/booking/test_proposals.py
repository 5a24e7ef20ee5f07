"""Booking for a case that came without a code: the confidant books for it, or proposes times
the reporter picks with a signed, single-use, expiring link (domain/proposals.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest

from services.booking.domain.proposals import AUDIENCE
from tests.conftest import StartService
from tests.polling import eventually
from tests.scene import bearer, make_anna, make_org, phone_call
from tests.services.booking.conftest import Client, next_weekday_at, state


async def phone_case(intake: Client, booking: Client, token: Callable[..., str], slug: str) -> str:
    """A case the office registered from a phone call (no code), once booking knows it."""
    case_id: str = (await phone_call(intake, token, slug))["case_id"]

    async def known() -> bool:
        link = await state(booking).db["cases"].find_one({"_id": case_id})
        return bool(link and link.get("confidant_id") and link.get("reference"))

    await eventually(known)
    return case_id


@pytest.fixture
async def two(start_service: StartService, token: Callable[..., str]) -> dict[str, Any]:
    intake = await start_service("intake")
    booking = await start_service("booking")
    org = await make_org(intake, token)
    await make_anna(booking, token, org["id"], modes=("online", "phone"))
    case_id = await phone_case(intake, booking, token, org["slug"])
    anna = bearer(token("confidant", "booking", sub="c-anna", orgs=[org["id"]]))
    return {"intake": intake, "booking": booking, "org": org, "case": case_id, "anna": anna}


def times(*hours: int) -> list[str]:
    return [next_weekday_at(h).isoformat() for h in hours]


async def test_the_confidant_books_for_a_phone_case(
    two: dict[str, Any], token: Callable[..., str]
) -> None:
    booking: Client = two["booking"]
    path = f"/v1/cases/{two['case']}/appointments"
    body = {"confidant_id": "c-anna", "type_id": "gesprek", "mode": "phone"}
    made = await booking.post(path, headers=two["anna"], json={**body, "start": times(10)[0]})
    assert made.status == 201, await made.text()
    appointment = await made.json()
    assert appointment["booked_by"] == "confidant" and appointment["case_id"] == two["case"]
    assert appointment["reference"].startswith("VP-")
    # Another confidant, an employee token, a case that does not exist: refused alike.
    bram = bearer(token("confidant", "booking", sub="c-bram", orgs=[two["org"]["id"]]))
    other = await booking.post(path, headers=bram, json={**body, "start": times(11)[0]})
    assert other.status == 404
    employee = bearer(token("employee", "booking", org_id=two["org"]["id"], case_id=two["case"]))
    assert (await booking.post(path, headers=employee, json=body)).status == 403
    none = await booking.post("/v1/cases/no-such-case/appointments", headers=two["anna"], json=body)
    assert none.status == 404
    # The slot is the confidant's: the same time again is taken.
    again = await booking.post(path, headers=two["anna"], json={**body, "start": times(10)[0]})
    assert again.status == 409


async def test_a_proposal_is_picked_once_with_its_link(two: dict[str, Any]) -> None:
    booking: Client = two["booking"]
    made = await booking.post(
        f"/v1/cases/{two['case']}/proposals",
        headers=two["anna"],
        json={"type_id": "gesprek", "mode": "online", "starts": times(9, 13, 15)},
    )
    assert made.status == 201, await made.text()
    proposal = await made.json()
    assert "/book?proposal=" in proposal["url"] and proposal["url"] in proposal["message"]
    assert "Kies" in proposal["message"]  # the case's language (Dutch)
    token = proposal["url"].split("#p=", 1)[1]
    link = {"X-Proposal-Token": token}
    path = f"/v1/proposals/{proposal['id']}"
    seen = await booking.get(path, headers=link)
    assert seen.status == 200, await seen.text()
    view = await seen.json()
    assert len(view["starts"]) == 3 and view["appointment"] is None and not view["ask_phone"]
    # No token, a token of another proposal, a forged one: as if there were none.
    assert (await booking.get(path)).status == 404
    forged = jwt.encode(
        {"sub": proposal["id"], "aud": AUDIENCE, "exp": 2**31},
        "a guessed key of thirty-two bytes!",
        "HS256",
    )
    assert (await booking.get(path, headers={"X-Proposal-Token": forged})).status == 404
    # A time that was not proposed is refused; two picks at once book once.
    wrong = await booking.post(f"{path}/accept", headers=link, json={"start": times(11)[0]})
    assert wrong.status == 422
    picks = await asyncio.gather(
        *(
            booking.post(f"{path}/accept", headers=link, json={"start": start})
            for start in view["starts"][:2]
        )
    )
    assert sorted(p.status for p in picks) == [201, 409]
    booked = next([await p.json() for p in picks if p.status == 201].__iter__())
    assert booked["video_url"].startswith("https://meet.jit.si/vp-")
    assert "phone" not in booked  # the reporter's view
    # Used: the link shows the appointment, and does not book again.
    assert (await (await booking.get(path, headers=link)).json())["appointment"]["id"] == (
        booked["id"]
    )
    third = await booking.post(f"{path}/accept", headers=link, json={"start": view["starts"][2]})
    assert third.status == 409


async def test_a_proposal_link_expires(two: dict[str, Any]) -> None:
    booking: Client = two["booking"]
    made = await booking.post(
        f"/v1/cases/{two['case']}/proposals",
        headers=two["anna"],
        json={"type_id": "gesprek", "mode": "online", "starts": times(10)},
    )
    proposal = await made.json()
    state(booking).clock.move(timedelta(days=8))
    expired = await booking.get(
        f"/v1/proposals/{proposal['id']}",
        headers={"X-Proposal-Token": proposal["url"].split("#p=", 1)[1]},
    )
    assert expired.status == 409 and "expired" in await expired.text()


async def test_only_free_times_are_proposed(two: dict[str, Any]) -> None:
    booking: Client = two["booking"]
    path = f"/v1/cases/{two['case']}/proposals"
    sunday = next_weekday_at(10)
    while sunday.weekday() != 6:
        sunday += timedelta(days=1)
    refused = await booking.post(
        path,
        headers=two["anna"],
        json={"type_id": "gesprek", "mode": "online", "starts": [sunday.isoformat()]},
    )
    assert refused.status == 422 and "starts" in (await refused.json())["error"]["fields"]
    four = await booking.post(
        path,
        headers=two["anna"],
        json={"type_id": "gesprek", "mode": "online", "starts": times(9, 10, 11, 12)},
    )
    assert four.status == 422


async def test_a_number_to_call_is_sealed_shown_to_the_confidant_and_purged(
    start_service: StartService, token: Callable[..., str]
) -> None:
    from datetime import UTC, datetime

    from services.intake.domain import jobs
    from services.intake.state import INTAKE

    intake = await start_service("intake")
    booking = await start_service("booking")
    org = await make_org(intake, token)
    await make_anna(booking, token, org["id"], modes=("online", "phone"))
    made = await intake.post(
        "/v1/cases", json={"organisation": org["slug"], "category": "pesten", "anonymous": True}
    )
    case_id = (await made.json())["case_id"]
    await eventually(lambda: _known(booking, case_id))
    reporter = bearer(token("employee", "booking", org_id=org["id"], case_id=case_id))
    body = {"confidant_id": "c-anna", "type_id": "gesprek", "mode": "phone", "start": times(10)[0]}
    no_number = await booking.post("/v1/appointments", headers=reporter, json=body)
    assert no_number.status == 422 and "phone" in (await no_number.json())["error"]["fields"]
    made = await booking.post(
        "/v1/appointments", headers=reporter, json={**body, "phone": "06 1234 5678"}
    )
    assert made.status == 201, await made.text()
    appointment = await made.json()
    assert "phone" not in appointment  # the reporter's own view: not shown back
    stored = await state(booking).db["appointments"].find_one({"_id": appointment["id"]})
    assert stored is not None and "5678" not in str(stored["phone"])  # sealed at rest
    anna = bearer(token("confidant", "booking", sub="c-anna", orgs=[org["id"]]))
    seen = await booking.get(f"/v1/appointments/{appointment['id']}", headers=anna)
    assert (await seen.json())["phone"] == "06 1234 5678"
    # Closed, and purged when its time is up: the number goes with the case.
    closed = await intake.patch(
        f"/v1/cases/{case_id}",
        headers=bearer(token("confidant", "intake", sub="c-anna", orgs=[org["id"]])),
        json={"status": "closed", "outcome": "advice"},
    )
    assert closed.status == 200, await closed.text()
    intake_app = intake.app
    assert intake_app is not None
    later = datetime.now(UTC) + timedelta(days=400)
    assert (await jobs.run_all(intake_app[INTAKE], now=later))["purged"] == 1

    async def forgotten() -> bool:
        doc = await state(booking).db["appointments"].find_one({"_id": appointment["id"]})
        return doc is not None and doc.get("phone") is None

    await eventually(forgotten)
    seen = await booking.get(f"/v1/appointments/{appointment['id']}", headers=anna)
    assert (await seen.json())["phone"] is None


async def _known(booking: Client, case_id: str) -> bool:
    link = await state(booking).db["cases"].find_one({"_id": case_id})
    return bool(link and link.get("confidant_id"))

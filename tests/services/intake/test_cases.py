from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientResponse

from tests.conftest import StartService
from tests.services.intake.conftest import (
    NAMED,
    Client,
    Desk,
    bearer,
    report,
    state,
    stream_events,
)


async def test_an_anonymous_report(intake: Client, org: dict[str, Any]) -> None:
    answer = await report(intake, org, anonymous=True, contact=None, text=None, locale="en")
    assert re.fullmatch(r"([0-9A-Z]{4}-){4}[0-9A-Z]{4}", answer["case_code"])
    assert answer["reference"].startswith("VP-")
    assert answer["confirmation"]["title"].startswith("Your report VP-")
    assert any("case code" in step for step in answer["confirmation"]["next_steps"])
    mine = await intake.get(f"/v1/cases/{answer['case_id']}", headers=bearer(answer["token"]))
    assert mine.status == 200
    view = await mine.json()
    assert view["status"] == "new" and view["anonymous"] is True and "contact" not in view


async def test_a_named_report_reaches_its_confidant(desk: Desk) -> None:
    answer = await desk.report(preferred_confidant="c-bram")
    assert answer["confirmation"]["title"].startswith("Uw melding")
    case = await (
        await desk.intake.get(f"/v1/cases/{answer['case_id']}", headers=desk.confidant("c-bram"))
    ).json()
    assert case["confidant_id"] == "c-bram"
    assert case["contact"] == {
        "name": "Jan de Vries",
        "email": "jan.devries@example.nl",
        "phone": "+31612345678",
        "preferred_channel": "email",
    }
    assert case["text"] == NAMED["text"] and case["department"] == "Zorg"
    audit = await (
        await desk.intake.get(f"/v1/cases/{answer['case_id']}/audit", headers=desk.admin)
    ).json()
    assert [(e["action"], e["actor"]) for e in audit["items"]] == [("read_case", "c-bram")]


BAD: list[tuple[dict[str, Any], str]] = [
    ({"organisation": "bestaat-niet"}, "organisation"),
    ({"category": "ruzie"}, "category"),
    ({"text": "x" * 5001}, "text"),
    ({"contact": {"name": "Jan", "email": "jan@@example"}}, "contact.email"),
    ({"contact": {"name": "Jan", "phone": "12"}}, "contact.phone"),
    ({"contact": None}, "body"),  # named, without contact details
    ({"department": "Kantine"}, "department"),
    ({"preferred_confidant": "c-zeno"}, "preferred_confidant"),
    ({"subtype": "fraude"}, "body"),  # a subtype outside integrity
    ({"channel": "phone"}, "channel"),  # only staff register phone cases
]


@pytest.mark.parametrize(("change", "field"), BAD)
async def test_bad_reports_are_refused_and_nothing_is_stored(
    intake: Client, org: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    body = {**NAMED, "organisation": org["slug"], **change}
    response = await intake.post("/v1/cases", json=body)
    assert response.status == 422, await response.text()
    assert field in (await response.json())["error"]["fields"]
    assert await state(intake).db["cases"].count_documents({}) == 0


async def test_broken_requests(intake: Client, org: dict[str, Any]) -> None:
    broken = await intake.post(
        "/v1/cases", data=b'{"organisation": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400
    form = await intake.post("/v1/cases", data={"organisation": org["slug"]})
    assert form.status == 415
    huge = await intake.post(
        "/v1/cases", json={**NAMED, "organisation": org["slug"], "text": "x" * 70_000}
    )
    assert huge.status == 413
    assert await state(intake).db["cases"].count_documents({}) == 0


async def test_too_many_reports_from_one_address(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service("intake", INTAKE_CASE_RATE_LIMIT="2")
    created = await intake.post(
        "/v1/orgs",
        headers=bearer(token("admin", "intake")),
        json={"name": "O", "slug": "o-org", "confidant_ids": ["c-anna"]},
    )
    org = await created.json()
    await report(intake, org, anonymous=True, contact=None, department=None)
    await report(intake, org, anonymous=True, contact=None, department=None)
    third = await intake.post(
        "/v1/cases", json={**NAMED, "organisation": "o-org", "department": None}
    )
    assert third.status == 429 and "Retry-After" in third.headers


async def test_staff_register_a_case_that_came_by_phone(desk: Desk) -> None:
    response = await desk.intake.post(
        "/v1/cases",
        headers=desk.confidant("c-anna"),
        json={**NAMED, "organisation": desk.org["slug"], "channel": "phone"},
    )
    assert response.status == 201
    employee = bearer(desk.token("employee", "intake", org_id=desk.org["id"], case_id="x"))
    refused = await desk.intake.post(
        "/v1/cases", headers=employee, json={**NAMED, "organisation": desk.org["slug"]}
    )
    assert refused.status == 403


async def test_assignment_least_loaded_and_handover(desk: Desk) -> None:
    first = await desk.report()
    second = await desk.report()
    owners = [
        (await (await desk.intake.get("/v1/cases", headers=desk.confidant(c))).json())["items"]
        for c in ("c-anna", "c-bram")
    ]
    assert [len(o) for o in owners] == [1, 1]  # the second went to the one without cases
    anna_case = owners[0][0]["case_id"]
    assert anna_case in (first["case_id"], second["case_id"])

    stranger = await desk.intake.post(
        f"/v1/cases/{anna_case}/assign",
        headers=desk.confidant("c-bram"),
        json={"confidant_id": "c-bram"},
    )
    assert stranger.status == 404
    handed = await desk.intake.post(
        f"/v1/cases/{anna_case}/assign",
        headers=desk.confidant("c-anna"),
        json={"confidant_id": "c-bram"},
    )
    assert handed.status == 200 and (await handed.json())["confidant_id"] == "c-bram"
    outsider = await desk.intake.post(
        f"/v1/cases/{anna_case}/assign", headers=desk.admin, json={"confidant_id": "c-zeno"}
    )
    assert outsider.status == 422

    events = await desk.events()
    assigned = [e for e in events if e["type"] == "intake.case.assigned"]
    assert [e["data"]["reason"] for e in assigned] == ["least_loaded", "least_loaded", "handover"]


async def test_coming_back_with_the_case_code(intake: Client, org: dict[str, Any]) -> None:
    answer = await report(intake, org, anonymous=True, contact=None)
    typed = answer["case_code"].lower().replace("-", " ")
    back = await intake.post("/v1/cases/access", json={"case_code": typed})
    assert back.status == 200
    again = await back.json()
    assert again["case_id"] == answer["case_id"]
    view = await intake.get(f"/v1/cases/{answer['case_id']}", headers=bearer(again["token"]))
    assert view.status == 200
    wrong = await intake.post("/v1/cases/access", json={"case_code": "AAAA-AAAA-AAAA-AAAA-AAAA"})
    assert wrong.status == 401


async def test_guessing_case_codes_is_slowed_and_locked_out(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service("intake", INTAKE_CODE_MAX_FAILURES="3")
    org = await (
        await intake.post(
            "/v1/orgs",
            headers=bearer(token("admin", "intake")),
            json={"name": "O", "slug": "o-org", "confidant_ids": ["c-anna"]},
        )
    ).json()
    answer = await report(intake, org, anonymous=True, contact=None, department=None)
    guesses = [
        await intake.post("/v1/cases/access", json={"case_code": f"GUES-S000-0000-0000-000{i}"})
        for i in range(3)
    ]
    assert [g.status for g in guesses] == [401, 401, 401]
    # Locked: even the right code waits now.
    right = await intake.post("/v1/cases/access", json={"case_code": answer["case_code"]})
    assert right.status == 429 and int(right.headers["Retry-After"]) > 0


async def keyed_report(
    intake: Client, org: dict[str, Any], key: str
) -> tuple[dict[str, Any], dict[str, str], ClientResponse]:
    """A named report sent once with an Idempotency-Key: its body, the key and the answer."""
    body = {**NAMED, "organisation": org["slug"]}
    headers = {"Idempotency-Key": key}
    return body, headers, await intake.post("/v1/cases", json=body, headers=headers)


async def test_a_report_sent_again_with_its_key_is_the_same_case(
    intake: Client, org: dict[str, Any]
) -> None:
    body, key, first = await keyed_report(intake, org, "report-5f2a9c")
    again = await intake.post("/v1/cases", json=body, headers=key)
    assert first.status == again.status == 201
    one, two = await first.json(), await again.json()
    assert (one["case_id"], one["case_code"]) == (two["case_id"], two["case_code"])
    assert await state(intake).db["cases"].count_documents({}) == 1
    # The code comes back with the same case and still opens it.
    opened = await intake.post("/v1/cases/access", json={"case_code": two["case_code"]})
    assert (await opened.json())["case_id"] == one["case_id"]
    other = await intake.post("/v1/cases", json=body, headers={"Idempotency-Key": "another"})
    assert (await other.json())["case_id"] != one["case_id"]
    bad = await intake.post("/v1/cases", json=body, headers={"Idempotency-Key": "no spaces"})
    assert bad.status == 400


async def test_a_report_whose_first_try_died_before_storing_is_stored_by_the_retry(
    intake: Client, org: dict[str, Any]
) -> None:
    body, key, first = await keyed_report(intake, org, "report-died")
    made = await first.json()
    db = state(intake).db
    # As if that process had died after its claim and before the case was stored.
    await db["cases"].delete_one({"_id": made["case_id"]})
    retry = await intake.post("/v1/cases", json=body, headers=key)
    assert retry.status == 201
    again = await retry.json()
    assert (again["case_id"], again["case_code"]) == (made["case_id"], made["case_code"])
    assert await db["cases"].count_documents({}) == 1


async def test_a_reference_drawn_twice_is_drawn_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """References are short and random (about a billion a year): at a million reports a
    year, one new report in a thousand draws one that is taken. It is drawn again, in the
    case and in its events, and the report is stored, not refused."""
    from services.intake.domain import codes, opening

    first = await desk.report()
    draws = iter([first["reference"], first["reference"]])
    monkeypatch.setattr(
        opening, "new_reference", lambda now: next(draws, None) or codes.new_reference(now)
    )
    second = await desk.report()
    assert second["reference"] != first["reference"]
    assert re.fullmatch(r"VP-\d{4}-[0-9A-Z]{6}", second["reference"])
    events = [
        e
        for e in await stream_events(desk.infra, desk.isolation)
        if e["data"].get("case_id") == second["case_id"] and "reference" in e["data"]
    ]
    assert events and {e["data"]["reference"] for e in events} == {second["reference"]}

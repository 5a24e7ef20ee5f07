from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt

from tests.conftest import Keys
from tests.services.intake.conftest import Client, Desk, bearer, report


async def test_who_reads_a_case(
    intake: Client,
    org: dict[str, Any],
    admin: dict[str, str],
    confidant: Callable[[str], dict[str, str]],
    token: Callable[..., str],
    keys: Keys,
) -> None:
    a = await report(intake, org, preferred_confidant="c-anna")
    b = await report(intake, org, preferred_confidant="c-anna")
    url = f"/v1/cases/{a['case_id']}"

    async def status(headers: dict[str, str]) -> int:
        return (await intake.get(url, headers=headers)).status

    assert await status(bearer(a["token"])) == 200
    assert await status(confidant("c-anna")) == 200
    assert await status(bearer(b["token"])) == 404  # case B's token on case A
    assert await status(confidant("c-bram")) == 404  # a colleague, not assigned
    assert await status(admin) == 403  # admins assign, they do not read
    assert await status(bearer(token("org_admin", "intake", org_id=org["id"]))) == 403
    other_org = bearer(token("confidant", "intake", orgs=["another-org"], sub="c-anna"))
    assert await status(other_org) == 404
    assert await status(bearer(token("admin", "booking"))) == 401  # another service's token
    expired = keys.issuer.issue(
        sub="c-anna", role="confidant", audience="intake", orgs=[org["id"]], ttl_s=-120
    )
    assert await status(bearer(expired)) == 401
    now = int(time.time())
    forged = jwt.encode(
        {
            "sub": "c-anna",
            "role": "confidant",
            "orgs": [org["id"]],
            "aud": "intake",
            "iss": "vertrouwd",
            "iat": now,
            "exp": now + 60,
        },
        "a guessed secret of thirty-two bytes!",
        algorithm="HS256",
    )
    assert await status(bearer(forged)) == 401
    assert await status({}) == 401
    assert (await intake.get("/v1/cases/unknown-id", headers=confidant("c-anna"))).status == 404
    # org_admins never see cases, not even the list.
    listed = await intake.get(
        f"/v1/cases?org_id={org['id']}",
        headers=bearer(token("org_admin", "intake", org_id=org["id"])),
    )
    assert listed.status == 403
    admin_list = await (await intake.get(f"/v1/cases?org_id={org['id']}", headers=admin)).json()
    assert len(admin_list["items"]) == 2 and "text" not in admin_list["items"][0]


async def test_case_work_status_outcome_hours(desk: Desk) -> None:
    case = await desk.report(preferred_confidant="c-anna")
    url = f"/v1/cases/{case['case_id']}"
    anna = desk.confidant("c-anna")
    assert (
        await desk.intake.patch(
            url, headers=desk.confidant("c-bram"), json={"status": "in_contact"}
        )
    ).status == 404  # not assigned: as if there were no such case
    step = await desk.intake.patch(
        url, headers=anna, json={"status": "in_contact", "hours_spent": 1.5}
    )
    assert step.status == 200 and (await step.json())["hours_spent"] == 1.5
    assert (await desk.intake.patch(url, headers=anna, json={"status": "new"})).status == 409
    no_outcome = await desk.intake.patch(url, headers=anna, json={"status": "closed"})
    assert no_outcome.status == 422
    closed = await desk.intake.patch(
        url,
        headers=anna,
        json={
            "status": "closed",
            "outcome": "referral",
            "referral_to": "bedrijfsarts",
            "hours_spent": 3,
        },
    )
    assert closed.status == 200
    body = await closed.json()
    assert body["status"] == "closed" and body["outcome"] == "referral"
    assert (await desk.intake.patch(url, headers=anna, json={"hours_spent": 4})).status == 409
    view = await (await desk.intake.get(url, headers=anna)).json()
    assert view["referral_to"] == "bedrijfsarts"

    events = [e for e in await desk.events() if e["data"].get("case_id") == case["case_id"]]
    assert [e["type"] for e in events] == [
        "intake.case.opened",
        "intake.case.assigned",
        "intake.case.hours_logged",
        "intake.case.status_changed",
        "intake.case.hours_logged",
        "intake.case.status_changed",
        "intake.case.closed",
    ]
    assert events[-1]["data"] == {
        "case_id": case["case_id"],
        "outcome": "referral",
        "hours_spent": 3.0,
        "referral_kind": "other",  # written, not chosen from the organisation's places
    }


async def test_messages_between_reporter_and_confidant(desk: Desk) -> None:
    case = await desk.report(
        anonymous=True,
        contact=None,
        category="integriteit",
        subtype="fraude",
        preferred_confidant="c-anna",
    )
    url = f"/v1/cases/{case['case_id']}/messages"
    reporter = bearer(case["token"])
    assert (
        await desk.intake.post(url, headers=reporter, json={"text": "Is er al nieuws?"})
    ).status == 201
    assert (
        await desk.intake.post(
            url, headers=desk.confidant("c-anna"), json={"text": "Ik neem contact op."}
        )
    ).status == 201
    assert (
        await desk.intake.post(url, headers=desk.confidant("c-bram"), json={"text": "Ik ook?"})
    ).status == 404
    assert (await desk.intake.post(url, headers=reporter, json={"text": ""})).status == 422
    thread = await (await desk.intake.get(url, headers=reporter)).json()
    assert [(m["author"], m["text"]) for m in thread["items"]] == [
        ("reporter", "Is er al nieuws?"),
        ("confidant", "Ik neem contact op."),
    ]
    # The confidant's answer acknowledged the integrity report in time.
    case_view = await (
        await desk.intake.get(f"/v1/cases/{case['case_id']}", headers=desk.confidant("c-anna"))
    ).json()
    assert case_view["deadlines"]["acknowledgement"]["met_at"] is not None
    assert case_view["deadlines"]["feedback"]["met_at"] is None
    posted = [e for e in await desk.events() if e["type"] == "intake.case.message_posted"]
    assert [e["data"]["author"] for e in posted] == ["reporter", "confidant"]
    assert all("text" not in e["data"] for e in posted)


async def test_private_notes_are_for_the_assigned_confidant_only(desk: Desk) -> None:
    case = await desk.report(preferred_confidant="c-anna")
    url = f"/v1/cases/{case['case_id']}/notes"
    assert (
        await desk.intake.post(
            url, headers=desk.confidant("c-anna"), json={"text": "Eerste gesprek: veel spanning."}
        )
    ).status == 201
    # A colleague learns nothing (404); roles that never read notes are refused (403).
    assert (await desk.intake.get(url, headers=desk.confidant("c-bram"))).status == 404
    for headers in (bearer(case["token"]), desk.admin):
        assert (await desk.intake.get(url, headers=headers)).status == 403
    notes = await (await desk.intake.get(url, headers=desk.confidant("c-anna"))).json()
    assert [n["text"] for n in notes["items"]] == ["Eerste gesprek: veel spanning."]
    audit = await (
        await desk.intake.get(f"/v1/cases/{case['case_id']}/audit", headers=desk.admin)
    ).json()
    assert [e["action"] for e in audit["items"]] == ["read_notes"]

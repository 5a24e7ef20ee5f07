"""The office's overview: each organisation's cases by status, counted as they change
(store.counts), set right by the periodic round where a count drifted, never over a change
made while it read; and counted from the cases before the counts came (the backfill)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from services.intake.domain import jobs
from services.intake.store import counts
from tests.services.intake.conftest import Desk, state


async def overview(desk: Desk) -> dict[str, Any]:
    response = await desk.intake.get("/v1/case-counts", headers=desk.admin)
    assert response.status == 200, await response.text()
    return {c["org_id"]: c for c in (await response.json())["items"]}


async def step(desk: Desk, case: dict[str, Any], **body: Any) -> None:
    response = await desk.intake.patch(
        f"/v1/cases/{case['case_id']}", headers=desk.confidant("c-anna"), json=body
    )
    assert response.status == 200, await response.text()


async def test_the_counts_follow_each_case_through_its_steps(desk: Desk) -> None:
    org = desk.org["id"]
    made = [await desk.report(preferred_confidant="c-anna") for _ in range(3)]
    await step(desk, made[0], status="in_contact")
    await step(desk, made[1], status="closed", outcome="advice")
    reopened = await desk.intake.post(
        f"/v1/cases/{made[1]['case_id']}/reopen",
        headers=desk.confidant("c-anna"),
        json={"reason": "weer contact"},
    )
    assert reopened.status == 200, await reopened.text()
    await step(desk, made[2], status="closed", outcome="advice")
    seen = (await overview(desk))[org]
    assert seen["counts"] == {"new": 0, "in_contact": 2, "in_conversation": 0, "closed": 1}
    assert seen["overdue"] is None  # not counted by a round yet
    # Only the office reads it.
    response = await desk.intake.get("/v1/case-counts", headers=desk.confidant("c-anna"))
    assert response.status == 403
    response = await desk.intake.get("/v1/case-counts")
    assert response.status == 401


async def test_the_round_sets_a_drifted_count_right_and_counts_the_overdue(desk: Desk) -> None:
    org = desk.org["id"]
    await desk.report(preferred_confidant="c-anna")
    await desk.report(preferred_confidant="c-anna")
    intake = state(desk.intake)
    # A crash between a case's write and its count: one count too few.
    await intake.db["org_counts"].update_one({"_id": org}, {"$inc": {"new": -1}})
    assert (await overview(desk))[org]["counts"]["new"] == 1
    later = intake.clock.now() + timedelta(days=30)  # every first contact overdue by then
    done = await jobs.go_through_open_cases(intake, later)
    assert done["counts_corrected"] == 1
    seen = (await overview(desk))[org]
    assert seen["counts"]["new"] == 2
    assert seen["overdue"] == 2 and seen["overdue_at"] is not None
    # Right now: the next round changes nothing.
    assert (await jobs.go_through_open_cases(intake, later))["counts_corrected"] == 0


async def test_a_count_that_moved_while_the_round_read_is_left_alone(desk: Desk) -> None:
    org = desk.org["id"]
    await desk.report(preferred_confidant="c-anna")
    intake = state(desk.intake)
    before = (await counts.snapshot(intake.db))[org]
    await desk.report(preferred_confidant="c-anna")  # counted after the snapshot
    # What the round read before that case came: one new case. Not written over the two.
    assert not await counts.set_right(intake, org, before, {"new": 1})
    assert (await overview(desk))[org]["counts"]["new"] == 2


async def test_first_counts_of_an_organisation_at_once_are_all_counted(desk: Desk) -> None:
    intake = state(desk.intake)
    await asyncio.gather(*(counts.move(intake, "org-new", None, "new") for _ in range(12)))
    stored = await intake.db["org_counts"].find_one({"_id": "org-new"})
    assert stored is not None and stored["new"] == 12 and stored["v"] == 12


async def test_cases_from_before_the_counts_are_counted_once(desk: Desk) -> None:
    org = desk.org["id"]
    made = [await desk.report(preferred_confidant="c-anna") for _ in range(2)]
    await step(desk, made[0], status="closed", outcome="advice")
    intake = state(desk.intake)
    # As the version before left them: no counts, no marker.
    await intake.db["org_counts"].delete_many({})
    await intake.db["migrations"].delete_one({"_id": counts.COUNTED})
    expected = {"new": 1, "in_contact": 0, "in_conversation": 0, "closed": 1}
    meanwhile = (await overview(desk))[org]  # counted from the cases themselves
    assert meanwhile["counts"] == expected and meanwhile["overdue"] == 0
    assert await jobs.count_every_case(intake) == 1
    assert await intake.db["migrations"].find_one({"_id": counts.COUNTED}) is not None
    assert (await overview(desk))[org]["counts"] == expected
    assert await jobs.count_every_case(intake) == 0  # once


async def test_the_office_lists_one_confidants_open_cases(desk: Desk) -> None:
    made = [await desk.report(preferred_confidant=c) for c in ("c-anna", "c-bram", "c-anna")]
    await step(desk, made[2], status="in_contact")
    response = await desk.intake.get("/v1/cases?confidant_id=c-anna&status=new", headers=desk.admin)
    assert response.status == 200, await response.text()
    assert [c["case_id"] for c in (await response.json())["items"]] == [made[0]["case_id"]]
    # A confidant asking for a colleague's gets their own.
    response = await desk.intake.get(
        "/v1/cases?confidant_id=c-anna", headers=desk.confidant("c-bram")
    )
    assert [c["case_id"] for c in (await response.json())["items"]] == [made[1]["case_id"]]

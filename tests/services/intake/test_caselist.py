"""A confidant's list, read a month at a time (store.caselist): the same cases, in the same
order, page by page, as one sorted query gives; through hand-overs, status filters, empty
months, and for cases written before the months came (the backfill)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.domain import jobs
from services.intake.store.caselist import MONTHS, claim_month
from tests.services.intake.conftest import Desk, state


async def walk(desk: Desk, who: str, limit: int, extra: str = "") -> list[str]:
    """Every case of the list, page by page: the references, in the order shown."""
    seen: list[str] = []
    cursor = ""
    for _ in range(100):
        response = await desk.intake.get(
            f"/v1/cases?limit={limit}{extra}{cursor}", headers=desk.confidant(who)
        )
        assert response.status == 200, await response.text()
        page = await response.json()
        assert len(page["items"]) <= limit
        seen += [c["reference"] for c in page["items"]]
        if page["next"] is None:
            return seen
        cursor = f"&cursor={page['next']}"
    raise AssertionError("the list never ended")


async def spread(desk: Desk) -> list[dict[str, Any]]:
    """Cases to c-anna over ten months, with three of them empty: made in time order."""
    clock = state(desk.intake).clock
    made = []
    for gap in (0, 0, 31, 0, 0, 120, 31, 0, 0, 31):  # days before each report
        clock.move(timedelta(days=gap))
        made.append(await desk.report(preferred_confidant="c-anna"))
    return made


async def test_the_list_pages_through_every_month_newest_first(desk: Desk) -> None:
    made = await spread(desk)
    newest_first = [c["reference"] for c in reversed(made)]
    # A new database is marked at start: the list is read by months from the first case on.
    assert await state(desk.intake).db["migrations"].find_one({"_id": MONTHS}) is not None
    for limit in (1, 2, 3, 50):
        assert await walk(desk, "c-anna", limit) == newest_first
    assert await walk(desk, "c-bram", 2) == []  # given nothing: an empty list


async def test_a_status_filter_and_a_hand_over_keep_the_list_exact(desk: Desk) -> None:
    made = await spread(desk)
    anna = desk.confidant("c-anna")
    handed, stepped = made[1], made[6]
    response = await desk.intake.post(
        f"/v1/cases/{handed['case_id']}/assign", headers=anna, json={"confidant_id": "c-bram"}
    )
    assert response.status == 200, await response.text()
    response = await desk.intake.patch(
        f"/v1/cases/{stepped['case_id']}", headers=anna, json={"status": "in_contact"}
    )
    assert response.status == 200, await response.text()
    annas = [c["reference"] for c in reversed(made) if c is not handed]
    assert await walk(desk, "c-anna", 2) == annas
    assert await walk(desk, "c-bram", 2) == [handed["reference"]]
    new = [r for r in annas if r != stepped["reference"]]
    assert await walk(desk, "c-anna", 2, "&status=new") == new
    assert await walk(desk, "c-anna", 2, "&status=in_contact") == [stepped["reference"]]


async def test_cases_written_before_the_months_came_are_listed_then_given_them(
    desk: Desk,
) -> None:
    made = await spread(desk)
    newest_first = [c["reference"] for c in reversed(made)]
    db = state(desk.intake).db
    # As the version before left them: no months on the cases or the load, no marker.
    await db["migrations"].delete_one({"_id": MONTHS})
    for case in made:
        old = {"$unset": {"confidant_month": "", "confidant_status": ""}}
        await db["cases"].update_one({"_id": case["case_id"]}, old)
    await db["list_months"].delete_many({})
    assert await walk(desk, "c-anna", 3) == newest_first  # the plain way, meanwhile
    assert await jobs.backfill_confidant_months(state(desk.intake)) == len(made)
    assert await db["migrations"].find_one({"_id": MONTHS}) is not None
    assert await walk(desk, "c-anna", 3) == newest_first  # by months now
    assert await walk(desk, "c-anna", 3, "&status=new") == newest_first  # by status
    assert await jobs.backfill_confidant_months(state(desk.intake)) == 0  # once


async def test_a_cursor_that_is_no_time_is_refused(desk: Desk) -> None:
    await desk.report(preferred_confidant="c-anna")
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps(["v", "x", "case"]).encode()).decode()
    response = await desk.intake.get(
        f"/v1/cases?cursor={forged.rstrip('=')}", headers=desk.confidant("c-anna")
    )
    assert response.status == 422
    assert "cursor" in await response.text()


async def test_a_case_of_any_age_is_found_by_its_reference(desk: Desk) -> None:
    made = await spread(desk)
    oldest = made[0]["reference"]
    response = await desk.intake.get(
        f"/v1/cases?reference={oldest.lower()}", headers=desk.confidant("c-anna")
    )
    assert response.status == 200, await response.text()
    assert [c["reference"] for c in (await response.json())["items"]] == [oldest]
    # Not theirs: not found by another confidant of the organisation.
    response = await desk.intake.get(
        f"/v1/cases?reference={oldest}", headers=desk.confidant("c-bram")
    )
    assert (await response.json())["items"] == []


async def test_months_claimed_at_once_from_several_processes_are_all_there(desk: Desk) -> None:
    # As separate instances write them: each claim an insert, the same month's a no-op.
    db = state(desk.intake).db
    start = datetime(2026, 1, 15, tzinfo=UTC)
    at = [start + timedelta(days=31 * (i % 6)) for i in range(18)]
    await asyncio.gather(*(claim_month(db, "c-new", t) for t in at))
    months = sorted([m["month"] async for m in db["list_months"].find({"confidant_id": "c-new"})])
    assert months == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]

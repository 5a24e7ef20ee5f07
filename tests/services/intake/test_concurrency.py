"""Many requests at once on one case or one organisation: one winner, nothing lost."""

from __future__ import annotations

import asyncio
from typing import Any

from services.intake.store.collections import LOAD
from tests.services.intake.conftest import Client, Desk, report, state


async def test_simultaneous_changes_of_one_case_happen_once(desk: Desk) -> None:
    case = await desk.report(preferred_confidant="c-anna")
    url = f"/v1/cases/{case['case_id']}"
    anna = desk.confidant("c-anna")
    # Setting a status the case already has is a no-op (200); a stale one is 409.
    answers = await asyncio.gather(
        *(desk.intake.patch(url, headers=anna, json={"status": "in_contact"}) for _ in range(10))
    )
    assert {a.status for a in answers} <= {200, 409} and 200 in {a.status for a in answers}
    closes = await asyncio.gather(
        *(
            desk.intake.patch(url, headers=anna, json={"status": "closed", "outcome": "advice"})
            for _ in range(10)
        )
    )
    assert sorted(a.status for a in closes) == [200] + [409] * 9

    events = [e["type"] for e in await desk.events() if e["data"].get("case_id") == case["case_id"]]
    assert events.count("intake.case.status_changed") == 2  # new -> in_contact -> closed
    assert events.count("intake.case.closed") == 1
    load = await state(desk.intake).db[LOAD].find_one({"_id": "c-anna"})
    assert load is not None and load["open"] == 0  # counted down once, not ten times


async def test_simultaneous_reports_lose_no_count(intake: Client, org: dict[str, Any]) -> None:
    await asyncio.gather(*(report(intake, org, anonymous=True, contact=None) for _ in range(12)))
    load = {d["_id"]: d["open"] async for d in state(intake).db[LOAD].find({})}
    assert sum(load.values()) == 12
    assert await state(intake).db["cases"].count_documents({}) == 12

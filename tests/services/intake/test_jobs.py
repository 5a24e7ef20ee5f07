from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from deploy.stack.infra import Infra
from services.intake.domain import jobs, rules
from shared.event_schemas import CaseNoteAdded
from shared.events import new_event
from shared.outbox import staged
from tests.conftest import Isolation, StartService
from tests.polling import eventually
from tests.services.intake.conftest import Client, Desk, report, state, stream_events


async def close(intake: Client, case_id: str, headers: dict[str, str]) -> None:
    response = await intake.patch(
        f"/v1/cases/{case_id}", headers=headers, json={"status": "closed", "outcome": "advice"}
    )
    assert response.status == 200, await response.text()


async def test_retention_destroys_personal_data_of_long_closed_cases(desk: Desk) -> None:
    anna = desk.confidant("c-anna")
    old = await desk.report(preferred_confidant="c-anna")
    open_case = await desk.report(preferred_confidant="c-anna")
    await desk.intake.post(f"/v1/cases/{old['case_id']}/notes", headers=anna, json={"text": "n"})
    await desk.intake.post(f"/v1/cases/{old['case_id']}/messages", headers=anna, json={"text": "m"})
    await close(desk.intake, old["case_id"], anna)
    db = state(desk.intake).db

    assert (await jobs.run_all(state(desk.intake)))["purged"] == 0  # not yet: 365 days to go
    later = datetime.now(UTC) + timedelta(days=366)
    assert (await jobs.run_all(state(desk.intake), now=later))["purged"] == 1
    purged = await db["cases"].find_one({"_id": old["case_id"]})
    assert purged is not None
    for field in ("contact", "text", "code_hash", "department"):
        assert field not in purged
    assert purged["category"] == "pesten" and purged["outcome"] == "advice"  # statistics stay
    assert await db["notes"].count_documents({"case_id": old["case_id"]}) == 0
    assert await db["messages"].count_documents({"case_id": old["case_id"]}) == 0
    kept = await db["cases"].find_one({"_id": open_case["case_id"]})
    assert kept is not None and "contact" in kept and "text" in kept
    assert (await jobs.run_all(state(desk.intake), now=later))["purged"] == 0  # once
    types = [e["type"] for e in await desk.events()]
    assert types.count("intake.case.purged") == 1
    view = await (await desk.intake.get(f"/v1/cases/{old['case_id']}", headers=anna)).json()
    assert view["purged"] is True and view["text"] is None and view["contact"] is None


async def test_case_codes_of_closed_cases_stop_after_90_days_without_use(
    intake: Client,
    org: dict[str, Any],
    confidant: Callable[[str], dict[str, str]],
) -> None:
    case = await report(intake, org, anonymous=True, contact=None, preferred_confidant="c-anna")
    await close(intake, case["case_id"], confidant("c-anna"))
    assert (
        await intake.post("/v1/cases/access", json={"case_code": case["case_code"]})
    ).status == 200
    done = await jobs.run_all(state(intake), now=datetime.now(UTC) + timedelta(days=91))
    assert done["codes_expired"] == 1
    assert (
        await intake.post("/v1/cases/access", json={"case_code": case["case_code"]})
    ).status == 401


async def test_a_warning_goes_out_ahead_of_each_whistleblower_deadline_once(desk: Desk) -> None:
    case = await desk.report(
        category="integriteit", subtype="misstand", preferred_confidant="c-bram"
    )
    plain = await desk.report(category="pesten")
    opened = datetime.now(UTC)

    async def warned(days: int) -> int:
        done = await jobs.run_all(state(desk.intake), now=opened + timedelta(days=days))
        return done["deadline_warnings"]

    # Once ahead of the acknowledgement (7 days), once ahead of the feedback (3 months); by
    # day 4 both cases' first contacts (two working days) were warned of and are overdue.
    assert [await warned(4), await warned(6), await warned(6), await warned(80)] == [4, 1, 0, 1]
    due = [
        e
        for e in await desk.events()
        if e["type"] == "intake.case.deadline_due" and e["data"]["deadline"] != "first_contact"
    ]
    assert [
        (e["data"]["deadline"], e["data"]["case_id"], e["data"]["confidant_id"]) for e in due
    ] == [("acknowledgement", case["case_id"], "c-bram"), ("feedback", case["case_id"], "c-bram")]
    assert plain["case_id"] not in {e["data"]["case_id"] for e in due}


async def test_an_event_left_in_the_outbox_is_published_by_the_relay(
    start_service: StartService,
    infra: Infra,
    isolation: Isolation,
) -> None:
    # The full look through the collection comes every OUTBOX_SWEEP_S (and at start).
    intake = await start_service("intake", OUTBOX_RELAY_S="0.2", OUTBOX_SWEEP_S="0.5")
    # As if another instance died between its write and the publish.
    event = new_event(
        CaseNoteAdded, {"case_id": "c1", "note_id": "n1"}, source="intake", org_id="o1"
    )
    fields = staged(event)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    fields["outbox_at"] = long_ago
    fields["outbox"][event.id]["staged_at"] = long_ago
    db = state(intake).db
    await db["notes"].insert_one({"_id": "n1", "case_id": "c1", **fields})

    async def relayed_and_tidied() -> bool:
        note = await db["notes"].find_one({"_id": "n1"})
        assert note is not None
        return "outbox_at" not in note

    await eventually(relayed_and_tidied)  # nothing called: the service relays by itself
    assert [e["id"] for e in await stream_events(infra, isolation)] == [event.id]


async def test_what_a_dead_instance_left_is_published_by_the_next_one_at_start(
    start_service: StartService,
    infra: Infra,
    isolation: Isolation,
) -> None:
    event = new_event(
        CaseNoteAdded, {"case_id": "c2", "note_id": "n2"}, source="intake", org_id="o1"
    )
    fields = staged(event)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        await client[isolation.database("intake")]["notes"].insert_one(
            {"_id": "n2", "case_id": "c2", **fields}
        )
    finally:
        await client.close()
    # Its next start looks through the collections at once, not after OUTBOX_SWEEP_S.
    intake = await start_service("intake", OUTBOX_RELAY_S="0.2", OUTBOX_SWEEP_S="3600")
    db = state(intake).db

    async def relayed() -> bool:
        note = await db["notes"].find_one({"_id": "n2"})
        return note is not None and not note.get("outbox")

    await eventually(relayed)
    assert [e["id"] for e in await stream_events(infra, isolation)] == [event.id]


async def test_the_sweep_reads_all_once_then_only_what_is_pending(
    start_service: StartService,
    infra: Infra,
    isolation: Isolation,
) -> None:
    # A document staged before outbox_pending came has only outbox_at: the first sweep of
    # a collection reads it all and finds it, and marks the collection as swept.
    long_ago = datetime.now(UTC) - timedelta(minutes=5)

    def left(note_id: str, *, legacy: bool) -> dict[str, Any]:
        event = new_event(
            CaseNoteAdded, {"case_id": "c3", "note_id": note_id}, source="intake", org_id="o1"
        )
        fields: dict[str, Any] = dict(staged(event))
        fields["outbox_at"] = long_ago
        fields["outbox"][event.id]["staged_at"] = long_ago
        if legacy:
            del fields["outbox_pending"]
        return {"_id": note_id, "case_id": "c3", **fields}

    old = left("n-old", legacy=True)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:  # left by the version before, which had no outbox_pending
        await client[isolation.database("intake")]["notes"].insert_one(old)
    finally:
        await client.close()
    intake = await start_service("intake", OUTBOX_RELAY_S="0.2", OUTBOX_SWEEP_S="0.5")
    db = state(intake).db

    async def gone(note_id: str) -> bool:
        note = await db["notes"].find_one({"_id": note_id})
        return note is not None and "outbox_at" not in note

    await eventually(lambda: gone("n-old"))
    assert await db["outbox_marked"].find_one({"_id": "notes"}) is not None
    # Marked: the sweep looks up outbox_pending by its index, and no longer reads the rest.
    pending, unmarked = left("n-new", legacy=False), left("n-legacy", legacy=True)
    await db["notes"].insert_many([pending, unmarked])
    await eventually(lambda: gone("n-new"))
    await asyncio.sleep(1.5)  # three more sweeps
    still = await db["notes"].find_one({"_id": "n-legacy"})
    assert still is not None and still.get("outbox")
    published = [e["id"] for e in await stream_events(infra, isolation)]
    assert published == [next(iter(d["outbox"])) for d in (old, pending)]


def test_the_months_of_the_work_ahead_of_a_closed_case() -> None:
    first = datetime(2025, 11, 15, tzinfo=UTC)
    assert rules.months_through(first, datetime(2026, 2, 1, tzinfo=UTC)) == [
        "2025-11", "2025-12", "2026-01", "2026-02",
    ]  # fmt: skip
    assert rules.months_through(first, datetime(2025, 10, 31, tzinfo=UTC)) == []
    assert rules.closed_buckets(first, False, None) == {
        "closed_month": "2025-11", "code_month": None, "follow_up_month": None,
    }  # fmt: skip
    assert rules.closed_buckets(first, True, datetime(2026, 1, 2, tzinfo=UTC)) == {
        "closed_month": "2025-11", "code_month": "2025-11", "follow_up_month": "2026-01",
    }  # fmt: skip


async def test_cases_closed_before_the_months_came_are_given_them_once(desk: Desk) -> None:
    # A case closed by the version before has no months: the first round gives them (and
    # so purges it when due); after that, the jobs look in the months only.
    anna = desk.confidant("c-anna")
    earlier = await desk.report(preferred_confidant="c-anna")
    later_one = await desk.report(preferred_confidant="c-anna")
    db = state(desk.intake).db
    for case in (earlier, later_one):
        await close(desk.intake, case["case_id"], anna)
    as_before = {"$unset": dict.fromkeys(rules.BUCKETS, "")}
    await db["cases"].update_one({"_id": earlier["case_id"]}, as_before)
    later = datetime.now(UTC) + timedelta(days=366)
    assert (await jobs.run_all(state(desk.intake), now=later))["purged"] == 2
    assert await db["migrations"].find_one({"_id": "case_buckets"}) is not None
    # Once done, a case without its months (none is written so now) is not looked at.
    third = await desk.report(preferred_confidant="c-anna")
    await close(desk.intake, third["case_id"], anna)
    await db["cases"].update_one({"_id": third["case_id"]}, as_before)
    assert (await jobs.run_all(state(desk.intake), now=later))["purged"] == 0
    left = await db["cases"].find_one({"_id": third["case_id"]})
    assert left is not None and "text" in left


async def test_a_case_reopened_leaves_the_months(desk: Desk) -> None:
    anna = desk.confidant("c-anna")
    case = await desk.report(preferred_confidant="c-anna")
    await close(desk.intake, case["case_id"], anna)
    db = state(desk.intake).db
    closed = await db["cases"].find_one({"_id": case["case_id"]})
    assert closed is not None and closed["closed_month"] == rules.month_of(closed["closed_at"])
    reopened = await desk.intake.post(
        f"/v1/cases/{case['case_id']}/reopen", headers=anna, json={"reason": "weer contact"}
    )
    assert reopened.status == 200, await reopened.text()
    again = await db["cases"].find_one({"_id": case["case_id"]})
    assert again is not None and all(again[b] is None for b in rules.BUCKETS)
    later = datetime.now(UTC) + timedelta(days=800)
    assert (await jobs.run_all(state(desk.intake), now=later))["purged"] == 0

"""Two reporting instances folding events of the same cases at the same time (as two
processes on one durable consumer do): no case loses a field, no tally loses a count."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from services.reporting.api.consumer import projection_handler
from services.reporting.domain.projection import apply
from services.reporting.domain.tally import contributions
from services.reporting.state import REPORTING
from services.reporting.store.documents import CaseFacts, raw
from shared.events import Envelope, new_event, schema_for
from tests.conftest import StartService

ORG = "org-noord"


def events_of(case_id: str, opened: datetime) -> list[Envelope]:
    def make(kind: str, at: datetime, **data: Any) -> Envelope:
        event = new_event(schema_for(kind, 1), {"case_id": case_id, **data}, source="t", org_id=ORG)
        return event.model_copy(update={"occurred_at": at})

    return [
        make(
            "intake.case.opened",
            opened,
            category="pesten",
            channel="web",
            reporter_role="employee",
            anonymous=True,
            department_index=1,
        ),
        make(
            "booking.appointment.booked",
            opened + timedelta(minutes=1),
            appointment_id=f"a-{case_id}",
            confidant_id="c-anna",
            starts_at=opened + timedelta(days=2),
            ends_at=opened + timedelta(days=2, hours=1),
            mode="walk",
        ),
        make("intake.case.hours_logged", opened + timedelta(minutes=2), hours_spent=1.5),
        make(
            "intake.case.closed",
            opened + timedelta(minutes=3),
            outcome="advice",
            hours_spent=2.0,
        ),
    ]


async def test_two_instances_folding_one_case_at_once_lose_nothing(
    start_service: StartService,
) -> None:
    # Two instances with the consumer's own handler, each with its own state, as two
    # processes have; their events are handed to them directly, interleaved at random.
    a = await start_service("reporting")
    b = await start_service("reporting")
    handlers = []
    for client in (a, b):
        app = client.app
        assert app is not None
        handlers.append(projection_handler(app))
    opened = datetime(2026, 3, 2, 9, tzinfo=UTC)
    per_case = {f"case-{i}": events_of(f"case-{i}", opened + timedelta(days=i)) for i in range(12)}
    rng = random.Random(7)
    work = [e for events in per_case.values() for e in events]
    rng.shuffle(work)
    await asyncio.gather(*(handlers[i % 2](event) for i, event in enumerate(work)))

    app = a.app
    assert app is not None
    db = app[REPORTING].db
    expected: dict[str, CaseFacts] = {}
    for case_id, events in per_case.items():
        doc: CaseFacts | None = None
        for event in events:
            doc = apply(doc, raw(event))
        assert doc is not None
        expected[case_id] = doc
    for case_id, want in expected.items():
        stored = await db["cases"].find_one({"_id": case_id})
        assert stored is not None
        assert "pending" not in stored
        got = {k: v for k, v in stored.items() if k not in ("counted", "rev")}
        assert got == want, (case_id, got, want)
    recount: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for doc in expected.values():
        for (month, key), value in contributions(doc).items():
            recount[f"{ORG}|{month}"][key] += value
    tallies = {t["_id"]: t["n"] async for t in db["tallies"].find({})}
    assert tallies == {
        tid: {k: v for k, v in values.items() if v} for tid, values in recount.items()
    }

"""A reopened case is one case: counted as closed once, when it is closed again, with the
referral it was closed with last (projection.apply, counts.count and tally.count agree)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.reporting.domain import counts, tally
from services.reporting.domain.projection import apply, month_of
from services.reporting.store.documents import CaseFacts, RawEvent

OPENED = {
    "case_id": "c1",
    "category": "pesten",
    "channel": "whatsapp",
    "reporter_role": "employee",
    "anonymous": True,
}


def raw(kind: str, at: str, **data: Any) -> RawEvent:
    return {
        "id": f"{kind}@{at}",
        "type": f"intake.case.{kind}",
        "occurred_at": at,
        "org_id": "o1",
        "data": {"case_id": "c1", **data},
    }


def fold(*events: RawEvent) -> CaseFacts:
    case: CaseFacts | None = None
    for event in events:
        case = apply(case, event)
    assert case is not None
    return case


def test_a_reopened_case_is_closed_once_with_its_last_referral() -> None:
    history = [
        raw("opened", "2026-03-02T09:00:00+00:00", **OPENED),
        raw(
            "closed",
            "2026-03-20T09:00:00+00:00",
            outcome="referral",
            hours_spent=2.0,
            referral_kind="hr",
        ),
        raw("reopened", "2026-04-10T09:00:00+00:00", confidant_id="anna"),
    ]
    case = fold(*history)
    assert case["closed"] is None and case["referral"] is None  # open again
    again = fold(
        *history,
        raw(
            "closed",
            "2026-05-04T09:00:00+00:00",
            outcome="referral",
            hours_spent=3.0,
            referral_kind="company_doctor",
        ),
    )
    now = datetime(2026, 12, 31, tzinfo=UTC)
    year = month_of("2026-01-01T00:00:00+00:00")
    found, _ = counts.count([again], year, year + 12, now)
    assert found.totals["cases"] == 1 and found.totals["closed"] == 1
    assert found.breakdowns[("closed", "referral")]["company_doctor"] == 1
    assert found.breakdowns[("closed", "referral")]["hr"] == 0
    from_tallies, _ = tally.count(tally.tally([again]), year, year + 12, now)
    assert from_tallies.totals == found.totals
    assert from_tallies.breakdowns == found.breakdowns

"""The monthly tallies count what the cases count, whatever order and however often."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.domain import counts as report
from services.reporting.domain import tally
from services.reporting.domain.counts import CATEGORIES, CHANNELS, MODES, OUTCOMES, ROLES
from services.reporting.store.documents import CaseFacts, RawEvent

NOW = datetime(2027, 2, 1, tzinfo=UTC)
BASE = 2026 * 12


@st.composite
def a_case(draw: Any) -> CaseFacts:
    opened = BASE + draw(st.integers(0, 13))
    closed = draw(st.one_of(st.none(), st.integers(opened, BASE + 14)))
    whistle = draw(st.booleans())
    day = f"{opened // 12}-{opened % 12 + 1:02d}-05T10:00:00"
    return {
        "_id": f"case-{draw(st.integers(0, 10**6))}",
        "category": draw(st.sampled_from(CATEGORIES)),
        "channel": draw(st.sampled_from(CHANNELS)),
        "reporter_role": draw(st.sampled_from(ROLES)),
        "opened": opened,
        "opened_at": day,
        "closed": closed,
        "closed_at": None
        if closed is None
        else f"{closed // 12}-{closed % 12 + 1:02d}-20T10:00:00",
        "outcome": draw(st.sampled_from(OUTCOMES)) if closed is not None else None,
        "hours": draw(st.sampled_from([0.5, 1.0, 2.5])),
        "acknowledge_by": day.replace("-05T", "-12T") if whistle else None,
        "feedback_by": f"{(opened + 3) // 12}-{(opened + 3) % 12 + 1:02d}-05T10:00:00"
        if whistle
        else None,
        "acknowledged_at": draw(
            st.sampled_from([None, day.replace("-05T", "-07T"), day.replace("-05T", "-28T")])
        )
        if whistle
        else None,
        "conversations": {
            f"a{i}": {
                "mode": draw(st.sampled_from(MODES)),
                "month": opened + draw(st.integers(0, 2)),
                "cancelled": draw(st.booleans()),
            }
            for i in range(draw(st.integers(0, 2)))
        },
    }


@settings(max_examples=80, deadline=None)
@given(st.lists(a_case(), max_size=30), st.integers(0, 11), st.integers(1, 14))
def test_the_tallies_give_the_counts_of_the_cases(
    cases: list[CaseFacts], start: int, length: int
) -> None:
    begin, end = BASE + start, BASE + start + length
    assert tally.count(tally.tally(cases), begin, end, NOW) == report.count(cases, begin, end, NOW)


@given(a_case(), a_case())
def test_a_change_moves_the_tallies_by_the_difference(before: CaseFacts, after: CaseFacts) -> None:
    old, new = tally.contributions(before), tally.contributions(after)
    diff = tally.difference(old, new)
    moved = dict(old)
    for key, value in diff.items():
        moved[key] = moved.get(key, 0.0) + value
    assert {k: v for k, v in moved.items() if v} == {k: v for k, v in new.items() if v}
    assert tally.difference(new, new) == {}  # the same event again: nothing


def test_a_recategorised_case_counts_under_its_new_category_whatever_the_order() -> None:
    from services.reporting.domain.projection import apply

    def event(type_: str, at: str, **data: Any) -> RawEvent:
        return {"type": type_, "occurred_at": at, "org_id": "o1", "data": {"case_id": "c1", **data}}

    opened = event(
        "intake.case.opened",
        "2026-12-01T10:00:00+00:00",
        category="anders",
        channel="email",
        reporter_role="employee",
        anonymous=False,
    )
    due = "2026-12-08T10:00:00+00:00"
    categorised = event(
        "intake.case.categorised",
        "2026-12-02T09:00:00+00:00",
        category="integriteit",
        subtype="fraude",
        previous="anders",
        acknowledge_by=due,
        feedback_by="2027-03-01T10:00:00+00:00",
    )
    for order in ([opened, categorised], [categorised, opened], [opened, categorised, opened]):
        doc: CaseFacts | None = None
        for e in order:
            doc = apply(doc, e)
        assert doc is not None
        counted = tally.contributions(doc)
        month = 2026 * 12 + 11
        assert counted[(month, "cases|category|integriteit")] == 1
        assert (month, "cases|category|anders") not in counted
        assert counted[(month, "cases|channel|email")] == 1
        assert counted[(month, "whistleblower||")] == 1  # its deadlines count too


def test_deadlines_are_judged_as_times_whatever_the_offset() -> None:
    # Due at 11:00 in Amsterdam (10:00 UTC), answered at 10:30 UTC: late. As text the
    # answer sorts before the deadline; as times it comes after it.
    opened = BASE + 11
    case: CaseFacts = {
        "_id": "case-late",
        "category": CATEGORIES[0],
        "channel": CHANNELS[0],
        "reporter_role": ROLES[0],
        "opened": opened,
        "opened_at": "2026-12-01T09:00:00+01:00",
        "acknowledge_by": "2026-12-08T11:00:00+01:00",
        "acknowledged_at": "2026-12-08T10:30:00+00:00",
        "feedback_by": "2027-01-31T23:30:00+01:00",  # 22:30 UTC: passed at NOW's eve
    }
    counts, _ = report.count([case], opened, opened + 1, datetime(2027, 1, 31, 23, tzinfo=UTC))
    assert counts.breakdowns[("whistleblower", "acknowledgement")]["missed"] == 1
    assert counts.breakdowns[("whistleblower", "feedback")]["missed"] == 1
    at_eve = datetime(2027, 1, 31, 23, tzinfo=UTC)
    assert tally.count(tally.tally([case]), opened, opened + 1, at_eve)[0] == counts
    before = datetime(2027, 1, 31, 22, tzinfo=UTC)
    early, _ = report.count([case], opened, opened + 1, before)
    assert early.breakdowns[("whistleblower", "feedback")]["open"] == 1
    assert tally.count(tally.tally([case]), opened, opened + 1, before)[0] == early


def _event(type_: str, at: str, case_id: str = "c1", **data: Any) -> RawEvent:
    return {"type": type_, "occurred_at": at, "org_id": "o1", "data": {"case_id": case_id, **data}}


def test_billing_counts_the_real_length_the_travel_and_work_in_its_own_month() -> None:
    from services.reporting.domain.projection import apply

    booked = _event(
        "booking.appointment.booked",
        "2026-11-20T10:00:00+00:00",
        appointment_id="a1",
        confidant_id="k1",
        starts_at="2026-11-25T10:00:00+00:00",
        ends_at="2026-11-25T11:00:00+00:00",
        mode="walk",
    )
    held = _event(
        "booking.appointment.held",
        "2026-11-25T12:00:00+00:00",
        appointment_id="a1",
        confidant_id="k1",
        mode="walk",
        started_at="2026-11-25T10:05:00+00:00",
        ended_at="2026-11-25T11:20:00+00:00",
        km=42.5,
        travel_minutes=50,
    )
    november, december = 2026 * 12 + 10, 2026 * 12 + 11
    logged = [
        _event("intake.case.hours_logged", "2026-11-26T09:00:00+00:00", hours_spent=1.5),
        _event("intake.case.hours_logged", "2026-11-28T09:00:00+00:00", hours_spent=2.0),
        _event("intake.case.hours_logged", "2026-12-03T09:00:00+00:00", hours_spent=3.25),
    ]
    for order in (
        [booked, held, *logged],
        [held, booked, *reversed(logged)],
        [booked, held, booked],
    ):
        doc: CaseFacts | None = None
        for e in order:
            doc = apply(doc, e)
        assert doc is not None
        counted = tally.contributions(doc)
        assert counted[(november, "conversations|minutes|")] == 75  # as held, not as booked
        assert counted[(november, "travel||")] == 1
        assert counted[(november, "travel|km|")] == 42.5
        assert counted[(november, "travel|minutes|")] == 50
        if len(order) > 3:
            assert counted[(november, "work|hours|")] == 2.0  # the month's latest total
            assert counted[(december, "work|hours|")] == 1.25  # what December added
    # Booked only: its booked length; an organisation's meeting is not a conversation.
    only = tally.contributions(apply(None, booked) or {"_id": "c1"})
    assert only[(november, "conversations|minutes|")] == 60
    meeting = _event(
        "booking.appointment.booked",
        "2026-11-20T10:00:00+00:00",
        case_id="org-x",
        appointment_id="m1",
        confidant_id="k1",
        starts_at="2026-11-27T13:00:00+00:00",
        ends_at="2026-11-27T14:30:00+00:00",
        mode="online",
        meeting="organisation",
    )
    found = tally.contributions(apply(None, meeting) or {"_id": "org-x"})
    assert found == {(november, "meetings||"): 1, (november, "meetings|minutes|"): 90}
    months = tally.tally(
        [apply(None, booked) or {"_id": "c1"}, apply(None, meeting) or {"_id": "m"}]
    )
    sums = tally.sums(months, november, december)
    assert sums == {"conversations|minutes|": 60, "meetings||": 1, "meetings|minutes|": 90}

"""Intake's pure rules: choosing a confidant, status steps, deadlines, code expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain import rules as domain


def test_choice_wins_when_it_is_one_of_the_organisations() -> None:
    assert domain.choose_confidant(["a", "b"], "b", {"b": 9}) == ("b", "reporter_choice")


def test_otherwise_the_least_loaded_then_the_first_listed() -> None:
    assert domain.choose_confidant(["a", "b", "c"], None, {"a": 2, "b": 1, "c": 1}) == (
        "b",
        "least_loaded",
    )
    assert domain.choose_confidant(["a", "b"], "stranger", {}) == ("a", "least_loaded")


def test_no_confidant() -> None:
    with pytest.raises(domain.RuleError):
        domain.choose_confidant([], None, {})


@pytest.mark.parametrize(
    ("current", "new", "ok"),
    [
        ("new", "in_contact", True),
        ("in_contact", "in_conversation", True),
        ("in_conversation", "in_contact", True),
        ("in_contact", "closed", True),
        ("in_contact", "new", False),
        ("closed", "in_contact", False),
        ("closed", "closed", True),
    ],
)
def test_transitions(current: domain.Status, new: domain.Status, ok: bool) -> None:
    if ok:
        domain.check_transition(current, new)
    else:
        with pytest.raises(domain.RuleError):
            domain.check_transition(current, new)


def test_whistleblower_deadlines_are_7_days_and_3_calendar_months() -> None:
    opened = datetime(2026, 11, 30, 10, tzinfo=UTC)
    due = domain.whistleblower_deadlines("integriteit", opened)
    assert due == {
        "acknowledgement": datetime(2026, 12, 7, 10, tzinfo=UTC),
        "feedback": datetime(2027, 2, 28, 10, tzinfo=UTC),
    }
    assert domain.whistleblower_deadlines("pesten", opened) is None
    assert domain.warning_time("acknowledgement", due["acknowledgement"]) == datetime(
        2026, 12, 5, 10, tzinfo=UTC
    )


def test_a_closed_cases_code_expires_after_inactivity() -> None:
    now = datetime(2027, 6, 1, tzinfo=UTC)
    closed = now - timedelta(days=100)
    assert domain.code_expired("closed", closed, None, now, 90)
    assert not domain.code_expired("closed", closed, now - timedelta(days=10), now, 90)
    assert not domain.code_expired("in_contact", None, None, now, 90)


def test_a_deadline_is_told_of_once_its_time_came_unless_met_or_told() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    before, after = now - timedelta(hours=1), now + timedelta(hours=1)

    def deadline(**fields: object) -> dict[str, object]:
        return {"due": after, "warn_at": before, "warned": False, "met_at": None, **fields}

    assert domain.due_warnings({"first_contact": deadline(overdue_told=False)}, now) == [
        ("first_contact", "warned")
    ]
    overdue = deadline(due=before, overdue_told=False)
    assert domain.due_warnings({"first_contact": overdue}, now) == [
        ("first_contact", "warned"),
        ("first_contact", "overdue_told"),
    ]
    assert domain.due_warnings({"first_contact": {**overdue, "warned": True}}, now) == [
        ("first_contact", "overdue_told")
    ]
    assert domain.due_warnings({"first_contact": {**overdue, "met_at": before}}, now) == []
    assert domain.due_warnings({"feedback": deadline(warn_at=after)}, now) == []
    assert domain.due_warnings({"acknowledgement": deadline(), "feedback": deadline()}, now) == [
        ("acknowledgement", "warned"),
        ("feedback", "warned"),
    ]
    # A flag never written (a deadline without the overdue flag) is not told of.
    assert domain.due_warnings({"first_contact": deadline(warned=True)}, now) == []

"""Who hears what: the deliveries one event asks for (notify's plan, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notify.domain.plan import Recipient, delivery_id, intent_id, plan, reminder_ids
from shared import event_schemas  # noqa: F401
from shared.events import Envelope, decode, new_event, schema_for

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
START = NOW + timedelta(days=3)
HOURS = (timedelta(hours=24), timedelta(hours=1))


def event(type_: str, **data: Any) -> Envelope:
    """An event as a consumer receives it: encoded and decoded."""
    return decode(new_event(schema_for(type_, 1), data, source="test", org_id="org-1").encode())


def appointment(kind: str, **over: Any) -> Envelope:
    """An event about appointment a1 of case c1 with Anna, an hour online from START."""
    return event(
        f"booking.appointment.{kind}",
        **{
            "appointment_id": "a1",
            "case_id": "c1",
            "confidant_id": "anna",
            "starts_at": START,
            "ends_at": START + timedelta(hours=1),
            "mode": "online",
            **over,
        },
    )


def booked(**over: Any) -> Envelope:
    return appointment("booked", **over)


def who(p: Any) -> list[tuple[str, str, str]]:
    return [(i.recipient.kind, i.recipient.ref, i.name) for i in p.intents]


def test_a_booking_tells_reporter_and_confidant_and_plans_the_reminders() -> None:
    p = plan(booked(), NOW, reminders_before=HOURS)
    assert who(p) == [
        ("reporter", "c1", "appointment_booked"),
        ("confidant", "anna", "confidant_appointment_booked"),
        ("reporter", "c1", "reminder.1440"),
        ("reporter", "c1", "reminder.60"),
    ]
    reminders = [i for i in p.intents if i.template == "reminder"]
    assert [i.due_at for i in reminders] == [START - HOURS[0], START - HOURS[1]]
    assert all(i.due_at == NOW for i in p.intents if i.template != "reminder")
    assert p.cancel == []  # a first booking replaces nothing


def test_a_reminder_whose_time_has_passed_is_not_planned() -> None:
    soon = plan(booked(), START - timedelta(hours=2), reminders_before=HOURS)
    assert [i.name for i in soon.intents if i.template == "reminder"] == ["reminder.60"]


@pytest.mark.parametrize(
    ("by", "confidant_told"),
    [("reporter", True), ("admin", True), ("confidant", False), ("calendar", False)],
)
def test_moves_and_cancels_drop_old_reminders_and_spare_the_confidant_their_own(
    by: str, confidant_told: bool
) -> None:
    moved = appointment("rescheduled", rescheduled_by=by, sequence=2)
    p = plan(moved, NOW, reminders_before=HOURS)
    # The reminders of revisions 0 and 1 are replaced by those of revision 2.
    assert p.cancel == reminder_ids("a1", "c1", range(2), HOURS)
    assert len(set(p.cancel)) == 4
    new = {intent_id("e", i) for i in p.intents if i.template == "reminder"}
    assert len(new) == 2 and not new & set(p.cancel)
    assert (("confidant", "anna", "confidant_appointment_moved") in who(p)) == confidant_told
    cancelled = event(
        "booking.appointment.cancelled",
        appointment_id="a1",
        case_id="c1",
        confidant_id="anna",
        cancelled_by=by,
        sequence=2,
    )
    c = plan(cancelled, NOW, reminders_before=HOURS)
    assert set(c.cancel) == set(reminder_ids("a1", "c1", range(3), HOURS)) >= new
    assert who(c)[0] == ("reporter", "c1", "appointment_cancelled")
    assert (("confidant", "anna", "confidant_appointment_cancelled") in who(c)) == confidant_told
    assert not [i for i in c.intents if i.template == "reminder"]


def test_case_events_reach_the_right_person_and_org_events_only_the_organisation() -> None:
    opened = dict(
        case_id="c1", category="pesten", channel="web", reporter_role="employee", meeting_mode=None
    )
    assert who(plan(event("intake.case.opened", anonymous=True, **opened), NOW)) == []
    assert who(plan(event("intake.case.opened", anonymous=False, **opened), NOW)) == [
        ("reporter", "c1", "case_received")
    ]
    posted = "intake.case.message_posted"
    to_reporter = event(posted, case_id="c1", message_id="m1", author="confidant")
    assert who(plan(to_reporter, NOW)) == [("reporter", "c1", "new_message")]
    to_confidant = event(
        posted, case_id="c1", message_id="m2", author="reporter", confidant_id="anna"
    )
    assert who(plan(to_confidant, NOW)) == [("confidant", "anna", "new_message_confidant")]
    ready = event(
        "reporting.report.ready",
        report_id="r1",
        kind="yearly",
        period_from="2026-01-01",
        period_to="2026-12-31",
    )
    p = plan(ready, NOW, org_admins=("h1", "h2"), webhooks=("w1",))
    assert who(p) == [
        ("org_admin", "h1", "report_ready"),
        ("org_admin", "h2", "report_ready"),
        ("webhook", "w1", "reporting.report.ready"),
    ]
    assert {i.recipient.kind for i in p.intents} <= {"org_admin", "webhook"}


def test_the_key_is_event_recipient_and_template() -> None:
    anna = Recipient("confidant", "anna")
    key = delivery_id("e1", anna, "case_assigned")
    assert key == delivery_id("e1", anna, "case_assigned")
    assert (
        len(
            {
                key,
                delivery_id("e2", anna, "case_assigned"),
                delivery_id("e1", Recipient("confidant", "bram"), "case_assigned"),
                delivery_id("e1", anna, "new_message_confidant"),
            }
        )
        == 4
    )


def test_a_first_contact_warns_the_confidant_then_the_office_and_a_follow_up_reminds() -> None:
    due = dict(case_id="c1", confidant_id="anna", deadline="first_contact", due_at=START)
    assert who(plan(event("intake.case.deadline_due", **due), NOW, office=("o1",))) == [
        ("confidant", "anna", "deadline_due.first_contact")
    ]
    overdue = event("intake.case.deadline_due", overdue=True, **due)
    assert who(plan(overdue, NOW, office=("o1", "o2"))) == [
        ("office", "o1", "contact_overdue"),
        ("office", "o2", "contact_overdue"),
    ]
    follow_up = event("intake.case.follow_up_due", case_id="c1", confidant_id="anna")
    assert who(plan(follow_up, NOW)) == [("confidant", "anna", "follow_up_due")]


def test_a_report_the_schedule_drafted_reminds_the_organisations_confidants() -> None:
    drafted = event(
        "reporting.report.drafted",
        report_id="r1",
        kind="yearly",
        period_from="2026-01-01",
        period_to="2026-12-31",
    )
    assert who(plan(drafted, NOW, confidants=("anna", "bram"), org_admins=("h1",))) == [
        ("confidant", "anna", "report_drafted"),
        ("confidant", "bram", "report_drafted"),
    ]


def test_a_contracts_evaluation_day_tells_the_office() -> None:
    due = event("reporting.contract.evaluation_due", evaluate_on="2027-03-01")
    assert who(plan(due, NOW, office=("o1",))) == [("office", "o1", "contract_evaluation")]

"""Who hears what: the deliveries one event asks for. Pure: no I/O, no clock of its own.

Each delivery is keyed by (event id, recipient, template). The key is the delivery's
``_id``, so a redelivered event plans the same ids and inserting them again adds nothing.
A reminder is keyed by (appointment and booking's sequence, recipient, template) instead:
then a reschedule or a cancel can name the reminders it replaces without looking them up.
Recipients are ids, never addresses: a case's reporter, a confidant, one admin of an
organisation (by the keyed hash of their address), a webhook.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.event_schemas import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    CalendarConflict,
    CalendarSyncFailed,
    CaseAssigned,
    CaseDeadlineDue,
    CaseFollowUpDue,
    CaseMessagePosted,
    CaseOpened,
    ContractEvaluationDue,
    ReportDrafted,
    ReportReady,
    SignalRaised,
)
from shared.events import Envelope

RecipientKind = Literal["reporter", "confidant", "org_admin", "office", "webhook"]

# Who may be told what about an organisation: nothing about individual cases.
ORG_EVENTS = frozenset({ReportReady.TYPE, SignalRaised.TYPE})
# Booking's own side told the confidant already (it is their calendar): no mail for that.
BY_CONFIDANT = frozenset({"confidant", "calendar"})


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    ref: str  # case id, confidant id, hash of an admin's address, webhook id

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class Intent:
    recipient: Recipient
    template: str
    due_at: datetime
    variant: str = ""  # e.g. "1440" for the reminder a day before: part of the key
    appointment_id: str | None = None
    series: str | None = None  # for reminders: "<appointment id>#<sequence>", in the key

    @property
    def channel(self) -> Literal["email", "webhook"]:
        return "webhook" if self.recipient.kind == "webhook" else "email"

    @property
    def name(self) -> str:
        return f"{self.template}.{self.variant}" if self.variant else self.template


@dataclass(frozen=True)
class Plan:
    intents: list[Intent] = field(default_factory=list)
    # Reminders an earlier revision of the appointment planned: not to be sent any more.
    cancel: list[str] = field(default_factory=list)


def delivery_id(event_id: str, recipient: Recipient, name: str) -> str:
    return hashlib.sha256(f"{event_id}|{recipient.key}|{name}".encode()).hexdigest()[:32]


def intent_id(event_id: str, intent: Intent) -> str:
    return delivery_id(intent.series or event_id, intent.recipient, intent.name)


def _minutes(offset: timedelta) -> str:
    return str(int(offset.total_seconds() // 60))


def reminders(
    appointment_id: str,
    sequence: int,
    case_id: str,
    starts_at: datetime,
    before: tuple[timedelta, ...],
    now: datetime,
) -> list[Intent]:
    """A reminder to the reporter ``before`` each offset, unless that moment has passed."""
    reporter = Recipient("reporter", case_id)
    return [
        Intent(
            reporter,
            "reminder",
            starts_at - offset,
            variant=_minutes(offset),
            appointment_id=appointment_id,
            series=f"{appointment_id}#{sequence}",
        )
        for offset in sorted(before, reverse=True)
        if starts_at - offset > now
    ]


def reminder_ids(
    appointment_id: str, case_id: str, sequences: range, before: tuple[timedelta, ...]
) -> list[str]:
    """The keys of every reminder the revisions ``sequences`` of an appointment may have."""
    reporter = Recipient("reporter", case_id)
    return [
        delivery_id(f"{appointment_id}#{seq}", reporter, f"reminder.{_minutes(offset)}")
        for seq in sequences
        for offset in before
    ]


def _case_due(d: CaseDeadlineDue | CaseFollowUpDue, at: datetime, office: tuple[str, ...]) -> Plan:
    """A deadline or a follow-up due: the confidant is told; a first contact not made in
    time, the office."""
    if isinstance(d, CaseFollowUpDue):
        return Plan([Intent(Recipient("confidant", d.confidant_id), "follow_up_due", at)])
    if d.overdue:
        return Plan([Intent(Recipient("office", h), "contact_overdue", at) for h in office])
    variant = d.deadline
    return Plan(
        [Intent(Recipient("confidant", d.confidant_id), "deadline_due", at, variant=variant)]
    )


def _about_org(
    d: ReportReady | SignalRaised | ReportDrafted | ContractEvaluationDue,
    at: datetime,
    org_admins: tuple[str, ...],
    webhooks: tuple[str, ...],
    staff: tuple[str, ...],
) -> Plan:
    """A report or a signal: the organisation's admins and webhooks hear of one ready or
    raised; its confidants (``staff``) of one the schedule drafted, to finish and publish.
    A contract's evaluation day: the office (``staff``, hashes of its admins' addresses)."""
    if isinstance(d, ContractEvaluationDue):
        return Plan([Intent(Recipient("office", h), "contract_evaluation", at) for h in staff])
    if isinstance(d, ReportDrafted):
        return Plan([Intent(Recipient("confidant", c), "report_drafted", at) for c in staff])
    template = "report_ready" if isinstance(d, ReportReady) else "signal_raised"
    intents = [Intent(Recipient("org_admin", h), template, at) for h in org_admins]
    intents += [Intent(Recipient("webhook", w), d.TYPE, at) for w in webhooks]
    return Plan(intents)


def _appointment(
    d: AppointmentBooked | AppointmentRescheduled | AppointmentCancelled,
    at: datetime,
    now: datetime,
    reminders_before: tuple[timedelta, ...],
) -> Plan:
    """The reporter's and the confidant's notices of a booked, moved or cancelled
    appointment, and the reporter's reminders. An organisation's meeting with the firm has
    no reporter: the confidant alone is told."""
    appointment = d.appointment_id
    reporter = Recipient("reporter", d.case_id) if d.meeting == "case" else None
    confidant = Recipient("confidant", d.confidant_id) if d.confidant_id else None
    intents: list[Intent] = []

    def tell(who: Recipient | None, template: str) -> None:
        if who is not None:
            intents.append(Intent(who, template, at, appointment_id=appointment))

    if isinstance(d, AppointmentCancelled):
        tell(reporter, "appointment_cancelled")
        if d.cancelled_by not in BY_CONFIDANT:
            tell(confidant, "confidant_appointment_cancelled")
        every = range(d.sequence + 1)
        return Plan(intents, cancel=reminder_ids(appointment, d.case_id, every, reminders_before))
    booked = isinstance(d, AppointmentBooked)
    tell(reporter, "appointment_booked" if booked else "appointment_rescheduled")
    if isinstance(d, AppointmentBooked) or d.rescheduled_by not in BY_CONFIDANT:
        tell(confidant, "confidant_appointment_booked" if booked else "confidant_appointment_moved")
    if reporter is not None:
        intents += reminders(appointment, d.sequence, d.case_id, d.starts_at, reminders_before, now)
    earlier = reminder_ids(appointment, d.case_id, range(d.sequence), reminders_before)
    return Plan(intents, cancel=earlier)


def plan(
    event: Envelope,
    now: datetime,
    *,
    reminders_before: tuple[timedelta, ...] = (),
    org_admins: tuple[str, ...] = (),
    webhooks: tuple[str, ...] = (),
    office: tuple[str, ...] = (),
    confidants: tuple[str, ...] = (),
) -> Plan:
    """The deliveries ``event`` asks for. ``org_admins`` (hashes) and ``webhooks`` (ids) are
    the organisation's, for the events an organisation hears of."""
    at = now

    def to(kind: RecipientKind, ref: str | None, template: str, **kw: Any) -> list[Intent]:
        return [Intent(Recipient(kind, ref), template, at, **kw)] if ref else []

    match event.payload:
        case CaseOpened() as d:
            # Anonymous reporters gave no address: nobody to confirm to. A report by e-mail
            # or WhatsApp is acknowledged by intake, in that thread.
            if d.anonymous or d.acknowledged_in_channel:
                return Plan()
            return Plan(to("reporter", d.case_id, "case_received"))
        case CaseAssigned() as d:
            return Plan(to("confidant", d.confidant_id, "case_assigned"))
        case CaseMessagePosted() as d:
            if d.author == "confidant":
                # Relayed by intake into the reporter's own thread: no notice besides.
                return Plan([] if d.relayed else to("reporter", d.case_id, "new_message"))
            return Plan(to("confidant", d.confidant_id, "new_message_confidant"))
        case CaseDeadlineDue() | CaseFollowUpDue() as d:
            return _case_due(d, at, office)
        case AppointmentBooked() | AppointmentRescheduled() | AppointmentCancelled() as d:
            return _appointment(d, at, now, reminders_before)
        case CalendarSyncFailed() as d:
            return Plan(to("confidant", d.confidant_id, "calendar_sync_failed"))
        case CalendarConflict() as d:
            return Plan(to("confidant", d.confidant_id, "calendar_conflict"))
        case ReportReady() | SignalRaised() | ReportDrafted() | ContractEvaluationDue() as d:
            return _about_org(d, at, org_admins, webhooks, confidants + office)
    return Plan()

"""The schemas of the suite's events, in one place, free of personal data by construction.

Fields are ids, enumerations, counts and timestamps. A new event type is added here, never in
a service, so that publisher and consumers agree on one definition.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from shared.auth import REFERENCE
from shared.events import EventData, event_schema
from shared.text import Locale

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

Category = Literal[
    "pesten",
    "intimidatie",
    "seksuele_intimidatie",
    "discriminatie",
    "agressie_geweld",
    "onveilig_gevoel",
    "integriteit",
    "vraag_advies",
    "anders",
]
Channel = Literal["web", "email", "whatsapp", "phone", "in_person", "letter"]
MeetingMode = Literal["online", "on_location", "phone", "walk"]
# Whose conversation an appointment is: a case's, or the organisation's own meeting with the
# firm (an introduction, an evaluation), booked by its admin; that one has no case, and its
# ``case_id`` is the organisation's meetings' own id (``org-<org id>``).
Meeting = Literal["case", "organisation"]
ReporterRole = Literal["employee", "manager", "hr"]


IntegritySubtype = Literal["fraude", "corruptie", "machtsmisbruik", "diefstal", "misstand"]
Status = Literal["new", "in_contact", "in_conversation", "closed"]
Outcome = Literal[
    "listening_ear",
    "advice",
    "referral",
    "mediation",
    "formal_complaint_support",
    "whistleblower_report",
]

# Where a confidant refers a reporter to (the organisation names the place itself).
ReferralKind = Literal[
    "company_doctor",
    "hr",
    "complaints_committee",
    "whistleblowers_authority",
    "counselling",
    "works_council",
    "other",
]


# Why a calendar could not be read (booking's DavError kinds): the server could not be
# reached, refused the credentials, withdrew an OAuth grant, has no such calendar, forgot
# the sync token, answered what the protocol does not promise, asked to wait, or listed so
# little that the sync was held for the confidant to confirm.
CalendarError = Literal[
    "unreachable",
    "unauthorized",
    "revoked",
    "not_found",
    "invalid",
    "malformed",
    "throttled",
    "held",
    "other",
]


# A case's reference (VP-2026-XXXXXX): for people to name a case by, in mails and pages. Not
# a secret and not personal: it says nothing about who reported or what.
Reference = Field(default=None, pattern=f"^{REFERENCE.pattern}$")


@event_schema("intake.case.opened")
class CaseOpened(EventData):
    case_id: str = Id
    reference: str | None = Reference
    category: Category
    subtype: IntegritySubtype | None = None
    channel: Channel
    reporter_role: ReporterRole
    anonymous: bool
    meeting_mode: MeetingMode | None = None
    # The department's position in the organisation's list, never its name: reporting
    # counts per department without a free-text field on the stream.
    department_index: int | None = Field(default=None, ge=0, le=1000)
    locale: Locale = "nl"
    # A whistleblower report's legal deadlines (acknowledge, give feedback); else None.
    acknowledge_by: AwareDatetime | None = None
    feedback_by: AwareDatetime | None = None
    # True when intake acknowledges the report itself, in the thread the reporter wrote in
    # (e-mail, WhatsApp): notify then sends no confirmation of its own.
    acknowledged_in_channel: bool = False


@event_schema("intake.case.assigned")
class CaseAssigned(EventData):
    case_id: str = Id
    reference: str | None = Reference
    confidant_id: str = Id
    reason: Literal["reporter_choice", "least_loaded", "handover"]


@event_schema("intake.case.status_changed")
class CaseStatusChanged(EventData):
    case_id: str = Id
    status: Status
    previous: Status


@event_schema("intake.case.closed")
class CaseClosed(EventData):
    case_id: str = Id
    outcome: Outcome
    hours_spent: float = Field(ge=0, le=1000)
    referral_kind: ReferralKind | None = None  # where to, by kind (the place stays in intake)


@event_schema("intake.case.reopened")
class CaseReopened(EventData):
    """A closed case taken up again (its reason stays in intake); counted once in reports."""

    case_id: str = Id
    reference: str | None = Reference
    confidant_id: str = Id


@event_schema("intake.case.follow_up_due")
class CaseFollowUpDue(EventData):
    """The check-in planned at closing is due: the confidant is reminded (the reporter is
    asked by intake, in their own channel)."""

    case_id: str = Id
    reference: str | None = Reference
    confidant_id: str = Id


@event_schema("intake.case.hours_logged")
class CaseHoursLogged(EventData):
    case_id: str = Id
    hours_spent: float = Field(ge=0, le=1000)


@event_schema("intake.case.note_added")
class CaseNoteAdded(EventData):
    case_id: str = Id
    note_id: str = Id


@event_schema("intake.case.message_posted")
class CaseMessagePosted(EventData):
    """There is a message; what it says stays in intake."""

    case_id: str = Id
    reference: str | None = Reference
    message_id: str = Id
    author: Literal["reporter", "confidant"]
    confidant_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    # Set when intake itself carries the message to the reporter, in their e-mail thread or
    # WhatsApp chat: notify then sends no "new message" mail.
    relayed: Literal["email", "whatsapp"] | None = None


@event_schema("intake.case.categorised")
class CaseCategorised(EventData):
    """The confidant set what a report is about (one that came in by e-mail, WhatsApp or
    phone comes in as "anders"); deadlines follow the new category."""

    case_id: str = Id
    category: Category
    subtype: IntegritySubtype | None = None
    previous: Category
    acknowledge_by: AwareDatetime | None = None
    feedback_by: AwareDatetime | None = None


@event_schema("intake.case.deadline_due")
class CaseDeadlineDue(EventData):
    case_id: str = Id
    reference: str | None = Reference
    confidant_id: str = Id
    deadline: Literal["acknowledgement", "feedback", "first_contact"]
    due_at: AwareDatetime
    # The first contact is overdue: the office hears of it (no content, the reference).
    overdue: bool = False


@event_schema("intake.case.purged")
class CasePurged(EventData):
    """Personal data, notes and messages of a closed case were destroyed."""

    case_id: str = Id


@event_schema("intake.org.updated")
class OrgUpdated(EventData):
    """An organisation's name or departments, made or changed: what reports and signals
    name it and its departments by. Organisational, not personal; only what changed is set."""

    org_id: str = Id
    org_name: str | None = Field(default=None, min_length=1, max_length=120)
    departments: list[Annotated[str, Field(min_length=1, max_length=80)]] | None = Field(
        default=None, max_length=200
    )


@event_schema("booking.appointment.booked")
class AppointmentBooked(EventData):
    appointment_id: str = Id
    case_id: str = Id
    confidant_id: str = Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    mode: MeetingMode
    # Booking's revision of the appointment (0 when booked, +1 per move): the calendar
    # event's SEQUENCE, and how notify knows which reminders an event replaces.
    sequence: int = Field(default=0, ge=0, le=10000)
    meeting: Meeting = "case"


@event_schema("booking.appointment.rescheduled")
class AppointmentRescheduled(EventData):
    appointment_id: str = Id
    case_id: str = Id
    confidant_id: str = Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    mode: MeetingMode
    rescheduled_by: Literal["reporter", "confidant", "calendar", "admin"]
    # Booking's revision of the appointment (0 when booked, +1 per move): the calendar
    # event's SEQUENCE, and how notify knows which reminders an event replaces.
    sequence: int = Field(default=0, ge=0, le=10000)
    meeting: Meeting = "case"


@event_schema("booking.appointment.cancelled")
class AppointmentCancelled(EventData):
    appointment_id: str = Id
    case_id: str = Id
    confidant_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    cancelled_by: Literal["reporter", "confidant", "calendar", "admin", "organisation"]
    # Booking's revision of the appointment (0 when booked, +1 per move): the calendar
    # event's SEQUENCE, and how notify knows which reminders an event replaces.
    sequence: int = Field(default=0, ge=0, le=10000)
    meeting: Meeting = "case"


@event_schema("booking.appointment.held")
class AppointmentHeld(EventData):
    """The confidant confirms a conversation took place: when it really began and ended,
    and the travel it took (kilometres there and back, travel time). What billing counts."""

    appointment_id: str = Id
    case_id: str = Id
    confidant_id: str = Id
    mode: MeetingMode
    started_at: AwareDatetime
    ended_at: AwareDatetime
    km: float = Field(ge=0, le=2000)
    travel_minutes: int = Field(ge=0, le=24 * 60)
    meeting: Meeting = "case"


@event_schema("booking.calendar.sync_failed")
class CalendarSyncFailed(EventData):
    """A confidant's calendar could not be read for too long: their slots are closed."""

    confidant_id: str = Id
    since: AwareDatetime
    error: CalendarError


@event_schema("booking.calendar.conflict")
class CalendarConflict(EventData):
    """The confidant moved a booked event onto time that is not free; it was kept."""

    appointment_id: str = Id
    case_id: str = Id
    confidant_id: str = Id


@event_schema("reporting.report.ready")
class ReportReady(EventData):
    """A report was published: the organisation's admins may read it now."""

    report_id: str = Id
    kind: Literal["yearly", "usage"]
    period_from: date
    period_to: date


@event_schema("reporting.report.drafted")
class ReportDrafted(EventData):
    """A report was drafted by the schedule (the year is over): the organisation's
    confidants are reminded to add their advice and publish it."""

    report_id: str = Id
    kind: Literal["yearly", "usage"]
    period_from: date
    period_to: date


@event_schema("reporting.contract.evaluation_due")
class ContractEvaluationDue(EventData):
    """The day to evaluate an organisation's contract with it has come: the office hears."""

    evaluate_on: date
    ends_on: date | None = None
    org_name: str | None = Field(default=None, max_length=120)  # whose (no one's personal data)


@event_schema("reporting.signal.raised")
class SignalRaised(EventData):
    """A confidant confirmed a trend signal; it names a category or department, no one."""

    signal_id: str = Id
    rule: Literal["department_cluster", "category_rise", "confidant"]
    category: Category | None = None
    department_index: int | None = Field(default=None, ge=0, le=1000)

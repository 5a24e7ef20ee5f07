"""The schemas of the suite's events, in one place, free of personal data by construction.

Fields are ids, enumerations, counts and timestamps. A new event type is added here, never in
a service, so that publisher and consumers agree on one definition.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events import EventData, event_schema

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
Channel = Literal["web", "email", "whatsapp", "phone", "in_person"]
MeetingMode = Literal["online", "on_location", "phone", "walk"]
ReporterRole = Literal["employee", "manager", "hr"]


@event_schema("intake.case.opened")
class CaseOpened(EventData):
    case_id: str = Id
    category: Category
    channel: Channel
    reporter_role: ReporterRole
    anonymous: bool
    meeting_mode: MeetingMode | None = None
    department_id: str | None = Field(default=None, max_length=64)


@event_schema("intake.case.assigned")
class CaseAssigned(EventData):
    case_id: str = Id
    confidant_id: str = Id
    reason: Literal["reporter_choice", "least_loaded", "handover"]


@event_schema("booking.appointment.booked")
class AppointmentBooked(EventData):
    appointment_id: str = Id
    case_id: str = Id
    confidant_id: str = Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    mode: MeetingMode


@event_schema("booking.appointment.cancelled")
class AppointmentCancelled(EventData):
    appointment_id: str = Id
    case_id: str = Id
    cancelled_by: Literal["reporter", "confidant", "calendar", "admin"]


@event_schema("notify.delivery.sent")
class DeliverySent(EventData):
    delivery_id: str = Id
    channel: Literal["email", "webhook"]
    template: str = Field(max_length=64, pattern=r"^[a-z0-9_.-]+$")

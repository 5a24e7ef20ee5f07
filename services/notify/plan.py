"""Who hears what: the deliveries one event asks for. Pure: no I/O, no clock of its own.

Each delivery is keyed by (event id, recipient, template). The key is the delivery's
``_id``, so a redelivered event plans the same ids and inserting them again adds nothing.
Recipients are ids, never addresses: a case's reporter, a confidant, one admin of an
organisation (by the keyed hash of their address), a webhook.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.events import Envelope

RecipientKind = Literal["reporter", "confidant", "org_admin", "webhook"]

# Who may be told what about an organisation: nothing about individual cases.
ORG_EVENTS = frozenset({"reporting.report.ready", "reporting.signal.raised"})
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

    @property
    def channel(self) -> str:
        return "webhook" if self.recipient.kind == "webhook" else "email"

    @property
    def name(self) -> str:
        return f"{self.template}.{self.variant}" if self.variant else self.template


@dataclass(frozen=True)
class Plan:
    intents: list[Intent] = field(default_factory=list)
    # Reminders of this appointment planned before are dropped (rescheduled or cancelled).
    drop_reminders_of: str | None = None


def delivery_id(event_id: str, recipient: Recipient, name: str) -> str:
    return hashlib.sha256(f"{event_id}|{recipient.key}|{name}".encode()).hexdigest()[:32]


def reminders(
    appointment_id: str,
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
            variant=str(int(offset.total_seconds() // 60)),
            appointment_id=appointment_id,
        )
        for offset in sorted(before, reverse=True)
        if starts_at - offset > now
    ]


def plan(
    event: Envelope,
    now: datetime,
    *,
    reminders_before: tuple[timedelta, ...] = (),
    org_admins: tuple[str, ...] = (),
    webhooks: tuple[str, ...] = (),
) -> Plan:
    """The deliveries ``event`` asks for. ``org_admins`` (hashes) and ``webhooks`` (ids) are
    the organisation's, for the events an organisation hears of."""
    d: dict[str, Any] = event.data
    at = now

    def to(kind: RecipientKind, ref: str | None, template: str, **kw: Any) -> list[Intent]:
        return [Intent(Recipient(kind, ref), template, at, **kw)] if ref else []

    match event.type:
        case "intake.case.opened":
            # Anonymous reporters gave no address: nobody to confirm to.
            return Plan([] if d["anonymous"] else to("reporter", d["case_id"], "case_received"))
        case "intake.case.assigned":
            return Plan(to("confidant", d["confidant_id"], "case_assigned"))
        case "intake.case.message_posted":
            if d["author"] == "confidant":
                return Plan(to("reporter", d["case_id"], "new_message"))
            return Plan(to("confidant", d.get("confidant_id"), "new_message_confidant"))
        case "intake.case.deadline_due":
            return Plan(to("confidant", d["confidant_id"], "deadline_due", variant=d["deadline"]))
        case "booking.appointment.booked" | "booking.appointment.rescheduled":
            booked = event.type.endswith("booked")
            appointment = d["appointment_id"]
            intents = to(
                "reporter",
                d["case_id"],
                "appointment_booked" if booked else "appointment_rescheduled",
                appointment_id=appointment,
            )
            if booked or d["rescheduled_by"] not in BY_CONFIDANT:
                intents += to(
                    "confidant",
                    d["confidant_id"],
                    "confidant_appointment_booked" if booked else "confidant_appointment_moved",
                    appointment_id=appointment,
                )
            starts = datetime.fromisoformat(d["starts_at"])
            intents += reminders(appointment, d["case_id"], starts, reminders_before, now)
            return Plan(intents, drop_reminders_of=None if booked else appointment)
        case "booking.appointment.cancelled":
            appointment = d["appointment_id"]
            intents = to(
                "reporter", d["case_id"], "appointment_cancelled", appointment_id=appointment
            )
            if d["cancelled_by"] not in BY_CONFIDANT:
                intents += to(
                    "confidant",
                    d.get("confidant_id"),
                    "confidant_appointment_cancelled",
                    appointment_id=appointment,
                )
            return Plan(intents, drop_reminders_of=appointment)
        case "booking.calendar.sync_failed":
            return Plan(to("confidant", d["confidant_id"], "calendar_sync_failed"))
        case "booking.calendar.conflict":
            return Plan(to("confidant", d["confidant_id"], "calendar_conflict"))
        case "reporting.report.ready" | "reporting.signal.raised":
            template = "report_ready" if event.type.endswith("ready") else "signal_raised"
            intents = [Intent(Recipient("org_admin", h), template, at) for h in org_admins]
            intents += [Intent(Recipient("webhook", w), event.type, at) for w in webhooks]
            return Plan(intents)
    return Plan()

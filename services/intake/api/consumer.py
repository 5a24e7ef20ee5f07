"""What intake does with the events it consumes: appointments join the case's timeline; a
booked conversation is the first contact; a reporter who wrote by e-mail or WhatsApp is told
of their conversation there (when, how, and the video link, asked of booking: the link is a
key to the room, so it never rides the event stream)."""

from __future__ import annotations

import contextlib

from aiohttp import web
from babel.dates import format_datetime
from pymongo.errors import DuplicateKeyError

from services.intake.domain.rules import AMSTERDAM
from services.intake.domain.texts import tell_reporter
from services.intake.domain.updates import answered
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import TIMELINE
from shared.bus import Handler
from shared.event_schemas import AppointmentBooked, AppointmentCancelled, AppointmentRescheduled
from shared.events import Envelope
from shared.messages import N_, Texts
from shared.outbox import HIDDEN
from shared.rpc import ask
from shared.service import MONGO
from shared.text import locale_of


def timeline_handler(app: web.Application) -> Handler:
    async def on_appointment(event: Envelope) -> None:
        data = event.payload
        if not isinstance(data, AppointmentBooked | AppointmentRescheduled | AppointmentCancelled):
            return
        if data.meeting != "case":  # an organisation's meeting with the firm: no case
            return
        # When and how (booked, moved; none when cancelled): the reporter coming back with
        # the code sees their appointment.
        when = (
            (data.starts_at, data.mode)
            if isinstance(data, AppointmentBooked | AppointmentRescheduled)
            else (None, None)
        )
        # Keyed on the event id: a redelivered event finds itself there and adds nothing.
        # An insert, not an upsert: on FerretDB an insert costs a thirtieth of an update.
        with contextlib.suppress(DuplicateKeyError):
            await (
                app[MONGO]
                .db[TIMELINE]
                .insert_one(
                    {
                        "_id": event.id,
                        "case_id": data.case_id,
                        "org_id": event.org_id,
                        "type": event.type,
                        "occurred_at": event.occurred_at,
                        "appointment_id": data.appointment_id,
                        "starts_at": when[0],
                        "mode": when[1],
                    }
                )
            )
        intake = app[INTAKE]
        case = await docs.cases(intake.db).find_one({"_id": data.case_id}, HIDDEN)
        if case is None:
            return
        if isinstance(data, AppointmentBooked):
            await answered(intake, case, event.occurred_at)
        if case.get("relay"):
            text = await notice(intake, case, data)
            await tell_reporter(intake, case, f"appt-{event.id}", text, event.occurred_at)

    return on_appointment


APPOINTMENT = "rpc.booking.appointment"
NOTICES = Texts(
    {
        "booked": N_("Your conversation is booked: %(when)s, %(mode)s."),
        "moved": N_("Your conversation has moved to %(when)s, %(mode)s."),
        "cancelled": N_("Your conversation is cancelled. Answer this message to make a new one."),
        "video": N_("Join the video call here: %(url)s"),
        "online": N_("online (video)"),
        "on_location": N_("on location"),
        "phone": N_("by phone: the confidant calls you"),
        "walk": N_("a walk"),
    }
)


async def notice(
    intake: Intake,
    case: docs.Case,
    data: AppointmentBooked | AppointmentRescheduled | AppointmentCancelled,
) -> str:
    """What the reporter reads of their conversation, in their language."""
    locale = locale_of(case.get("locale"))
    words = NOTICES[locale]
    if isinstance(data, AppointmentCancelled):
        return words["cancelled"]
    when = format_datetime(
        data.starts_at.astimezone(AMSTERDAM), "EEEE d MMMM, HH:mm", locale=locale
    )
    said = words["booked" if isinstance(data, AppointmentBooked) else "moved"] % {
        "when": when,
        "mode": words[data.mode],
    }
    if data.mode == "online":
        token = intake.issuer.issue(sub="intake", role="service", audience="booking", ttl_s=60)
        reply = await ask(
            intake.bus, "rpc.booking.appointment", token, appointment_id=data.appointment_id
        )
        url = reply["appointment"].get("video_url")
        if url:
            said += "\n" + words["video"] % {"url": url}
    return said

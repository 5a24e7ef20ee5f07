"""What intake does with the events it consumes: appointments join the case's timeline."""

from __future__ import annotations

import contextlib

from aiohttp import web
from pymongo.errors import DuplicateKeyError

from services.intake.store.collections import TIMELINE
from shared.bus import Handler
from shared.event_schemas import AppointmentBooked, AppointmentCancelled, AppointmentRescheduled
from shared.events import Envelope
from shared.service import MONGO


def timeline_handler(app: web.Application) -> Handler:
    async def on_appointment(event: Envelope) -> None:
        data = event.payload
        if not isinstance(data, AppointmentBooked | AppointmentRescheduled | AppointmentCancelled):
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

    return on_appointment

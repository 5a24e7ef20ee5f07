"""What intake does with the events it consumes: appointments join the case's timeline."""

from __future__ import annotations

from aiohttp import web

from shared.bus import Handler
from shared.events import Envelope
from shared.service import MONGO

from .store import TIMELINE


def timeline_handler(app: web.Application) -> Handler:
    async def on_appointment(event: Envelope) -> None:
        # Keyed on the event id: a redelivered event overwrites itself, never duplicates.
        await (
            app[MONGO]
            .db[TIMELINE]
            .update_one(
                {"_id": event.id},
                {
                    "$set": {
                        "case_id": event.data["case_id"],
                        "org_id": event.org_id,
                        "type": event.type,
                        "occurred_at": event.occurred_at,
                        "appointment_id": event.data["appointment_id"],
                    }
                },
                upsert=True,
            )
        )

    return on_appointment

"""What notify does with the events it consumes: queue a delivery job, once per event."""

from __future__ import annotations

from aiohttp import web

from shared.bus import Handler
from shared.events import Envelope
from shared.service import MONGO

from .store import OUTBOX


def outbox_handler(app: web.Application) -> Handler:
    async def on_event(event: Envelope) -> None:
        # $setOnInsert: a redelivered event never resets a job that is already under way.
        await (
            app[MONGO]
            .db[OUTBOX]
            .update_one(
                {"_id": event.id},
                {
                    "$setOnInsert": {
                        "type": event.type,
                        "org_id": event.org_id,
                        "occurred_at": event.occurred_at,
                        "status": "pending",
                    }
                },
                upsert=True,
            )
        )

    return on_event

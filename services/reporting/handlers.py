"""What reporting does with events: keep the PII-free facts reports are built from."""

from __future__ import annotations

from aiohttp import web

from shared.bus import Handler
from shared.events import Envelope
from shared.service import MONGO

from .store import FACTS

# Only these fields of an event's data ever reach reporting's database.
KEPT = ("category", "channel", "reporter_role", "anonymous", "mode", "reason")


def facts_handler(app: web.Application) -> Handler:
    async def on_event(event: Envelope) -> None:
        fact = {k: event.data[k] for k in KEPT if k in event.data}
        fact.update(type=event.type, org_id=event.org_id, month=event.occurred_at.strftime("%Y-%m"))
        await app[MONGO].db[FACTS].replace_one({"_id": event.id}, fact, upsert=True)

    return on_event

"""What booking does with intake's events: keep its own view of cases and assignments."""

from __future__ import annotations

from aiohttp import web

from services.booking.store.collections import CASES
from shared.bus import Handler
from shared.event_schemas import CaseAssigned, CaseOpened
from shared.events import Envelope
from shared.service import MONGO


def case_handler(app: web.Application) -> Handler:
    async def on_case_event(event: Envelope) -> None:
        data = event.payload
        case_id = getattr(data, "case_id", None)  # (every intake.case event names its case)
        if case_id is None:
            return
        update: dict[str, object] = {"org_id": event.org_id}
        if isinstance(data, CaseOpened):
            update["meeting_mode"] = data.meeting_mode
        elif isinstance(data, CaseAssigned):
            update["confidant_id"] = data.confidant_id
        await app[MONGO].db[CASES].update_one({"_id": case_id}, {"$set": update}, upsert=True)

    return on_case_event

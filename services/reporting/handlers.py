"""What reporting does with events: fold them into the case projection."""

from __future__ import annotations

from aiohttp import web

from shared.bus import Handler
from shared.events import Envelope

from .projection import apply
from .state import REPORTING
from .store import CASES


def projection_handler(app: web.Application) -> Handler:
    async def on_event(event: Envelope) -> None:
        r = app[REPORTING]
        case_id = event.data.get("case_id")
        if not case_id:
            return
        async with r.locks.hold(CASES, case_id):
            current = await r.db[CASES].find_one({"_id": case_id})
            updated = apply(current, event.model_dump(mode="json"))
            if updated is not None and updated != current:
                await r.db[CASES].replace_one({"_id": case_id}, updated, upsert=True)

    return on_event

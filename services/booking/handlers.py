"""What booking does with intake's events: keep its own view of cases and assignments."""

from __future__ import annotations

from aiohttp import web

from shared.bus import Handler
from shared.events import Envelope
from shared.service import MONGO

from .store import CASES


def case_handler(app: web.Application) -> Handler:
    async def on_case_event(event: Envelope) -> None:
        update: dict[str, object] = {"org_id": event.org_id}
        if event.type == "intake.case.opened":
            update["meeting_mode"] = event.data.get("meeting_mode")
        elif event.type == "intake.case.assigned":
            update["confidant_id"] = event.data["confidant_id"]
        await (
            app[MONGO]
            .db[CASES]
            .update_one({"_id": event.data["case_id"]}, {"$set": update}, upsert=True)
        )

    return on_case_event

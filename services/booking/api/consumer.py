"""What booking does with intake's events: keep its own view of cases and assignments, and
forget a purged case's phone numbers."""

from __future__ import annotations

from aiohttp import web

from services.booking.state import BOOKING
from services.booking.store.collections import CASES
from services.booking.store.erasure import forget_numbers
from shared.bus import Handler
from shared.event_schemas import (
    CaseAssigned,
    CaseClosed,
    CaseOpened,
    CasePurged,
    CaseReopened,
)
from shared.events import Envelope


def case_handler(app: web.Application) -> Handler:
    async def on_case_event(event: Envelope) -> None:
        data = event.payload
        case_id = getattr(data, "case_id", None)  # (every intake.case event names its case)
        if case_id is None:
            return
        booking = app[BOOKING]
        update: dict[str, object] = {"org_id": event.org_id}
        if isinstance(data, CaseOpened):
            update.update(
                meeting_mode=data.meeting_mode,
                reference=data.reference,
                locale=data.locale,
                channel=data.channel,
            )
        elif isinstance(data, CaseAssigned):
            update.update(confidant_id=data.confidant_id, reference=data.reference)
        elif isinstance(data, CaseClosed | CaseReopened):
            update["closed"] = isinstance(data, CaseClosed)
        elif isinstance(data, CasePurged):
            await forget_numbers(booking, case_id)
        await booking.db[CASES].update_one({"_id": case_id}, {"$set": update}, upsert=True)

    return on_case_event

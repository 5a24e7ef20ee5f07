"""What booking answers over NATS request/reply: an appointment's details for notify (and
intake), at send time; the public profiles of an organisation's confidants, for intake's
report page (who to choose: initials, languages, gender where given).

The video link is a key to the room, so it never rides the event stream; notify asks here
when it writes the mail. Request: ``{"token", "appointment_id"}``; reply
``{"ok": true, "appointment": {...}}`` (as ``GET /v1/appointments/{id}`` shows it) or
``{"ok": false, "error": "not_found"}``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from services.booking.state import BOOKING
from services.booking.store.documents import appointment_view, appointments, confidants
from shared.http import AUTH
from shared.outbox import HIDDEN
from shared.rpc import responder
from shared.wire import Json

SUBJECT = "rpc.booking.appointment"
ALLOWED_SERVICES = frozenset({"notify", "intake"})


@contextlib.asynccontextmanager
async def appointment_responder(app: web.Application) -> AsyncIterator[None]:
    booking = app[BOOKING]

    async def answer(request: Json) -> Json:
        appointment_id = request.get("appointment_id")
        if not isinstance(appointment_id, str):
            return {"ok": False, "error": "bad_request"}
        doc = await appointments(booking.db).find_one({"_id": appointment_id})
        if doc is None:
            return {"ok": False, "error": "not_found"}
        return {"ok": True, "appointment": appointment_view(doc)}

    async with responder(booking.bus, SUBJECT, app[AUTH], ALLOWED_SERVICES, answer):
        yield


CONFIDANTS = "rpc.booking.confidants"


@contextlib.asynccontextmanager
async def confidants_responder(app: web.Application) -> AsyncIterator[None]:
    booking = app[BOOKING]

    async def answer(request: Json) -> Json:
        org_id = request.get("org_id")
        if not isinstance(org_id, str):
            return {"ok": False, "error": "bad_request"}
        found = confidants(booking.db).find({"org_ids": org_id}, HIDDEN)
        profiles = [
            {
                "id": c["_id"],
                "display_name": c["display_name"],
                "languages": c.get("languages", ["nl"]),
                "gender": c.get("gender"),
            }
            async for c in found
        ]
        return {"ok": True, "confidants": profiles}

    async with responder(booking.bus, CONFIDANTS, app[AUTH], frozenset({"intake"}), answer):
        yield

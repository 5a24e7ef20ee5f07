"""What intake does with the events it consumes: appointments join the case's timeline."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from aiohttp import web
from pymongo.errors import DuplicateKeyError

from shared.bus import Handler
from shared.events import Envelope
from shared.service import MONGO

from .store import TIMELINE


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def timeline_handler(app: web.Application) -> Handler:
    async def on_appointment(event: Envelope) -> None:
        # Keyed on the event id: a redelivered event finds itself there and adds nothing.
        # An insert, not an upsert: on FerretDB an insert costs a thirtieth of an update.
        with contextlib.suppress(DuplicateKeyError):
            await (
                app[MONGO]
                .db[TIMELINE]
                .insert_one(
                    {
                        "_id": event.id,
                        "case_id": event.data["case_id"],
                        "org_id": event.org_id,
                        "type": event.type,
                        "occurred_at": event.occurred_at,
                        "appointment_id": event.data["appointment_id"],
                        # When and how (booked, moved; none when cancelled): the reporter
                        # coming back with the code sees their appointment.
                        "starts_at": _instant(event.data.get("starts_at")),
                        "mode": event.data.get("mode"),
                    }
                )
            )

    return on_appointment

"""What notify does with an event: plan its deliveries and record them, then send.

The deliveries are written before the event is acknowledged, each under its key (event id,
recipient, template): a redelivered event finds them there and adds nothing. Sending starts
at once for what is due now; reminders wait in the database for their time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pymongo.errors import BulkWriteError

from shared.bus import DUPLICATE_KEY, Handler
from shared.events import Envelope
from shared.rpc import ask

from .deliver import CONTACT
from .plan import ORG_EVENTS, Intent, delivery_id, plan
from .state import NOTIFY, Notify
from .store import APPOINTMENTS, DELIVERIES, WEBHOOKS


def delivery_doc(event: Envelope, intent: Intent, now: datetime) -> dict[str, Any]:
    return {
        "_id": delivery_id(event.id, intent.recipient, intent.name),
        "event_id": event.id,
        "event_type": event.type,
        "occurred_at": event.occurred_at,
        "org_id": event.org_id,
        "recipient": {"kind": intent.recipient.kind, "ref": intent.recipient.ref},
        "template": intent.template,
        "variant": intent.variant,
        "name": intent.name,
        "channel": intent.channel,
        "appointment_id": intent.appointment_id,
        "context": event.data,  # ids, enumerations, times: the event schemas allow no more
        "status": "pending",
        "attempts": 0,
        "due_at": intent.due_at,
        "created_at": now,
        "updated_at": now,
    }


async def org_audience(n: Notify, event: Envelope) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The organisation's admins (hashes of their addresses) and its webhooks for ``event``."""
    if event.type not in ORG_EVENTS or not event.org_id:
        return (), ()
    # Asked now, so the key names each admin; if intake is away the event comes back later.
    found = await ask(n.bus, CONTACT, n.token(), org_admins=event.org_id)
    admins = tuple(sorted({n.recipient_hash(c["email"]) for c in found["contacts"]}))
    hooks = n.db[WEBHOOKS].find({"org_id": event.org_id, "active": True}, {"events": 1})
    ids = tuple(sorted([h["_id"] async for h in hooks if event.type in h.get("events", [])]))
    return admins, ids


async def drop_reminders(n: Notify, appointment_id: str, keep_from: str) -> None:
    """Cancel the reminders of an appointment that were planned by an earlier event."""
    known = await n.db[APPOINTMENTS].find_one({"_id": appointment_id})
    for reminder_id, planned_by in ((known or {}).get("reminders") or {}).items():
        if planned_by == keep_from:
            continue
        async with n.locks.hold(DELIVERIES, reminder_id):
            await n.db[DELIVERIES].update_one(
                {"_id": reminder_id, "status": "pending"},
                {"$set": {"status": "cancelled", "updated_at": datetime.now(UTC)}},
            )


async def record(n: Notify, docs: list[dict[str, Any]]) -> None:
    if not docs:
        return
    try:
        await n.db[DELIVERIES].insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        # Already there from an earlier delivery of the event: that is the point of the key.
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise


def delivery_handler(app: web.Application) -> Handler:
    async def on_event(event: Envelope) -> None:
        n = app[NOTIFY]
        now = datetime.now(UTC)
        admins, hooks = await org_audience(n, event)
        planned = plan(
            event,
            now,
            reminders_before=tuple(timedelta(minutes=m) for m in n.settings.reminders_min),
            org_admins=admins,
            webhooks=hooks,
        )
        if planned.drop_reminders_of:
            await drop_reminders(n, planned.drop_reminders_of, keep_from=event.id)
        docs = [delivery_doc(event, intent, now) for intent in planned.intents]
        reminders = {d["_id"]: event.id for d in docs if d["template"] == "reminder"}
        if reminders:
            appointment = next(d["appointment_id"] for d in docs if d["_id"] in reminders)
            await n.update(
                APPOINTMENTS,
                {"_id": appointment},
                {"$set": {f"reminders.{rid}": eid for rid, eid in reminders.items()}},
                upsert=True,
            )
        await record(n, docs)
        n.enqueue(d["_id"] for d in docs if d["due_at"] <= now)

    return on_event

"""What notify does with an event: plan its deliveries and record them, then send.

The deliveries are written before the event is acknowledged, each under its key (event id,
recipient, template): a redelivered event finds them there and adds nothing. What this
process inserted and is due now, it sends at once; reminders wait in the database for their
time, and the sweep finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from aiohttp import web
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from services.notify.domain.deliver import CONTACT
from services.notify.domain.plan import ORG_EVENTS, Intent, intent_id, plan
from services.notify.state import NOTIFY, Notify
from services.notify.store.documents import Delivery, Outcome, deliveries, outcomes, webhooks
from shared.bus import DUPLICATE_KEY, Handler
from shared.db import Doc
from shared.event_schemas import CaseDeadlineDue, ContractEvaluationDue, ReportDrafted
from shared.events import Envelope
from shared.rpc import ask


def delivery_doc(event: Envelope, intent: Intent, now: datetime) -> Delivery:
    return {
        "_id": intent_id(event.id, intent),
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
        "planned_here": intent.due_at <= now,  # sent by the process that planned it
        "attempts": 0,
        "due_at": intent.due_at,
        "created_at": now,
    }


async def org_confidants(n: Notify, event: Envelope) -> tuple[str, ...]:
    """The organisation's confidants (their ids), for a report drafted for them to finish."""
    if not isinstance(event.payload, ReportDrafted) or not event.org_id:
        return ()
    found = await ask(n.bus, CONTACT, n.token(), org_confidants=event.org_id)
    return tuple(sorted(str(c) for c in found.get("confidant_ids", [])))


async def office_audience(n: Notify, event: Envelope) -> tuple[str, ...]:
    """The firm's office (hashes of its admins' addresses): for an overdue first contact, a
    contract's evaluation day."""
    data = event.payload
    overdue = isinstance(data, CaseDeadlineDue) and data.overdue
    if not overdue and not isinstance(data, ContractEvaluationDue):
        return ()
    found = await ask(n.bus, CONTACT, n.token(), office=True)
    return tuple(sorted({n.recipient_hash(c["email"]) for c in found["contacts"]}))


async def org_audience(n: Notify, event: Envelope) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The organisation's admins (hashes of their addresses) and its webhooks for ``event``."""
    if event.type not in ORG_EVENTS or not event.org_id:
        return (), ()
    # Asked now, so the key names each admin; if intake is away the event comes back later.
    found = await ask(n.bus, CONTACT, n.token(), org_admins=event.org_id)
    admins = tuple(sorted({n.recipient_hash(c["email"]) for c in found["contacts"]}))
    hooks = webhooks(n.db).find({"org_id": event.org_id, "active": True}, {"events": 1})
    ids = tuple(sorted([h["_id"] async for h in hooks if event.type in h.get("events", [])]))
    return admins, ids


async def insert_new(collection: AsyncCollection[Doc], docs: Sequence[Doc]) -> list[str]:
    """Insert ``docs``; return the ids that were not there yet (a redelivered event's
    deliveries are, and are left alone: that is the point of the key)."""
    if not docs:
        return []
    try:
        await collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        there = {e["index"] for e in errors}
        return [d["_id"] for i, d in enumerate(docs) if i not in there]
    return [d["_id"] for d in docs]


def delivery_handler(app: web.Application) -> Handler:
    async def on_event(event: Envelope) -> None:
        n = app[NOTIFY]
        now = n.clock.now()
        admins, hooks = await org_audience(n, event)
        planned = plan(
            event,
            now,
            reminders_before=tuple(timedelta(minutes=m) for m in n.settings.reminders_min),
            org_admins=admins,
            webhooks=hooks,
            office=await office_audience(n, event),
            confidants=await org_confidants(n, event),
        )
        # Reminders of an earlier revision end as cancelled (one that was sent stays sent).
        cancelled: list[Outcome] = [
            {"_id": i, "status": "cancelled", "attempts": 0, "at": now} for i in planned.cancel
        ]
        await insert_new(outcomes(n.db), cancelled)
        docs = [delivery_doc(event, intent, now) for intent in planned.intents]
        new = set(await insert_new(deliveries(n.db), docs))
        n.enqueue_fresh(d for d in docs if d["_id"] in new and d["planned_here"])

    return on_event

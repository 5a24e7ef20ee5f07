"""What notify stores, as types, and how the API shows it.

A delivery is its intent (``Delivery``, written when the event comes in) and, once it has
ended, its outcome (``Outcome``, a second insert under the same ``_id``); ``merged`` is the
two as they stand. Recipients are ids and keyed hashes, never addresses
(``collections.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Required

from typing_extensions import TypedDict  # pydantic reads these (the answers are checked)

from services.notify.store.collections import DELIVERIES, OUTCOMES, SENDS, WEBHOOKS
from shared.crypto import Sealed
from shared.db import TypedCollection
from shared.wire import Json, jsonable


class Recipient(TypedDict):
    kind: Literal["reporter", "confidant", "org_admin", "office", "webhook"]
    ref: str  # case id, confidant id, hash of an admin's address, webhook id


class Delivery(TypedDict, total=False):
    _id: Required[str]  # (event id, recipient, template), or the reminder's series: see plan.py
    event_id: str
    event_type: str
    occurred_at: datetime
    org_id: str | None
    recipient: Recipient
    template: str
    variant: str
    name: str
    channel: Literal["email", "webhook"]
    appointment_id: str | None
    context: Json  # the event's data: ids, enumerations, times (the schemas)
    status: str  # pending, sending; then as its outcome once settled
    planned_here: bool
    attempts: int
    due_at: datetime
    lease_until: datetime
    created_at: datetime
    updated_at: datetime
    last_error: str
    sent_at: datetime  # from the outcome (merged)
    recipient_hash: str | None  # from the outcome (merged)


class Outcome(TypedDict, total=False):
    _id: Required[str]  # the delivery's
    status: str  # sent, failed, skipped, dead, cancelled
    attempts: int
    at: datetime
    org_id: str | None
    recipient_hash: str | None
    error: str


class Webhook(TypedDict, total=False):
    _id: Required[str]
    org_id: str
    url: str
    events: list[str]
    secret: Sealed
    active: bool
    created_at: datetime
    removed_at: datetime


class SendClaim(TypedDict):
    _id: str  # the delivery and the state it was taken from
    at: datetime


deliveries = TypedCollection(DELIVERIES, Delivery)
outcomes = TypedCollection(OUTCOMES, Outcome)
webhooks = TypedCollection(WEBHOOKS, Webhook)
send_claims = TypedCollection(SENDS, SendClaim)


def merged(doc: Delivery, outcome: Outcome | None) -> Delivery:
    """A delivery as it stands: its document, and its outcome if it has ended."""
    if outcome is None:
        return doc
    current: Delivery = {**doc, "status": outcome["status"], "attempts": outcome.get("attempts", 0)}
    if outcome["status"] == "sent":
        current["sent_at"] = outcome["at"]
        current["recipient_hash"] = outcome.get("recipient_hash")
    if outcome.get("error"):
        current["last_error"] = outcome["error"]
    return current


class DeliveryView(TypedDict):
    """One delivery in the log, as the office reads it: who and what, never an address."""

    id: str
    event_id: str
    event_type: str
    org_id: str | None
    channel: Literal["email", "webhook"]
    template: str
    recipient: str  # "<kind>:<ref>"
    recipient_hash: str | None
    status: str
    attempts: int
    due_at: str | None
    created_at: str | None
    sent_at: str | None
    last_error: str | None


class WebhookView(TypedDict):
    id: str
    org_id: str
    url: str
    events: list[str]
    created_at: str


class NewWebhook(WebhookView):
    secret: str  # shown once, when it is made


class Retried(TypedDict):
    id: str
    status: Literal["pending"]


def delivery_view(doc: Delivery) -> Json:
    recipient = doc["recipient"]
    view: Json = jsonable(
        {
            "id": doc["_id"],
            "event_id": doc["event_id"],
            "event_type": doc["event_type"],
            "org_id": doc.get("org_id"),
            "channel": doc["channel"],
            "template": doc["name"],
            "recipient": f"{recipient['kind']}:{recipient['ref']}",
            "recipient_hash": doc.get("recipient_hash"),
            "status": doc["status"],
            "attempts": doc.get("attempts", 0),
            "due_at": doc.get("due_at"),
            "created_at": doc.get("created_at"),
            "sent_at": doc.get("sent_at"),
            "last_error": doc.get("last_error"),
        }
    )
    return view


def webhook_view(doc: Webhook) -> Json:
    view: Json = jsonable(
        {
            "id": doc["_id"],
            "org_id": doc["org_id"],
            "url": doc["url"],
            "events": doc["events"],
            "created_at": doc["created_at"],
        }
    )
    return view

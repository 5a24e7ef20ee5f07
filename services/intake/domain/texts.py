"""Keeping what is written in a case: a note or a message, sealed, with its event (never
what it says), and a message queued for the relay into the reporter's own thread."""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from services.intake.domain.opening import message_event
from services.intake.state import Intake
from services.intake.store import documents as docs
from services.intake.store.collections import NOTES
from shared.events import Envelope
from shared.outbox import flush, staged


async def store_text(
    intake: Intake,
    collection: str,
    doc_id: str,
    case: docs.Case,
    author: str,
    text: str,
    event: Envelope,
    relay: docs.Relay | None = None,
) -> datetime:
    """Keep a note or message, sealed, and announce it (never what it says)."""
    now = intake.clock.now()
    doc: docs.Text = {
        "_id": doc_id,
        "case_id": case["_id"],
        "author": author,
        "created_at": now,
        "text": intake.cipher.seal(text, doc_id=doc_id, field="text"),
    }
    if relay is not None:
        doc["relay"] = relay
    texts = docs.notes(intake.db) if collection == NOTES else docs.messages(intake.db)
    await texts.insert_one({**doc, **staged(event)})
    await flush(texts, doc_id, [event], intake.bus, intake.locks)
    return now


async def relay_pending(intake: Intake, message_id: str, channel: str) -> docs.Relay:
    """Queue a message for the relay; returns its relay state. Queued *before* the message
    is stored: a crash in between leaves an entry without a message, which the relay drops,
    never a message that is not sent."""
    now = intake.clock.now()
    try:
        await docs.relay_queue(intake.db).insert_one(
            {"_id": message_id, "next_at": now, "queued": now}
        )
    except DuplicateKeyError:
        pass  # queued by an earlier try of the same message
    return {"channel": channel, "state": "pending", "attempts": 0, "next_at": now}


async def tell_reporter(
    intake: Intake, case: docs.Case, message_id: str, text: str, now: datetime
) -> None:
    """A message from the confidant's side in the reporter's own channel: relayed into the
    mail thread or WhatsApp chat of a case that came that way, else on the case's page
    (and mailed about, when the reporter left an address). ``message_id`` names it once:
    a second call with it finds it there and sends nothing."""
    relay = case.get("relay")
    event = message_event(case, now, message_id, "confidant", relay)
    message: docs.Text = {
        "_id": message_id,
        "case_id": case["_id"],
        "author": "confidant",
        "created_at": now,
        "text": intake.cipher.seal(text, doc_id=message_id, field="text"),
    }
    if relay:
        message["relay"] = await relay_pending(intake, message_id, relay)
    try:
        await docs.messages(intake.db).insert_one({**message, **staged(event)})
    except DuplicateKeyError:
        return
    await flush(docs.messages(intake.db), message_id, [event], intake.bus, intake.locks)
    if relay:
        intake.relay_wanted.set()

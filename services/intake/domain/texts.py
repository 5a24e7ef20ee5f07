"""Keeping what is written in a case: a note or a message, sealed, with its event (never
what it says), and a message queued for the relay into the reporter's own thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from services.intake.domain import vault as vaults
from services.intake.domain.opening import message_event
from services.intake.state import Intake
from services.intake.store import documents as docs
from services.intake.store.collections import NOTES
from shared.errors import Conflict
from shared.events import Envelope
from shared.outbox import flush, staged


@dataclass(frozen=True)
class Written:
    """What someone wrote: the text, or (a case with a vault) envelopes their browser
    sealed to the case and to the reporter."""

    text: str | None = None
    sealed: bytes | None = None
    reporter: bytes | None = None
    signed: bool = False  # the confidant's signature is in front of the sealed text


def keep(
    intake: Intake, case: docs.Case, doc: docs.Text, written: Written, *, for_reporter: bool
) -> docs.Text:
    """``doc`` with what was written: under the server's keys, or in a case with a vault
    sealed to it (text that arrived as text sealed here, and not kept)."""
    vault = case.get("vault")
    if vault is None:
        if written.text is None:
            raise Conflict("this case is not sealed to keys: send the text", code="no_vault")
        doc["text"] = intake.cipher.seal(written.text, doc_id=doc["_id"], field="text")
        return doc
    if written.text is not None:
        doc["vault"] = vaults.seal_text(vault, written.text, for_reporter=for_reporter)
        return doc
    assert written.sealed is not None
    doc["vault"] = {"sealed": written.sealed}
    if written.reporter is not None and for_reporter:
        doc["vault"]["reporter"] = written.reporter
    if written.signed:
        doc["vault"]["signed"] = True
    return doc


def keep_for_relay(intake: Intake, case: docs.Case, doc: docs.Text, text: str) -> docs.Text:
    """What the relay sends of a sealed case's message, under the server's keys until it is
    sent (the relay then drops it); nothing for a case without a vault, whose text it is."""
    if "vault" in case:
        doc["relay_text"] = intake.cipher.seal(text, doc_id=doc["_id"], field="relay_text")
    return doc


async def store_text(
    intake: Intake,
    collection: str,
    doc_id: str,
    case: docs.Case,
    author: str,
    written: Written,
    event: Envelope,
    relay: docs.Relay | None = None,
) -> datetime:
    """Keep a note or message, sealed, and announce it (never what it says)."""
    now = intake.clock.now()
    doc: docs.Text = {"_id": doc_id, "case_id": case["_id"], "author": author, "created_at": now}
    keep(intake, case, doc, written, for_reporter=collection != NOTES)
    if relay is not None:
        doc["relay"] = relay
        keep_for_relay(intake, case, doc, written.text or "")
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
    }
    keep(intake, case, message, Written(text), for_reporter=True)
    if relay:
        message["relay"] = await relay_pending(intake, message_id, relay)
        keep_for_relay(intake, case, message, text)
    try:
        await docs.messages(intake.db).insert_one({**message, **staged(event)})
    except DuplicateKeyError:
        return
    await flush(docs.messages(intake.db), message_id, [event], intake.bus, intake.locks)
    if relay:
        intake.relay_wanted.set()

"""Reports and replies that come in by e-mail or WhatsApp, stored once each.

Every incoming message is first *claimed*: a document whose ``_id`` is a keyed hash of the
message's own id (Message-ID, WhatsApp's ``wamid``) records what it becomes, a new case or
a message on an existing one. Whoever reads the message (another instance, the same one
after a crash, WhatsApp sending a webhook again) finds the claim and completes that same
result, so a message read twice is stored once, and one read but not stored is stored
on the next reading (the mailbox keeps it until then).

Addresses, numbers, names and texts are sealed like every contact detail; to recognise a
sender again intake keeps only keyed hashes (``channel_key``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from services.intake.domain import taxonomy
from services.intake.domain import vault as vaults
from services.intake.domain.codes import new_id
from services.intake.domain.opening import build_case, choose, message_event, store_case
from services.intake.domain.report import CaseCreate, Contact
from services.intake.domain.texts import Written, keep, keep_for_relay, relay_pending
from services.intake.state import Intake
from services.intake.store import documents as docs
from services.intake.store.collections import CASES
from shared.crypto import Sealed
from shared.outbox import flush, staged
from shared.text import Locale

log = logging.getLogger(__name__)
Channel = Literal["email", "whatsapp"]


@dataclass(frozen=True)
class Inbound:
    """One incoming message, whichever channel it came by."""

    channel: Channel
    external_id: str  # the Message-ID or the wamid: what makes a second reading the same
    sender: str  # the e-mail address or the phone number (WhatsApp's wa_id)
    name: str | None
    text: str
    locale: Locale
    refers_to: tuple[str, ...] = ()  # e-mail: the Message-IDs it answers, nearest first
    subject: str = ""
    dropped: tuple[str, ...] = ()  # attachments or media not kept


@dataclass(frozen=True)
class Receipt:
    case_id: str
    message_id: str | None  # None: the message opened the case
    opened: bool


def thread_key(intake: Intake, org_id: str, channel: Channel, ref: str) -> str:
    return intake.keyed(f"{channel}-thread", f"{org_id}|{ref}")


def sender_key(intake: Intake, org_id: str, channel: Channel, sender: str) -> str:
    return intake.keyed(f"{channel}-sender", f"{org_id}|{sender.lower()}")


async def receive(intake: Intake, org: docs.Organisation, inbound: Inbound) -> Receipt:
    """Store ``inbound`` as a new case or as the reporter's message on their open case;
    safe to call again for the same message (it then completes or repeats nothing)."""
    org_id = org["_id"]
    claim_id = intake.keyed(f"{inbound.channel}-in", f"{org_id}|{inbound.external_id}")
    # Decided, then claimed: a message read the first time (nearly always) costs one insert;
    # one read again finds the claim and completes what it says.
    case_id, opened = await _conversation(intake, org, inbound)
    claim: docs.ChannelClaim = {
        "_id": claim_id,
        "case_id": case_id,
        "message_id": None if opened else new_id(),
        "at": intake.clock.now(),
    }
    fresh = True
    try:
        await docs.channel_claims(intake.db).insert_one(claim)
    except DuplicateKeyError:
        fresh = False
        claim = await docs.channel_claims(intake.db).find_one({"_id": claim_id}) or claim
    message_id: str | None = claim["message_id"]
    receipt = Receipt(claim["case_id"], message_id, message_id is None)
    if message_id is None:
        await _open_case(intake, org, inbound, receipt.case_id, fresh)
    else:
        await _append(intake, org, inbound, receipt.case_id, message_id)
    if inbound.channel == "email":
        await remember(intake, org_id, "email", inbound.external_id, receipt.case_id)
    return receipt


async def remember(intake: Intake, org_id: str, channel: Channel, ref: str, case_id: str) -> None:
    """Tie a message id of the thread (theirs or ours) to the case, for replies to find."""
    try:
        await docs.threads(intake.db).insert_one(
            {
                "_id": thread_key(intake, org_id, channel, ref),
                "case_id": case_id,
                "at": intake.clock.now(),
            }
        )
    except DuplicateKeyError:
        pass


async def _conversation(
    intake: Intake, org: docs.Organisation, inbound: Inbound
) -> tuple[str, bool]:
    """The open case this message continues, or a new case id (and True)."""
    key = sender_key(intake, org["_id"], inbound.channel, inbound.sender)
    if inbound.channel == "email":
        # A reply continues a case only from the address that wrote it, never by subject.
        for ref in inbound.refers_to:
            found = await docs.threads(intake.db).find_one(
                {"_id": thread_key(intake, org["_id"], "email", ref)}
            )
            if found and await _is_open(intake, found["case_id"], key):
                return found["case_id"], False
        return new_id(), True
    # WhatsApp: one open case per number. The thread document is the claim of "the open
    # case of this number"; of two first messages at once, one makes the case.
    thread_id = thread_key(intake, org["_id"], "whatsapp", inbound.sender)
    found = await docs.threads(intake.db).find_one({"_id": thread_id})
    if found is not None:
        if await _is_open(intake, found["case_id"], key, missing_is_open=True):
            return found["case_id"], False
        await docs.threads(intake.db).delete_one({"_id": thread_id, "case_id": found["case_id"]})
    case_id = new_id()
    try:
        await docs.threads(intake.db).insert_one(
            {"_id": thread_id, "case_id": case_id, "at": intake.clock.now()}
        )
    except DuplicateKeyError:
        other = await docs.threads(intake.db).find_one({"_id": thread_id})
        if other is not None:
            return other["case_id"], False
    return case_id, True


async def _is_open(intake: Intake, case_id: str, key: str, missing_is_open: bool = False) -> bool:
    case = await docs.cases(intake.db).find_one(
        {"_id": case_id}, {"status": 1, "channel_key": 1, "purged_at": 1}
    )
    if case is None:
        # WhatsApp: the first message's case is being stored right now by its claimant.
        return missing_is_open
    return bool(
        case.get("channel_key") == key and case["status"] != "closed" and not case.get("purged_at")
    )


def _body(org: docs.Organisation, inbound: Inbound) -> CaseCreate:
    field = "email" if inbound.channel == "email" else "phone"
    fields: dict[str, Any] = {
        "organisation": org["slug"],
        "category": "anders",  # the confidant learns what it is about in the conversation
        "channel": inbound.channel,
        "anonymous": inbound.name is None,
        "text": _with_dropped(inbound) or None,
        "locale": inbound.locale,
    }
    try:
        contact = Contact.model_validate(
            {"name": inbound.name, field: inbound.sender, "preferred_channel": inbound.channel}
        )
        return CaseCreate.model_validate({**fields, "contact": contact.model_dump()})
    except ValidationError:
        # An address our form would refuse (or an overlong name): the case is kept all the
        # same, without a way back; the confidant sees that it came in and how.
        return CaseCreate.model_validate({**fields, "anonymous": True})


def _with_dropped(inbound: Inbound) -> str:
    if not inbound.dropped:
        return inbound.text
    note = taxonomy.not_kept(inbound.locale, inbound.dropped)
    return f"{inbound.text}\n\n{note}".strip()[:5000]


async def _open_case(
    intake: Intake, org: docs.Organisation, inbound: Inbound, case_id: str, fresh: bool = False
) -> None:
    """Store the case (unless a first reading did); ``fresh``: this reading claimed it."""
    stored = None if fresh else await docs.cases(intake.db).find_one({"_id": case_id})
    if stored is None:
        body = _body(org, inbound)
        confidant = await choose(intake, org, None)
        key = sender_key(intake, org["_id"], inbound.channel, inbound.sender)
        thread: docs.MailThread = {"subject": inbound.subject, "refs": [inbound.external_id]}
        case, events = await build_case(
            intake,
            org,
            body,
            case_id=case_id,
            code=None,  # the way back is the thread itself
            confidant=confidant,
            now=intake.clock.now(),
            extra={
                "channel_key": key,
                "relay": inbound.channel if body.contact else None,
                "mail_thread": seal_thread(intake, case_id, thread),
            },
            acknowledged=body.contact is not None,
        )
        if "vault" in case and inbound.subject:
            # Sealed: the subject joins the text, and answers are titled by the reference.
            text = f"{inbound.subject}\n\n{body.text or ''}".strip()
            case["vault"]["text"] = vaults.seal_text(case["vault"], text, for_reporter=False)
            case["mail_thread"] = seal_thread(intake, case_id, {"refs": thread["refs"]})
        stored = await store_case(intake, case, events)
    if stored.get("relay"):
        await _acknowledge(intake, stored)


async def _acknowledge(intake: Intake, case: docs.Case) -> None:
    """The automatic acknowledgement, as a message that intake relays into the thread."""
    relay = case.get("relay")
    if not relay:
        return  # no way back to the reporter: nothing to acknowledge in
    text = taxonomy.acknowledgement(case["locale"], case["reference"], case["channel"])
    message_id = f"ack-{case['_id']}"
    message: docs.Text = {
        "_id": message_id,
        "case_id": case["_id"],
        "author": "system",
        "created_at": intake.clock.now(),
        "relay": await relay_pending(intake, message_id, relay),
    }
    keep(intake, case, message, Written(text), for_reporter=False)
    keep_for_relay(intake, case, message, text)
    try:
        await docs.messages(intake.db).insert_one(message)
    except DuplicateKeyError:
        pass  # acknowledged already (this is a second reading of the first message)


async def _append(
    intake: Intake, org: docs.Organisation, inbound: Inbound, case_id: str, message_id: str
) -> None:
    fields = {"org_id": 1, "confidant_id": 1, "reference": 1, "vault": 1}
    case = await docs.cases(intake.db).find_one({"_id": case_id}, fields)
    if case is None:  # the first message's case is not stored yet: store it first
        await _open_case(intake, org, inbound, case_id)
        case = await docs.cases(intake.db).find_one({"_id": case_id}, fields)
        if case is None:
            raise RuntimeError("case not stored")
    event = message_event(case, intake.clock.now(), message_id, "reporter")
    message: docs.Text = {
        "_id": message_id,
        "case_id": case_id,
        "author": "reporter",
        "created_at": intake.clock.now(),
    }
    keep(intake, case, message, Written(_with_dropped(inbound) or "-"), for_reporter=False)
    try:
        await docs.messages(intake.db).insert_one({**message, **staged(event)})
    except DuplicateKeyError:
        return
    await flush(docs.messages(intake.db), message_id, [event], intake.bus, intake.locks)
    if inbound.channel == "email":
        case = await docs.cases(intake.db).find_one({"_id": case_id})
        thread = open_thread(intake, case) if case else {}
        refs = [*thread.get("refs", []), inbound.external_id][-20:]
        await intake.update(
            CASES,
            {"_id": case_id},
            {"$set": {"mail_thread": seal_thread(intake, case_id, {**thread, "refs": refs})}},
        )


def seal_thread(intake: Intake, case_id: str, thread: docs.MailThread) -> Sealed:
    """The subject and Message-IDs of a mail thread (for In-Reply-To when answering)."""
    return intake.cipher.seal(json.dumps(thread), doc_id=case_id, field="mail_thread")


def open_thread(intake: Intake, case: docs.Case) -> docs.MailThread:
    sealed = case.get("mail_thread")
    if not sealed:
        return {}
    found: docs.MailThread = json.loads(
        intake.cipher.open(sealed, doc_id=case["_id"], field="mail_thread")
    )
    return found

"""Replies into the reporter's own thread: an e-mail in the same thread, a WhatsApp message.

A message to relay carries ``relay: {channel, state, attempts, next_at}``. Sending it takes a
claim first, an insert whose ``_id`` is (message, attempt): of two instances, or of a retry
and a run still under way, only the claimant sends. A claim older than ``LEASE`` without a
result belongs to a sender that died; the attempt count is then raised, which opens a new
claim. Such a repeat after a crash carries the same Message-ID, which mail programs use to
drop the second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate
from typing import Literal

from aiohttp import web
from pymongo.errors import DuplicateKeyError

from services.intake.channels.incoming import open_thread, remember
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import CASES, MESSAGES, RELAY_QUEUE
from shared.db import Query
from shared.smtp import Permanent, Transient

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
BACKOFF = (5, 30, 120, 600, 1800, 3600)  # seconds after attempt 1, 2, ...
MAX_ATTEMPTS = 12


BATCH = 200
PARALLEL = 8  # sends under way at once (a few SMTP connections, the Cloud API)


async def relay_due(intake: Intake, now: datetime | None = None) -> tuple[int, int]:
    """Send what is due; return how many were due (up to ``BATCH``) and how many were sent."""
    now = now or intake.clock.now()
    due = await docs.relay_queue(intake.db).find({"next_at": {"$lte": now}}).to_list(BATCH)
    gate = intake.gate("relay", PARALLEL)

    async def one(queued: docs.Queued) -> bool:
        async with gate:
            message = await docs.messages(intake.db).find_one({"_id": queued["_id"]})
            if message is None or message.get("relay", {}).get("state") != "pending":
                # Sent meanwhile, or queued by a request that died before storing it (then
                # dropped after a while; a message still being stored is left alone).
                if message is not None or queued["queued"].replace(tzinfo=UTC) < now - LEASE:
                    await docs.relay_queue(intake.db).delete_one({"_id": queued["_id"]})
                return False
            return await deliver(intake, message, now)

    results = await asyncio.gather(*(one(q) for q in due))
    return len(due), sum(results)


@contextlib.asynccontextmanager
async def relay_loop(app: web.Application) -> AsyncIterator[None]:
    """Relay at once when asked (``relay_wanted``), and every ``relay_interval_s`` for the
    retries; a full batch is followed by the next one straight away."""
    intake = app[INTAKE]

    async def loop() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(intake.relay_wanted.wait(), intake.settings.relay_interval_s)
            intake.relay_wanted.clear()
            try:
                found, _ = await relay_due(intake)
            except Exception:
                log.exception("relay failed")
                continue
            if found == BATCH:
                intake.relay_wanted.set()

    task = asyncio.create_task(loop(), name="intake-relay")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def deliver(intake: Intake, message: docs.Text, now: datetime | None = None) -> bool:
    now = now or intake.clock.now()
    relay = message["relay"]
    attempt = relay["attempts"]
    claim_id = f"{message['_id']}#{attempt}"
    try:
        await docs.relay_claims(intake.db).insert_one({"_id": claim_id, "at": now})
    except DuplicateKeyError:
        claim = await docs.relay_claims(intake.db).find_one({"_id": claim_id})
        if claim is not None and claim["at"].replace(tzinfo=UTC) < now - LEASE:
            await intake.update(
                MESSAGES,
                {"_id": message["_id"], "relay.attempts": attempt, "relay.state": "pending"},
                {"$set": {"relay.attempts": attempt + 1, "relay.next_at": now}},
            )
        else:  # under way elsewhere: look again after the lease
            await intake.update(
                RELAY_QUEUE, {"_id": message["_id"]}, {"$set": {"next_at": now + LEASE}}
            )
        return False
    case = await docs.cases(intake.db).find_one({"_id": message["case_id"]})
    try:
        if case is None or case.get("purged_at"):
            raise Permanent("case gone")
        # A case with a vault keeps the text for the relay alone, until it is sent.
        field = "relay_text" if "relay_text" in message else "text"
        sealed = message.get("relay_text") or message.get("text")
        if sealed is None:
            raise Permanent("the text is gone")
        text = intake.cipher.open(sealed, doc_id=message["_id"], field=field)
        if relay["channel"] == "email":
            external_id = await send_mail(intake, case, message, text)
        else:
            external_id = await intake.whatsapp.send_text(
                await _phone_number_id(intake, case), _contact(intake, case, "phone"), text
            )
    except Permanent as exc:
        log.warning(
            "reply not deliverable", extra={"message_id": message["_id"], "error": str(exc)}
        )
        await _set(
            intake, message, {"relay.state": "failed", "relay.error": str(exc)[:200]}, done=True
        )
        await docs.relay_queue(intake.db).delete_one({"_id": message["_id"]})
        return False
    except Transient as exc:
        failed = attempt + 1 >= MAX_ATTEMPTS
        wait = BACKOFF[min(attempt, len(BACKOFF) - 1)]
        log.info("reply not sent yet", extra={"message_id": message["_id"], "error": str(exc)})
        await _set(
            intake,
            message,
            {
                "relay.state": "failed" if failed else "pending",
                "relay.attempts": attempt + 1,
                "relay.next_at": now + timedelta(seconds=wait),
                "relay.error": str(exc)[:200],
            },
            done=failed,
        )
        if failed:
            await docs.relay_queue(intake.db).delete_one({"_id": message["_id"]})
        else:
            await intake.update(
                RELAY_QUEUE,
                {"_id": message["_id"]},
                {"$set": {"next_at": now + timedelta(seconds=wait)}},
            )
        return False
    await _set(
        intake,
        message,
        {
            "relay.state": "sent",
            "relay.sent_at": intake.clock.now(),
            "relay.external_id": external_id,
        },
        done=True,
    )
    await docs.relay_queue(intake.db).delete_one({"_id": message["_id"]})
    if relay["channel"] == "whatsapp":  # its delivery statuses will name it
        with contextlib.suppress(DuplicateKeyError):
            await docs.relay_sent(intake.db).insert_one(
                {"_id": external_id, "message_id": message["_id"], "case_id": case["_id"]}
            )
    if message["author"] == "system" and (case.get("deadlines") or {}).get("acknowledgement"):
        # The automatic acknowledgement confirms receipt, as the Whistleblower Act asks.
        await intake.update(
            CASES,
            {"_id": case["_id"], "deadlines.acknowledgement.met_at": None},
            {"$set": {"deadlines.acknowledgement.met_at": intake.clock.now()}},
        )
    return True


async def _set(intake: Intake, message: docs.Text, sets: Query, done: bool = False) -> None:
    """Note how far the relay got; ``done``: it is over, and the relay's copy of a sealed
    case's text goes."""
    change: Query = {"$set": sets}
    if done and "relay_text" in message:
        change["$unset"] = {"relay_text": ""}
    await intake.update(MESSAGES, {"_id": message["_id"]}, change)


def _contact(intake: Intake, case: docs.Case, field: Literal["email", "phone"]) -> str:
    sealed = (case.get("contact") or {}).get(field)
    if not sealed:
        raise Permanent(f"no {field} to answer to")
    return intake.cipher.open(sealed, doc_id=case["_id"], field=f"contact.{field}")


async def _org(intake: Intake, case: docs.Case) -> docs.Organisation:
    org = await docs.organisations(intake.db).find_one({"_id": case["org_id"]})
    if org is None:
        raise Permanent("organisation gone")
    return org


async def _phone_number_id(intake: Intake, case: docs.Case) -> str:
    number = (await _org(intake, case)).get("whatsapp_phone_number_id")
    if not number:
        raise Transient("the organisation has no WhatsApp number (any more)")
    return str(number)


async def send_mail(intake: Intake, case: docs.Case, message: docs.Text, text: str) -> str:
    """Send ``text`` to the reporter in their thread; returns our Message-ID."""
    org = await _org(intake, case)
    mailbox = org.get("mailbox")
    if not mailbox:
        raise Transient("the organisation has no mailbox (any more)")
    address = mailbox["address"]
    to = _contact(intake, case, "email")
    thread = open_thread(intake, case)
    refs: list[str] = thread.get("refs", [])
    domain = address.rsplit("@", 1)[-1]
    message_id = f"<{message['_id']}.{case['_id']}@{domain}>"
    subject = thread.get("subject") or ""
    prefix = "Re: " if subject and not subject.lower().startswith("re:") else ""
    mail = MIMEText(text, "plain", "utf-8")
    mail["From"] = formataddr((intake.settings.mail_sender_name, address), charset="utf-8")
    mail["To"] = to
    mail["Subject"] = Header(f"{prefix}{subject} [{case['reference']}]".strip(), "utf-8").encode()
    mail["Message-ID"] = message_id
    mail["Date"] = formatdate(usegmt=True)
    mail["Content-Language"] = case.get("locale", "nl")
    mail["X-Loop"] = address
    if refs:
        mail["In-Reply-To"] = refs[-1]
        mail["References"] = " ".join(refs[-10:])
    if message["author"] == "system":
        mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: no auto-replies to this one
    # Known before sending: a reply that comes back at once still finds its case.
    await remember(intake, case["org_id"], "email", message_id, case["_id"])
    await intake.mailer.send(mail, [to])
    return message_id

"""Sending one delivery, once: look up the address, render, send, record the outcome.

The intent (the delivery document) was written before anything is sent, and the outcome is
a second insert under the same ``_id``, so a delivery can end only once. The process that
planned a delivery sends it at once; anything else (a reminder when its time comes, a retry,
a delivery whose planner died) is found by the sweep and claimed first, with a lease, so
that two instances never both take it.

If a process dies between the SMTP server's "250 accepted" and the insert of the outcome,
the delivery is sent again once its lease has run out, with the same Message-ID: that
window, a few milliseconds wide, is the only place a duplicate can come from
(``docs/operations.md``). Everywhere else a crash leaves a delivery without an outcome, and
it is sent exactly once later.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.notify.channels import invite, mail
from services.notify.channels import webhooks as hooks
from services.notify.channels.render import MailContext, clock, when
from services.notify.state import Notify
from services.notify.store.collections import DELIVERIES
from services.notify.store.documents import (
    Delivery,
    Outcome,
    deliveries,
    outcomes,
    send_claims,
    webhooks,
)
from shared.db import Query
from shared.replies import APPOINTMENT as APPOINTMENT_REPLY
from shared.replies import CONTACT as CONTACT_REPLY
from shared.replies import CONTACTS as CONTACTS_REPLY
from shared.replies import Appointment, Contact
from shared.rpc import RpcError, ask
from shared.text import Locale, locale_of

log = logging.getLogger(__name__)

CONTACT = "rpc.intake.contact"
APPOINTMENT = "rpc.booking.appointment"
SETTLE_PER_SWEEP = 20  # outcomes copied onto their deliveries per sweep (updates are dear)
SENDS_KEEP = timedelta(days=7)  # far beyond any lease: a claim that old decides nothing
SENDS_PRUNE_EVERY = timedelta(hours=1)
REPORTER_INVITES: dict[str, invite.Method] = {
    "appointment_booked": "REQUEST",
    "appointment_rescheduled": "REQUEST",
    "appointment_cancelled": "CANCEL",
}
# An appointment mail that no longer fits the appointment is not sent.
NEEDS_BOOKED = frozenset(
    {
        "appointment_booked",
        "appointment_rescheduled",
        "reminder",
        "confidant_appointment_booked",
        "confidant_appointment_moved",
    }
)


class Skip(Exception):
    """Nothing to send (no address, the appointment changed): not an error."""


async def take(n: Notify, before: Delivery, now: datetime) -> bool:
    """Claim the one send that ``before`` (the delivery as it was found) allows: an insert
    under a key of the delivery and the state it was found in (when due, its lease, its
    attempts). Whoever took it from the same state computes the same key, and a unique
    ``_id`` lets one through; a later state (a lease run out, a retry) makes a new key."""
    state = [before.get("due_at"), before.get("lease_until")]
    # In milliseconds: what the database keeps of a time (a planner's own copy has more).
    stamps = ":".join(
        s.astimezone(UTC).replace(microsecond=s.microsecond // 1000 * 1000).isoformat()
        if s
        else "-"
        for s in state
    )
    key = f"{before['_id']}:{stamps}:{before.get('attempts', 0)}"
    try:
        await send_claims(n.db).insert_one({"_id": key, "at": now})
    except DuplicateKeyError:
        return False
    return True


async def claim(n: Notify, delivery_id: str, now: datetime) -> Delivery | None:
    """Take a delivery the sweep found, unless it has ended or another process has it."""
    if await outcomes(n.db).find_one({"_id": delivery_id}, {"_id": 1}):
        return None
    sets: Query = {
        "status": "sending",
        "lease_until": now + timedelta(seconds=n.settings.lease_s),
        "updated_at": now,
    }
    async with n.locks.hold(DELIVERIES, delivery_id):
        before = await deliveries(n.db).find_one_and_update(
            {
                "_id": delivery_id,
                "due_at": {"$lte": now},
                "$or": [
                    {"status": "pending"},
                    {"status": "sending", "lease_until": {"$lt": now}},
                ],
            },
            {"$set": sets},
            return_document=ReturnDocument.BEFORE,
        )
    if before is None or not await take(n, before, now):
        return None
    taken: Delivery = {
        **before,
        "status": "sending",
        "lease_until": sets["lease_until"],
        "updated_at": now,
    }
    return taken


async def deliver(n: Notify, delivery_id: str, planned_here: bool) -> None:
    """Send ``delivery_id``: straight away if this process planned it just now (nobody else
    takes it before its lease has run out), else after claiming it."""
    now = n.clock.now()
    if planned_here:
        doc = n.fresh.get(delivery_id) or await deliveries(n.db).find_one({"_id": delivery_id})
        # Only as planned (pending): taken by a sweep meanwhile, it is the sweep's.
        if doc is None or doc.get("status") != "pending" or not await take(n, doc, now):
            return
    else:
        doc = await claim(n, delivery_id, now)
    if doc is None:
        return
    attempts = doc.get("attempts", 0) + 1
    try:
        if doc["channel"] == "webhook":
            sent_to = await send_webhook(n, doc)
        else:
            sent_to = await send_email(n, doc)
    except Skip as exc:
        await record_outcome(n, doc, "skipped", attempts, error=str(exc))
    except mail.Permanent as exc:
        await record_outcome(n, doc, "failed", attempts, error=str(exc))
    except (mail.Transient, RpcError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        if attempts >= n.settings.max_attempts:
            await record_outcome(n, doc, "dead", attempts, error=error)
            log.error("delivery dead", extra={"delivery_id": delivery_id, "error": error})
        else:
            backoff = n.settings.send_backoff_s
            delay = backoff[min(attempts, len(backoff)) - 1]
            async with n.locks.hold(DELIVERIES, delivery_id):
                await deliveries(n.db).update_one(
                    {"_id": delivery_id},
                    {
                        "$set": {
                            "status": "pending",
                            "planned_here": False,  # from now on the sweep's
                            "attempts": attempts,
                            "last_error": error,
                            "due_at": now + timedelta(seconds=delay),
                            "updated_at": n.clock.now(),
                        }
                    },
                )
    else:
        await record_outcome(n, doc, "sent", attempts, recipient_hash=sent_to)


async def record_outcome(
    n: Notify,
    doc: Delivery,
    status: str,
    attempts: int,
    *,
    error: str | None = None,
    recipient_hash: str | None = None,
) -> None:
    outcome: Outcome = {
        "_id": doc["_id"],
        "status": status,
        "attempts": attempts,
        "at": n.clock.now(),
        "org_id": doc.get("org_id"),
    }
    if error is not None:
        outcome["error"] = error
    if recipient_hash is not None:
        outcome["recipient_hash"] = recipient_hash
    try:
        await outcomes(n.db).insert_one(outcome)
    except DuplicateKeyError:
        # It had ended already (a cancel came in while it was being sent): the first stays.
        log.warning("second outcome ignored", extra={"delivery_id": doc["_id"], "status": status})
        return
    n.remember_ended(doc["_id"], status)


# -- e-mail ------------------------------------------------------------------------------------


async def _contacts(n: Notify, doc: Delivery) -> Contact:
    recipient = doc["recipient"]
    kind, ref = recipient["kind"], recipient["ref"]
    try:
        if kind == "reporter":
            reply = await ask(n.bus, CONTACT, n.token(), case_id=ref, channel="email")
        elif kind == "confidant":
            reply = await ask(n.bus, CONTACT, n.token(), confidant_id=ref)
        else:  # an organisation's admin, or the firm's office: one of a list, by hash
            asked = {"office": True} if kind == "office" else {"org_admins": doc["org_id"]}
            found = await ask(n.bus, CONTACT, n.token(), **asked)
            admins = CONTACTS_REPLY.validate_python(found["contacts"])
            match = [c for c in admins if n.recipient_hash(c.get("email", "")) == ref]
            if not match:
                raise Skip("no_contact")
            return match[0]
    except RpcError as exc:
        if exc.code == "no_contact":
            raise Skip("no_contact") from None
        raise
    return CONTACT_REPLY.validate_python(reply["contact"])


async def _appointment(n: Notify, appointment_id: str) -> Appointment:
    try:
        reply = await ask(n.bus, APPOINTMENT, n.token(), appointment_id=appointment_id)
    except RpcError as exc:
        if exc.code == "not_found":
            raise Skip("appointment_gone") from None
        raise
    return APPOINTMENT_REPLY.validate_python(reply["appointment"])


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _lead(minutes: int, locale: Locale) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        if locale == "nl":
            return f"over {hours} uur"
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    return f"over {minutes} minuten" if locale == "nl" else f"in {minutes} minutes"


async def context_for(
    n: Notify, doc: Delivery, locale: Locale, contact: Contact
) -> tuple[MailContext, Appointment | None]:
    """What the template is told (and the appointment, if the mail is about one)."""
    data = doc.get("context", {})
    base = n.settings.public_url(n.settings.intake_url).rstrip("/")
    case_id = data.get("case_id", "")
    ctx: MailContext = {
        "name": contact.get("name"),
        # The employee comes back with the case code on the case page, in the mail's language.
        "case_url": f"{base}/case" + ("?lang=en" if locale == "en" else ""),
        # The case's reference where the event names it (a new or handed-over case).
        "reference": data.get("reference")
        or (doc.get("appointment_id") or case_id or doc["event_id"])[:8],
        # The workspace opens the case after logging in (intake's /staff/cases/<id>).
        "link": f"{base}/staff/cases/{case_id}" if case_id else f"{base}/",
        "deadline": data.get("deadline"),
        "kind": data.get("kind"),
        "error": data.get("error"),
        "period_from": data.get("period_from"),
        "period_to": data.get("period_to"),
        "evaluate_on": data.get("evaluate_on"),
        "org_name": data.get("org_name"),
        "due": None,
    }
    if data.get("due_at"):
        ctx["due"] = when(datetime.fromisoformat(data["due_at"]), locale, n.zone)
    if doc["recipient"]["kind"] == "org_admin":
        ctx["link"] = f"{base}/staff"  # the log-in; an organisation's admin lands on the reports
    if doc["template"] == "report_drafted":
        ctx["link"] = f"{base}/reports"  # the confidant's work on reports
    if doc["template"] == "contract_evaluation":
        ctx["link"] = f"{base}/staff"  # the office's log-in
    if doc["recipient"]["kind"] == "confidant" and data.get("confidant_id") and not case_id:
        ctx["link"] = f"{base}/agenda"  # the workspace, on to the agenda after logging in
    appointment = None
    appointment_id = doc.get("appointment_id")
    if appointment_id:
        appointment = await _appointment(n, appointment_id)
        template = doc["template"]
        if template in NEEDS_BOOKED and appointment["status"] != "booked":
            raise Skip("appointment_cancelled")
        if template == "reminder" and _moment(appointment["start"]) != _moment(data["starts_at"]):
            raise Skip("appointment_moved")
        start = datetime.fromisoformat(appointment["start"])
        reference = appointment.get("reference")
        if reference:  # booking names the case once intake's event came
            ctx["reference"] = reference
        ctx["when"] = when(start, locale, n.zone)
        ctx["end_time"] = clock(datetime.fromisoformat(appointment["end"]), locale, n.zone)
        ctx["mode"] = appointment["mode"]
        ctx["video_url"] = appointment.get("video_url")
        ctx["address"] = appointment.get("address")
        ctx["lead"] = _lead(int(doc.get("variant") or 0), locale)
    return ctx, appointment


async def send_email(n: Notify, doc: Delivery) -> str:
    contact = await _contacts(n, doc)
    address = contact.get("email")
    if not address:
        raise Skip("no_contact")
    locale = locale_of(contact.get("locale"))
    context, appointment = await context_for(n, doc, locale, contact)
    rendered = n.templates.render(doc["template"], locale, context)
    attachment = None
    method = REPORTER_INVITES.get(doc["template"])
    if method and appointment is not None and doc["recipient"]["kind"] == "reporter":
        if method == "CANCEL":
            # A cancel must not be older than the last request the reporter saw.
            appointment = {**appointment, "sequence": int(appointment.get("sequence", 0)) + 1}
        data = invite.invitation(
            appointment,
            method,
            organizer=(n.settings.sender_name, n.settings.sender_address),
            attendee=address,
            locale=locale,
            now=n.clock.now(),
        )
        attachment = (data, method)
    domain = n.settings.sender_address.rpartition("@")[2] or "vertrouwd"
    msg = mail.message(
        message_id=f"<{doc['_id']}@{domain}>",
        sender=(n.settings.sender_name, n.settings.sender_address),
        to=address,
        rendered=rendered,
        locale=locale,
        invite=attachment,
    )
    await n.mailer.send(msg, [address])
    return n.recipient_hash(address)


# -- webhooks ----------------------------------------------------------------------------------


async def send_webhook(n: Notify, doc: Delivery) -> str:
    hook = await webhooks(n.db).find_one({"_id": doc["recipient"]["ref"], "active": True})
    if hook is None:
        raise Skip("webhook_removed")
    secret = n.cipher.open(hook["secret"], doc_id=hook["_id"], field="secret")
    body = json.dumps(
        {
            "id": doc["event_id"],
            "type": doc["event_type"],
            "occurred_at": doc["occurred_at"].isoformat(),
            "org_id": doc["org_id"],
            "data": doc.get("context", {}),
        },
        sort_keys=True,
    ).encode()
    await hooks.post(
        n.http,
        hook["url"],
        secret,
        body,
        doc["event_id"],
        limit_s=n.settings.webhook_timeout_s,
        allow_private=n.settings.webhook_allow_private,
        now=n.clock.now(),
    )
    return n.recipient_hash(hook["url"])


# -- finding work ------------------------------------------------------------------------------


async def recover(n: Notify) -> int:
    """Queue what is due and has not ended: reminders whose time came, retries, and what a
    process that died had planned or claimed (once its lease ran out). Copy a few outcomes
    onto their deliveries, so the next sweep has less to look at."""
    now = n.clock.now()
    lease = timedelta(seconds=n.settings.lease_s)
    found = deliveries(n.db).find(
        {"status": {"$in": ["pending", "sending"]}, "due_at": {"$lte": now}},
        {"status": 1, "due_at": 1, "lease_until": 1, "planned_here": 1},
    )
    candidates = []
    settled_here = []
    async for doc in found:
        if doc["_id"] in n.busy:
            continue
        if doc["_id"] in n.ended:
            settled_here.append(doc["_id"])
            continue
        if doc.get("planned_here") and doc["due_at"] > now - lease:
            continue  # its planner is sending it
        if doc["status"] == "sending" and doc.get("lease_until", now) >= now:
            continue  # claimed, lease running
        candidates.append(doc["_id"])
    ended = (
        {
            o["_id"]: o["status"]
            async for o in outcomes(n.db).find({"_id": {"$in": candidates}}, {"status": 1})
        }
        if candidates
        else {}
    )
    settle = [*ended.items(), *((i, n.ended[i]) for i in settled_here)]
    for delivery_id, status in settle[:SETTLE_PER_SWEEP]:
        async with n.locks.hold(DELIVERIES, delivery_id):
            await deliveries(n.db).update_one(
                {"_id": delivery_id}, {"$set": {"status": status, "updated_at": now}}
            )
    due = [c for c in candidates if c not in ended]
    n.enqueue(due)
    if n.sends_pruned_at is None or now - n.sends_pruned_at > SENDS_PRUNE_EVERY:
        await send_claims(n.db).delete_many({"at": {"$lt": now - SENDS_KEEP}})
        n.sends_pruned_at = now
    n.sweeps += 1
    return len(due)

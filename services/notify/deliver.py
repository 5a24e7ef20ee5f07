"""Sending one delivery, once: claim it, look up the address, render, send, record.

The intent (the delivery document) was written before anything is sent. A send claims it
(``pending`` → ``sending``, with a lease), and records the outcome after. If the process
dies between the SMTP server's "250 accepted" and our "sent", the lease runs out and the
mail is sent again, with the same Message-ID: that window, a few milliseconds wide, is the
only place a duplicate can come from (``docs/operations.md``). Everywhere else a crash
leaves a delivery pending, and it is sent exactly once later.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from shared.events import new_event
from shared.rpc import RpcError, ask

from . import invite, mail, webhooks
from .render import Locale, clock, locale_of, when
from .state import Notify
from .store import DELIVERIES, WEBHOOKS

log = logging.getLogger(__name__)

CONTACT = "rpc.intake.contact"
APPOINTMENT = "rpc.booking.appointment"
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


def _now() -> datetime:
    return datetime.now(UTC)


async def claim(n: Notify, delivery_id: str, now: datetime) -> dict[str, Any] | None:
    async with n.locks.hold(DELIVERIES, delivery_id):
        doc: dict[str, Any] | None = await n.db[DELIVERIES].find_one_and_update(
            {"_id": delivery_id, "status": "pending", "due_at": {"$lte": now}},
            {
                "$set": {
                    "status": "sending",
                    "lease_until": now + timedelta(seconds=n.settings.lease_s),
                    "updated_at": now,
                },
                "$inc": {"attempts": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
    return doc


async def deliver(n: Notify, delivery_id: str) -> None:
    now = _now()
    doc = await claim(n, delivery_id, now)
    if doc is None:
        return  # sent, cancelled, not due, or another worker has it
    try:
        if doc["channel"] == "webhook":
            sent_to = await send_webhook(n, doc)
        else:
            sent_to = await send_email(n, doc)
    except Skip as exc:
        await _finish(n, doc, {"status": "skipped", "last_error": str(exc)})
    except mail.Permanent as exc:
        await _finish(n, doc, {"status": "failed", "last_error": str(exc)})
    except (mail.Transient, RpcError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        if doc["attempts"] >= n.settings.max_attempts:
            await _finish(n, doc, {"status": "dead", "last_error": error})
            log.error("delivery dead", extra={"delivery_id": delivery_id, "error": error})
        else:
            backoff = n.settings.send_backoff_s
            delay = backoff[min(doc["attempts"], len(backoff)) - 1]
            await _finish(
                n,
                doc,
                {
                    "status": "pending",
                    "last_error": error,
                    "due_at": now + timedelta(seconds=delay),
                },
            )
    else:
        await _finish(
            n, doc, {"status": "sent", "sent_at": _now(), "recipient_hash": sent_to}, sent=True
        )


async def _finish(
    n: Notify, doc: dict[str, Any], fields: dict[str, Any], sent: bool = False
) -> None:
    """Record the outcome of a claimed delivery (and, once sent, say so on the bus)."""
    events = []
    if sent:
        events.append(
            new_event(
                "notify.delivery.sent",
                {"delivery_id": doc["_id"], "channel": doc["channel"], "template": doc["name"]},
                source="notify",
                org_id=doc.get("org_id"),
            )
        )
    await n.update_with_events(
        DELIVERIES,
        {"_id": doc["_id"], "status": "sending"},
        {"$set": {**fields, "updated_at": _now()}, "$unset": {"lease_until": ""}},
        events,
    )


# -- e-mail ------------------------------------------------------------------------------------


async def _contacts(n: Notify, doc: dict[str, Any]) -> dict[str, Any]:
    recipient = doc["recipient"]
    kind, ref = recipient["kind"], recipient["ref"]
    try:
        if kind == "reporter":
            reply = await ask(n.bus, CONTACT, n.token(), case_id=ref, channel="email")
        elif kind == "confidant":
            reply = await ask(n.bus, CONTACT, n.token(), confidant_id=ref)
        else:
            found = await ask(n.bus, CONTACT, n.token(), org_admins=doc["org_id"])
            match = [c for c in found["contacts"] if n.recipient_hash(c["email"]) == ref]
            if not match:
                raise Skip("no_contact")
            return dict(match[0])
    except RpcError as exc:
        if exc.code == "no_contact":
            raise Skip("no_contact") from None
        raise
    return dict(reply["contact"])


async def _appointment(n: Notify, appointment_id: str) -> dict[str, Any]:
    try:
        reply = await ask(n.bus, APPOINTMENT, n.token(), appointment_id=appointment_id)
    except RpcError as exc:
        if exc.code == "not_found":
            raise Skip("appointment_gone") from None
        raise
    return dict(reply["appointment"])


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
    n: Notify, doc: dict[str, Any], locale: Locale, contact: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What the template is told (and the appointment, if the mail is about one)."""
    data = doc.get("context", {})
    base = n.settings.suite_url.rstrip("/")
    case_id = data.get("case_id", "")
    ctx: dict[str, Any] = {
        "name": contact.get("name"),
        "suite_url": f"{base}/",
        "reference": (doc.get("appointment_id") or case_id or doc["event_id"])[:8],
        "link": f"{base}/confidant/cases/{case_id}" if case_id else f"{base}/",
        **{k: data.get(k) for k in ("deadline", "kind", "error", "period_from", "period_to")},
        "due": None,
    }
    if data.get("due_at"):
        ctx["due"] = when(datetime.fromisoformat(data["due_at"]), locale, n.zone)
    if doc["recipient"]["kind"] == "org_admin":
        ctx["link"] = f"{base}/org/{doc['org_id']}/reports"
    if doc["recipient"]["kind"] == "confidant" and data.get("confidant_id") and not case_id:
        ctx["link"] = f"{base}/confidant/calendar"
    appointment = None
    if doc.get("appointment_id"):
        appointment = await _appointment(n, doc["appointment_id"])
        template = doc["template"]
        if template in NEEDS_BOOKED and appointment["status"] != "booked":
            raise Skip("appointment_cancelled")
        if template == "reminder" and _moment(appointment["start"]) != _moment(data["starts_at"]):
            raise Skip("appointment_moved")
        start = datetime.fromisoformat(appointment["start"])
        ctx.update(
            when=when(start, locale, n.zone),
            end_time=clock(datetime.fromisoformat(appointment["end"]), locale, n.zone),
            mode=appointment["mode"],
            video_url=appointment.get("video_url"),
            address=appointment.get("address"),
            lead=_lead(int(doc.get("variant") or 0), locale),
        )
    return ctx, appointment


async def send_email(n: Notify, doc: dict[str, Any]) -> str:
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
    await mail.send(n.smtp, msg, [address])
    return n.recipient_hash(address)


# -- webhooks ----------------------------------------------------------------------------------


async def send_webhook(n: Notify, doc: dict[str, Any]) -> str:
    hook = await n.db[WEBHOOKS].find_one({"_id": doc["recipient"]["ref"], "active": True})
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
    await webhooks.post(
        n.http,
        hook["url"],
        secret,
        body,
        doc["event_id"],
        limit_s=n.settings.webhook_timeout_s,
        allow_private=n.settings.webhook_allow_private,
    )
    return n.recipient_hash(hook["url"])


# -- finding work ------------------------------------------------------------------------------


async def recover(n: Notify) -> int:
    """Queue what is due, and take up sends whose lease ran out (their process died)."""
    now = _now()
    stale = n.db[DELIVERIES].find({"status": "sending", "lease_until": {"$lt": now}}, {"_id": 1})
    async for doc in stale:
        async with n.locks.hold(DELIVERIES, doc["_id"]):
            await n.db[DELIVERIES].update_one(
                {"_id": doc["_id"], "status": "sending", "lease_until": {"$lt": now}},
                {"$set": {"status": "pending", "due_at": now, "recovered": True}},
            )
    due = n.db[DELIVERIES].find({"status": "pending", "due_at": {"$lte": now}}, {"_id": 1})
    ids = [doc["_id"] async for doc in due]
    n.enqueue(ids)
    return len(ids)

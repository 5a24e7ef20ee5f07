"""The channels an organisation is reached by: its mailbox, its WhatsApp number, and the
webhook WhatsApp calls.

The webhook has no token: WhatsApp proves itself with the app secret's signature over the
raw body. An unsigned or wrongly signed POST is a 401 and nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, Field
from pymongo.errors import PyMongoError

from services.intake.api import views
from services.intake.api.orgs import get_org
from services.intake.channels import incoming as channels
from services.intake.channels import whatsapp
from services.intake.domain.codes import new_id
from services.intake.domain.report import Email
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import MESSAGES, ORGANISATIONS, WEBHOOK_INBOX
from shared.db import Query, duplicate
from shared.errors import Conflict, NotFound
from shared.http import ApiError, Body, Endpoint, answers, read_body
from shared.wire import Json

log = logging.getLogger(__name__)


class Mailbox(Body):
    address: Email
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=500)


class ChannelSettings(Body):
    """A mailbox (null: no e-mail intake) and a WhatsApp number id (null: none). A channel
    the body does not name stays as it is: setting the WhatsApp number keeps the mailbox."""

    mailbox: Mailbox | None = None
    whatsapp_phone_number_id: str | None = Field(None, pattern=r"^[0-9]{5,30}$")


async def channels_view(intake: Intake, org: docs.Organisation) -> Json:
    mailbox = org.get("mailbox")
    state = await docs.mailbox_states(intake.db).find_one({"_id": org["_id"]})
    checked = state.get("checked_at") if state else None
    return {
        "mailbox": None
        if not mailbox
        else {
            "address": mailbox["address"],
            "username": mailbox["username"],
            "connected": bool(state and state.get("connected")),
            "error": state.get("error") if state else None,
            "checked_at": checked.isoformat() if checked else None,
        },
        "email_intake": bool(intake.settings.imap_host),
        "whatsapp_phone_number_id": org.get("whatsapp_phone_number_id"),
        "whatsapp_intake": intake.settings.whatsapp_on,
    }


@answers(views.ChannelsView)
async def read_channels(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    org = await get_org(intake, request.match_info["org_id"])
    return web.json_response(await channels_view(intake, org))


@answers(views.ChannelsView)
async def set_channels(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    org = await get_org(intake, request.match_info["org_id"])
    body = await read_body(request, ChannelSettings)
    sets: Query = {"updated_at": intake.clock.now()}
    unset: dict[str, str] = {}
    named = body.model_fields_set
    if "mailbox" not in named:
        pass
    elif body.mailbox is None:
        unset["mailbox"] = ""
    else:
        sets["mailbox"] = {
            "address": body.mailbox.address.lower(),
            "username": body.mailbox.username,
            "password": intake.cipher.seal(
                body.mailbox.password, doc_id=org["_id"], field="mailbox.password"
            ),
        }
    # Unset rather than null: the unique index on the number skips absent fields only.
    if "whatsapp_phone_number_id" not in named:
        pass
    elif body.whatsapp_phone_number_id is None:
        unset["whatsapp_phone_number_id"] = ""
    else:
        sets["whatsapp_phone_number_id"] = body.whatsapp_phone_number_id
    update: Query = {"$set": sets}
    if unset:
        update["$unset"] = unset
    try:
        await intake.update(ORGANISATIONS, {"_id": org["_id"]}, update)
    except PyMongoError as exc:
        if not duplicate(exc):
            raise
        raise Conflict(
            "this WhatsApp number belongs to another organisation",
            {"whatsapp_phone_number_id": "in use"},
        ) from None
    return web.json_response(await channels_view(intake, await get_org(intake, org["_id"])))


# -- the WhatsApp webhook --------------------------------------------------------------------


def _secret(intake: Intake, which: str) -> bytes:
    # Read at each request (two small files): a rotated secret needs no restart.
    path = getattr(intake.settings, f"whatsapp_{which}_file")
    if not intake.settings.whatsapp_on or path is None:
        raise NotFound("WhatsApp is not set up here")
    return bytes(path.read_bytes().strip())


async def verify_webhook(request: web.Request) -> web.Response:
    """The subscription handshake: echo ``hub.challenge`` when the verify token matches."""
    intake = request.app[INTAKE]
    expected = _secret(intake, "verify_token")
    q = request.query
    given = q.get("hub.verify_token", "").encode()
    if q.get("hub.mode") != "subscribe" or not hmac.compare_digest(given, expected):
        raise ApiError(403, "forbidden", "wrong verify token or mode")
    challenge = q.get("hub.challenge", "")
    if not challenge or len(challenge) > 200:
        raise ApiError(400, "bad_request", "hub.challenge missing")
    return web.Response(text=challenge, content_type="text/plain")


async def receive_webhook(request: web.Request) -> web.Response:
    """Check the signature and the shape, keep the webhook (sealed) and answer: WhatsApp
    waits for the answer, and sends again what is not answered 200 in time. Its messages
    are stored right after (``process``), or by the sweep after a crash."""
    intake = request.app[INTAKE]
    secret = _secret(intake, "app_secret")
    raw = await request.read()
    if not whatsapp.signature_ok(secret, raw, request.headers.get("X-Hub-Signature-256")):
        raise ApiError(401, "unauthorized", "missing or wrong X-Hub-Signature-256")
    try:
        messages, statuses = whatsapp.read(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_request", f"not a WhatsApp webhook: {exc}") from None
    if not messages and not statuses:
        return web.json_response({"accepted": 0})
    doc_id = new_id()
    body = intake.cipher.seal(raw.decode(), doc_id=doc_id, field="body")
    await intake.db[WEBHOOK_INBOX].insert_one(
        {"_id": doc_id, "at": intake.clock.now(), "body": body}
    )
    intake.background(process(intake, doc_id, (messages, statuses)))
    return web.json_response({"accepted": len(messages) + len(statuses)})


# Webhooks stored at once. A few: the database serves the webhooks' own inserts (what
# WhatsApp waits for) between them, instead of behind a pile of this work.
PARALLEL = 4


# A status may come before the relay has written down which message its id names (the
# Cloud API answers the send, and the status can overtake the relay's own write): such a
# webhook is kept and read again, a little later each time, before it is let go.
STATUS_RETRIES = (0.2, 0.5, 1.0, 2.0, 5.0)


async def process(
    intake: Intake,
    doc_id: str,
    read: tuple[list[whatsapp.Incoming], list[whatsapp.Status]] | None = None,
    attempt: int = 0,
) -> None:
    """Store what one kept webhook holds, then forget the webhook. Safe to run twice (two
    instances sweeping, a sweep and the first run): every message is claimed, and a status
    only ever moves a delivery further along."""
    async with intake.gate("webhooks", PARALLEL):
        if read is None:
            doc = await intake.db[WEBHOOK_INBOX].find_one({"_id": doc_id})
            if doc is None:
                return
            raw = intake.cipher.open(doc["body"], doc_id=doc_id, field="body")
            read = whatsapp.read(json.loads(raw))
        messages, statuses = read
        stored = 0
        if attempt == 0:  # (messages are claimed: stored once, on the first reading)
            for incoming in messages:
                stored += await _store(intake, incoming)
        unknown = [status for status in statuses if not await _record(intake, status)]
        if stored:
            intake.relay_wanted.set()
        if unknown and attempt < len(STATUS_RETRIES):
            intake.background(_again(intake, doc_id, ([], unknown), attempt + 1))
            return
        await intake.db[WEBHOOK_INBOX].delete_one({"_id": doc_id})


async def _again(
    intake: Intake,
    doc_id: str,
    read: tuple[list[whatsapp.Incoming], list[whatsapp.Status]],
    attempt: int,
) -> None:
    await asyncio.sleep(STATUS_RETRIES[attempt - 1])
    await process(intake, doc_id, read, attempt)


SWEEP_AFTER = timedelta(seconds=30)


async def sweep(intake: Intake) -> int:
    """Webhooks kept but not processed (their instance died): process them now."""
    before = intake.clock.now() - SWEEP_AFTER
    left = await intake.db[WEBHOOK_INBOX].find({"at": {"$lt": before}}, {"_id": 1}).to_list(500)
    for doc in left:
        try:
            await process(intake, doc["_id"])
        except Exception:
            log.exception("kept webhook not processed; the next sweep tries again")
    return len(left)


async def _store(intake: Intake, incoming: whatsapp.Incoming) -> int:
    org = await docs.organisations(intake.db).find_one(
        {"whatsapp_phone_number_id": incoming.phone_number_id}
    )
    if org is None:
        log.warning("whatsapp message for a number of no organisation")
        return 0
    if incoming.kind == "other":
        log.info("whatsapp message of a kind not kept", extra={"type": incoming.media_type})
        return 0
    dropped = (incoming.media_type,) if incoming.kind == "media" else ()
    await channels.receive(
        intake,
        org,
        channels.Inbound(
            channel="whatsapp",
            external_id=incoming.wamid,
            sender=incoming.sender,
            name=incoming.name,
            text=incoming.text,
            locale=org.get("locale", "nl"),
            dropped=dropped,
        ),
    )
    return 1


async def _record(intake: Intake, status: whatsapp.Status) -> bool:
    """A delivery status of a reply: kept when it is further along than the one known
    (they may arrive out of order). False when its message is not known (yet)."""
    rank = whatsapp.STATUS_RANK.get(status.status)
    if rank is None:
        return True  # not a status we keep: nothing to wait for
    sets: Query = {"relay.status": status.status, "relay.status_rank": rank}
    if status.error_code is not None:
        sets["relay.error"] = f"whatsapp code {status.error_code}"
    sent = await docs.relay_sent(intake.db).find_one({"_id": status.wamid})
    if sent is None:
        return False  # not one of ours (or its case was purged), or not written down yet
    await intake.update(
        MESSAGES,
        {
            "_id": sent["message_id"],
            "$or": [
                {"relay.status_rank": {"$exists": False}},
                {"relay.status_rank": {"$lt": rank}},
            ],
        },
        {"$set": sets},
    )
    return True


WEBHOOK = "/v1/channels/whatsapp/webhook"


class Handshake(BaseModel):
    """WhatsApp's subscription handshake, as Meta sends it."""

    mode: str = Field(alias="hub.mode", max_length=20)
    verify_token: str = Field(alias="hub.verify_token", max_length=200)
    challenge: str = Field(alias="hub.challenge", min_length=1, max_length=200)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/channels",
        read_channels,
        "The organisation's mailbox and WhatsApp number, and whether they work.",
        roles=["admin"],
    ),
    Endpoint(
        "PUT",
        "/v1/orgs/{org_id}/channels",
        set_channels,
        "Set the organisation's mailbox and WhatsApp number (null: off).",
        roles=["admin"],
        body=ChannelSettings,
    ),
    Endpoint(
        "GET",
        WEBHOOK,
        verify_webhook,
        "WhatsApp's subscription handshake (hub.mode, hub.verify_token, hub.challenge).",
        query=Handshake,
        media="text/plain",
    ),
    Endpoint(
        "POST",
        WEBHOOK,
        receive_webhook,
        "WhatsApp's webhook: messages and delivery statuses, signed (X-Hub-Signature-256).",
        response=views.Accepted,
    ),
]

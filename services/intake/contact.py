"""Contact details for the notify service, over NATS request/reply, at send time.

Personal data never travels on the event stream: when notify must reach a reporter it asks
here, with its service token, for one case and one channel, and gets only what that send
needs. Nobody else is answered.

Request (JSON): ``{"token": "<JWT: aud intake, role service, sub notify>",
"case_id": "...", "channel": "email" | "phone"}``.
Reply: ``{"ok": true, "contact": {"name", "email" or "phone", "locale"}}`` or
``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from nats.aio.msg import Msg

from shared.auth import AuthError
from shared.http import AUTH

from .state import INTAKE
from .store import CASES

log = logging.getLogger(__name__)
SUBJECT = "rpc.intake.contact"  # outside the stream's subjects: never stored
ALLOWED_SERVICES = frozenset({"notify"})


def answer_for(app: web.Application, request: dict[str, Any]) -> Any:
    """Check the request and build the reply (the look-up is done by the caller)."""
    auth = app[AUTH]
    try:
        who = auth.keys.verify(
            str(request.get("token", "")), audience=auth.audience, issuer=auth.issuer
        )
    except AuthError:
        return {"ok": False, "error": "unauthorized"}
    if who.role != "service" or who.sub not in ALLOWED_SERVICES:
        return {"ok": False, "error": "forbidden"}
    if request.get("channel") not in ("email", "phone") or not isinstance(
        request.get("case_id"), str
    ):
        return {"ok": False, "error": "bad_request"}
    return None


@contextlib.asynccontextmanager
async def contact_responder(app: web.Application) -> AsyncIterator[None]:
    intake = app[INTAKE]

    async def respond(msg: Msg) -> None:
        try:
            request = json.loads(msg.data)
            if not isinstance(request, dict):
                raise ValueError
        except ValueError:
            await msg.respond(json.dumps({"ok": False, "error": "bad_request"}).encode())
            return
        reply = answer_for(app, request) or await _lookup(app, request)
        await msg.respond(json.dumps(reply).encode())

    # A queue group: with several intake instances, one answers each request.
    sub = await intake.bus.nc.subscribe(intake.bus.subject(SUBJECT), queue="intake", cb=respond)
    yield
    with contextlib.suppress(Exception):
        await sub.unsubscribe()


async def _lookup(app: web.Application, request: dict[str, Any]) -> dict[str, Any]:
    intake = app[INTAKE]
    case = await intake.db[CASES].find_one({"_id": request["case_id"]}, {"contact": 1, "locale": 1})
    contact = (case or {}).get("contact")
    channel = request["channel"]
    if case is None or not contact or not contact.get(channel):
        return {"ok": False, "error": "no_contact"}
    cipher = intake.cipher
    found = {
        channel: cipher.open(contact[channel], doc_id=case["_id"], field=f"contact.{channel}"),
        "name": cipher.open_optional(contact.get("name"), doc_id=case["_id"], field="contact.name"),
        "locale": case.get("locale", "nl"),
    }
    log.info("contact looked up", extra={"case_id": case["_id"], "channel": channel})
    return {"ok": True, "contact": found}

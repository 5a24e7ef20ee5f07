"""Contact details for the notify service, over NATS request/reply, at send time.

Personal data never travels on the event stream: when notify must reach someone it asks
here, with its service token, and gets only what that one send needs. Nobody else is
answered (``shared.rpc`` checks the token).

Requests (JSON, besides ``token``), one of:

- ``{"case_id": "...", "channel": "email" | "phone"}``: the reporter of a case;
- ``{"confidant_id": "..."}``: a confidant's e-mail address;
- ``{"org_admins": "<org id>"}``: the e-mail addresses of an organisation's admins.

Replies: ``{"ok": true, "contact": {"name", "email" or "phone", "locale"}}``, for
``org_admins`` ``{"ok": true, "contacts": [...]}``, or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from shared.http import AUTH
from shared.rpc import responder

from .collections import CASES, STAFF
from .state import INTAKE, Intake

log = logging.getLogger(__name__)
SUBJECT = "rpc.intake.contact"
ALLOWED_SERVICES = frozenset({"notify"})


@contextlib.asynccontextmanager
async def contact_responder(app: web.Application) -> AsyncIterator[None]:
    intake = app[INTAKE]

    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        if isinstance(request.get("case_id"), str) and request.get("channel") in (
            "email",
            "phone",
        ):
            return await reporter(intake, request["case_id"], request["channel"])
        if isinstance(request.get("confidant_id"), str):
            return await confidant(intake, request["confidant_id"])
        if isinstance(request.get("org_admins"), str):
            return await org_admins(intake, request["org_admins"])
        return {"ok": False, "error": "bad_request"}

    async with responder(intake.bus, SUBJECT, app[AUTH], ALLOWED_SERVICES, answer):
        yield


async def reporter(intake: Intake, case_id: str, channel: str) -> dict[str, Any]:
    case = await intake.db[CASES].find_one({"_id": case_id}, {"contact": 1, "locale": 1})
    contact = (case or {}).get("contact")
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


def _staff_contact(intake: Intake, staff: dict[str, Any]) -> dict[str, Any]:
    return {
        "email": intake.cipher.open(staff["email"], doc_id=staff["_id"], field="email"),
        "name": staff.get("display_name"),
        "locale": staff.get("locale", "nl"),
    }


async def confidant(intake: Intake, confidant_id: str) -> dict[str, Any]:
    staff = await intake.db[STAFF].find_one(
        {"confidant_id": confidant_id, "role": "confidant", "active": True}
    )
    if staff is None or not staff.get("email"):
        return {"ok": False, "error": "no_contact"}
    return {"ok": True, "contact": _staff_contact(intake, staff)}


async def org_admins(intake: Intake, org_id: str) -> dict[str, Any]:
    found = intake.db[STAFF].find({"org_id": org_id, "role": "org_admin", "active": True})
    contacts = [_staff_contact(intake, s) async for s in found if s.get("email")]
    return {"ok": True, "contacts": contacts}

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

from aiohttp import web

from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from shared.crypto import Sealed
from shared.http import AUTH
from shared.replies import Contact
from shared.rpc import responder
from shared.wire import Json

log = logging.getLogger(__name__)
SUBJECT = "rpc.intake.contact"
ALLOWED_SERVICES = frozenset({"notify"})


@contextlib.asynccontextmanager
async def contact_responder(app: web.Application) -> AsyncIterator[None]:
    intake = app[INTAKE]

    async def answer(request: Json) -> Json:
        if isinstance(request.get("case_id"), str) and request.get("channel") in (
            "email",
            "phone",
        ):
            return await reporter(intake, request["case_id"], request["channel"])
        if isinstance(request.get("confidant_id"), str):
            return await confidant(intake, request["confidant_id"])
        if isinstance(request.get("org_admins"), str):
            return await org_admins(intake, request["org_admins"])
        if request.get("office") is True:
            return await office(intake)
        if isinstance(request.get("org_confidants"), str):
            org = await docs.organisations(intake.db).find_one({"_id": request["org_confidants"]})
            return {"ok": True, "confidant_ids": org.get("confidant_ids", []) if org else []}
        return {"ok": False, "error": "bad_request"}

    async with responder(intake.bus, SUBJECT, app[AUTH], ALLOWED_SERVICES, answer):
        yield


async def reporter(intake: Intake, case_id: str, channel: str) -> Json:
    case = await docs.cases(intake.db).find_one({"_id": case_id}, {"contact": 1, "locale": 1})
    contact = case.get("contact") if case else None
    if case is None or not contact or not contact.get(channel):
        return {"ok": False, "error": "no_contact"}
    cipher, case_id = intake.cipher, case["_id"]
    found: Contact = {
        "name": cipher.open_optional(contact.get("name"), doc_id=case_id, field="contact.name"),
        "locale": case.get("locale", "nl"),
    }
    email, phone = contact.get("email"), contact.get("phone")
    if channel == "email" and email:
        found["email"] = cipher.open(email, doc_id=case_id, field="contact.email")
    elif channel == "phone" and phone:
        found["phone"] = cipher.open(phone, doc_id=case_id, field="contact.phone")
    log.info("contact looked up", extra={"case_id": case["_id"], "channel": channel})
    return {"ok": True, "contact": found}


def _staff_contact(intake: Intake, staff: docs.Staff, email: Sealed) -> Contact:
    return {
        "email": intake.cipher.open(email, doc_id=staff["_id"], field="email"),
        "name": staff.get("display_name"),
        "locale": staff.get("locale", "nl"),
    }


async def confidant(intake: Intake, confidant_id: str) -> Json:
    staff = await docs.staff(intake.db).find_one(
        {"confidant_id": confidant_id, "role": "confidant", "active": True}
    )
    email = staff.get("email") if staff else None
    if staff is None or not email:
        return {"ok": False, "error": "no_contact"}
    return {"ok": True, "contact": _staff_contact(intake, staff, email)}


async def org_admins(intake: Intake, org_id: str) -> Json:
    found = docs.staff(intake.db).find({"org_id": org_id, "role": "org_admin", "active": True})
    contacts = [_staff_contact(intake, s, e) async for s in found if (e := s.get("email"))]
    return {"ok": True, "contacts": contacts}


async def office(intake: Intake) -> Json:
    """The firm's office: its admins with an address."""
    found = docs.staff(intake.db).find({"role": "admin", "active": True})
    contacts = [_staff_contact(intake, s, e) async for s in found if (e := s.get("email"))]
    return {"ok": True, "contacts": contacts}

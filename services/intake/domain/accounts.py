"""Staff accounts the office keeps: an account made without a password gets an invitation,
a one-time link with which its person sets one; a reset is a new invitation (the old
password stops working at once); an account can be switched off and on, and given another role.

The link's token is kept only as a keyed hash. It is used once: the first to set a password
with it deletes the invitation (a single-document delete; the second finds none), and it
expires after ``INVITE_DAYS``.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Literal

from services.intake.state import Intake
from services.intake.store import documents as docs
from services.intake.store.collections import INVITATIONS, STAFF
from shared.errors import Conflict, Invalid, NotFound

INVITE_DAYS = 7


async def invite(intake: Intake, staff_id: str) -> str:
    """A new one-time token for the account (any earlier password stops working)."""
    token = secrets.token_urlsafe(32)
    now = intake.clock.now()
    await docs.invitations(intake.db).insert_one(
        {
            "_id": intake.keyed("invite", token),
            "staff_id": staff_id,
            "expires_at": now + timedelta(days=INVITE_DAYS),
        }
    )
    await intake.update(STAFF, {"_id": staff_id}, {"$unset": {"password_hash": ""}})
    return token


async def welcome(intake: Intake, token: str, password: str) -> docs.Staff:
    """Set the account's password with its invitation, once; a 404 for a link that is
    unknown, used or expired (alike: the link says nothing of the account)."""
    key = intake.keyed("invite", token)
    found = await docs.invitations(intake.db).find_one({"_id": key})
    now = intake.clock.now()
    if found is None or found["expires_at"].replace(tzinfo=now.tzinfo) <= now:
        raise NotFound("this link is unknown, used or expired; ask the office for a new one")
    # The claim: of two uses at once, one deletes it and the other finds nothing.
    deleted = await intake.db[INVITATIONS].delete_one({"_id": key})
    if deleted.deleted_count != 1:
        raise NotFound("this link is unknown, used or expired; ask the office for a new one")
    password_hash = await asyncio.to_thread(intake.passwords.hash, password)
    await intake.update(
        STAFF, {"_id": found["staff_id"]}, {"$set": {"password_hash": password_hash}}
    )
    staff = await docs.staff(intake.db).find_one({"_id": found["staff_id"]})
    if staff is None:
        raise Conflict("the account is gone")
    return staff


async def set_active(intake: Intake, staff_id: str, active: bool) -> None:
    if not await intake.update(STAFF, {"_id": staff_id}, {"$set": {"active": active}}):
        raise NotFound("no such account")


async def set_role(
    intake: Intake,
    staff_id: str,
    role: Literal["admin", "confidant", "org_admin"],
    confidant_id: str | None,
    org_id: str | None,
    by: str,
) -> None:
    """Give an account another role, with what that role is scoped to (the confidant it is,
    the organisation it administers); the office cannot change its own. Tokens issued
    before keep their role until they expire (minutes): the next log-in has the new one."""
    if staff_id == by:
        raise Conflict("an account cannot change its own role")
    if (
        role == "org_admin"
        and await docs.organisations(intake.db).find_one({"_id": org_id}, {"_id": 1}) is None
    ):
        raise Invalid("no such organisation", {"org_id": "unknown"})
    changes = {
        "role": role,
        "confidant_id": confidant_id if role == "confidant" else None,
        "org_id": org_id if role == "org_admin" else None,
    }
    if not await intake.update(STAFF, {"_id": staff_id}, {"$set": changes}):
        raise NotFound("no such account")

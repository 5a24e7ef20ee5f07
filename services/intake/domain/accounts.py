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
from shared import envelope
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


# How a stored password hash was made: over the log-in secret (absent: over the password
# itself, as before; rehashed at the next log-in that brings the password).
LOGIN_SECRET = "login_secret"  # noqa: S105 (the name of a form, not a secret)


async def password_hash(intake: Intake, secret: str) -> str:
    """What is kept of a password: the server's own Argon2id over the log-in secret (hex)
    the browser derives from it (``shared.envelope.login_secret``); never the password."""
    return await asyncio.to_thread(intake.passwords.hash, secret)


async def secret_of(username: str, password: str | None, secret: str | None) -> str:
    """The log-in secret: as the browser sent it, or derived here from a password an API
    client sent (the browser never sends one)."""
    if secret is not None:
        return secret
    assert password is not None
    return await asyncio.to_thread(envelope.login_secret, username, password)


async def invitation(intake: Intake, token: str) -> docs.Staff:
    """The account an unused, unexpired invitation sets up (its page derives the secret
    from the user name); the same 404 as ``welcome`` otherwise."""
    found = await docs.invitations(intake.db).find_one({"_id": intake.keyed("invite", token)})
    now = intake.clock.now()
    if found is None or found["expires_at"].replace(tzinfo=now.tzinfo) <= now:
        raise NotFound("this link is unknown, used or expired; ask the office for a new one")
    staff = await docs.staff(intake.db).find_one({"_id": found["staff_id"]})
    if staff is None:
        raise NotFound("this link is unknown, used or expired; ask the office for a new one")
    return staff


async def welcome(
    intake: Intake, token: str, password: str | None, secret: str | None = None
) -> docs.Staff:
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
    staff = await docs.staff(intake.db).find_one({"_id": found["staff_id"]})
    if staff is None:
        raise Conflict("the account is gone")
    hashed = await password_hash(intake, await secret_of(staff["username"], password, secret))
    await intake.update(
        STAFF,
        {"_id": found["staff_id"]},
        {"$set": {"password_hash": hashed, "password_form": LOGIN_SECRET}},
    )
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

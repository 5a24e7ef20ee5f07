"""Organisations, staff accounts and the suite's one login."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiohttp import web
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError

from services.intake.api import views
from services.intake.api.models import (
    Active,
    Invitation,
    Login,
    OrgCreate,
    OrgUpdate,
    OrgView,
    RoleChange,
    StaffCreate,
    Welcome,
)
from services.intake.api.second_factor import Answer, login_challenge, second_factor
from services.intake.domain import accounts, taxonomy
from services.intake.domain.codes import new_id
from services.intake.domain.reseal import forget_holder
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import ORGANISATIONS, STAFF
from services.intake.store.throttle import slow_down, too_many
from shared.auth import Principal, authorize
from shared.db import Query
from shared.errors import Conflict, not_found
from shared.event_schemas import OrgUpdated
from shared.events import Envelope, new_event
from shared.http import ApiError, Endpoint, answers, client_address, principal, read_body, require
from shared.listing import PageQuery, find_page, list_of, listed, page_of
from shared.outbox import flush, staged
from shared.text import Locale, locale_of

STAFF_ROLES = ("admin", "confidant", "org_admin")
# A hash to verify against when the user does not exist, so that a wrong user name takes
# as long as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$dk2aheEccIwnL+sVFyavww$"
    "sdEpIc0Sjr3rKGjGteP8Ba/kbx4FpOGkD6gHg93HudQ"
)


def client_key(request: web.Request, intake: Intake) -> str:
    """Who is knocking, for rate limits: a keyed hash of the client's address, never the
    address itself. The throttle's counters are stored with the time of a first request, and
    a reporter's address beside the moment a case was opened would say who reported."""
    return intake.keyed("address", client_address(request, intake.settings.proxies))[:32]


async def get_org(intake: Intake, org_id: str) -> docs.Organisation:
    org = await docs.organisations(intake.db).find_one({"_id": org_id})
    if org is None:
        raise not_found("organisation")
    return org


# -- organisations -----------------------------------------------------------------------------


@answers(OrgView)
async def create_org(request: web.Request) -> web.Response:
    body = await read_body(request, OrgCreate)
    intake = request.app[INTAKE]
    now = intake.clock.now()
    doc = docs.ORGANISATION.validate_python(
        {"_id": new_id(), **body.model_dump(), "created_at": now, "updated_at": now}
    )
    event = org_event(doc["_id"], doc["name"], doc["departments"], now)
    try:
        await docs.organisations(intake.db).insert_one({**doc, **staged(event)})
    except DuplicateKeyError:
        raise Conflict(f"the slug {doc['slug']!r} is taken", {"slug": "already in use"}) from None
    await flush(docs.organisations(intake.db), doc["_id"], [event], intake.bus, intake.locks)
    return web.json_response(docs.org_view(doc), status=201)


def org_event(
    org_id: str, name: str | None, departments: list[str] | None, at: datetime
) -> Envelope:
    """What reporting names the organisation and its departments by (only what changed)."""
    return new_event(
        OrgUpdated,
        {"org_id": org_id, "org_name": name, "departments": departments},
        source="intake",
        org_id=org_id,
        occurred_at=at,
    )


@answers(list_of(OrgView))
async def list_orgs(request: web.Request) -> web.Response:
    who = require(request)
    query: Query = {} if who.role == "admin" else {"_id": {"$in": sorted(who.orgs)}}
    page = page_of(request)
    orgs, following = await find_page(
        docs.organisations(request.app[INTAKE].db), query, page, "name"
    )
    return listed(orgs, following, docs.org_view)


@answers(OrgView)
async def read_org(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    return web.json_response(docs.org_view(await get_org(request.app[INTAKE], org_id)))


@answers(OrgView)
async def update_org(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    body = await read_body(request, OrgUpdate)
    changes = body.model_dump(exclude_none=True)
    intake = request.app[INTAKE]
    if changes:
        before = await get_org(intake, org_id)  # (a 404 for an organisation that is not there)
        named = {"name", "departments"} & changes.keys()
        now = intake.clock.now()
        events = (
            [org_event(org_id, changes.get("name"), changes.get("departments"), now)]
            if named
            else []
        )
        changes["updated_at"] = now
        if not await intake.update_with_events(
            ORGANISATIONS, {"_id": org_id}, {"$set": changes}, events
        ):
            raise not_found("organisation")
        # A confidant who no longer serves it keeps no key of its cases that are not theirs.
        if "confidant_ids" in changes:
            for gone in set(before.get("confidant_ids", [])) - set(changes["confidant_ids"]):
                await forget_holder(intake, gone, org_id)
    return web.json_response(docs.org_view(await get_org(intake, org_id)))


@answers(views.PublicOrg)
async def public_org(request: web.Request) -> web.Response:
    """What an intake page (the flyer link or QR code) needs, and nothing else."""
    intake = request.app[INTAKE]
    org = await docs.organisations(intake.db).find_one({"slug": request.match_info["slug"]})
    if org is None:
        raise not_found("organisation")
    locale = locale_of(request.query.get("lang"), org.get("locale"))
    ids = org.get("confidant_ids", [])
    profiles = {
        s["confidant_id"]: s
        async for s in docs.staff(intake.db).find(
            {"role": "confidant", "confidant_id": {"$in": ids}, "active": True}
        )
    }
    confidants = [
        {"id": cid, "display_name": profiles[cid]["display_name"], "bio": profiles[cid].get("bio")}
        for cid in ids
        if cid in profiles
    ]
    return web.json_response(
        {
            "name": org["name"],
            "slug": org["slug"],
            "locale": locale,
            "departments": org.get("departments", []),
            "confidants": confidants,
            **taxonomy.catalogue(locale),
        }
    )


# -- staff and login ---------------------------------------------------------------------------


@answers(views.StaffMade)
async def create_staff(request: web.Request) -> web.Response:
    body = await read_body(request, StaffCreate)
    intake = request.app[INTAKE]
    if body.org_id is not None:
        await get_org(intake, body.org_id)
    staff_id = new_id()
    doc: docs.Staff = {
        "_id": staff_id,
        "username": body.username.lower(),
        "role": body.role,
        "display_name": body.display_name,
        "confidant_id": body.confidant_id,
        "org_id": body.org_id,
        "bio": body.bio,
        "email": intake.cipher.seal_optional(body.email, doc_id=staff_id, field="email"),
        "locale": body.locale,
        "active": True,
        "created_at": intake.clock.now(),
    }
    if body.password is not None:
        secret = await accounts.secret_of(doc["username"], body.password, None)
        doc["password_hash"] = await accounts.password_hash(intake, secret)
        doc["password_form"] = accounts.LOGIN_SECRET
    try:
        await docs.staff(intake.db).insert_one(doc)
    except DuplicateKeyError:
        raise Conflict("that user name is taken", {"username": "already in use"}) from None
    made: views.StaffMade = {"id": doc["_id"], "username": doc["username"], "role": doc["role"]}
    if body.password is None:
        made["invite_url"] = invite_url(request, await accounts.invite(intake, staff_id))
    return web.json_response(made, status=201)


def invite_url(request: web.Request, token: str) -> str:
    """Where the person sets their password: intake's welcome page, the token in the
    fragment (never sent to a server by the browser, nor in a referrer)."""
    base = request.app[INTAKE].settings.suite_url or f"{request.scheme}://{request.host}/"
    return f"{base.rstrip('/')}/staff/welcome#{token}"


@answers(list_of(views.StaffItem))
async def list_staff(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    page = page_of(request)
    found, following = await find_page(docs.staff(intake.db), {}, page, "username")
    return listed(found, following, staff_item)


def staff_item(doc: docs.Staff) -> views.StaffItem:
    return {
        "id": doc["_id"],
        "username": doc["username"],
        "role": doc["role"],
        "display_name": doc.get("display_name", ""),
        "confidant_id": doc.get("confidant_id"),
        "org_id": doc.get("org_id"),
        "active": bool(doc.get("active")),
        "password_set": bool(doc.get("password_hash")),
    }


@answers(views.StaffMade)
async def reinvite_staff(request: web.Request) -> web.Response:
    """A reset: a new one-time link; the old password stops working at once."""
    intake = request.app[INTAKE]
    doc = await docs.staff(intake.db).find_one({"_id": request.match_info["staff_id"]})
    if doc is None:
        raise not_found("account")
    token = await accounts.invite(intake, doc["_id"])
    made: views.StaffMade = {"id": doc["_id"], "username": doc["username"], "role": doc["role"]}
    made["invite_url"] = invite_url(request, token)
    return web.json_response(made)


@answers(views.StaffItem)
async def activate_staff(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    body = await read_body(request, Active)
    await accounts.set_active(intake, request.match_info["staff_id"], body.active)
    doc = await docs.staff(intake.db).find_one({"_id": request.match_info["staff_id"]})
    if doc is None:
        raise not_found("account")
    confidant = doc.get("confidant_id")
    if not body.active and confidant:  # gone: no key of cases not theirs
        await forget_holder(intake, confidant)
    return web.json_response(staff_item(doc))


@answers(views.StaffItem)
async def change_role(request: web.Request) -> web.Response:
    who = require(request, ["admin"])
    intake = request.app[INTAKE]
    body = await read_body(request, RoleChange)
    staff_id = request.match_info["staff_id"]
    await accounts.set_role(intake, staff_id, body.role, body.confidant_id, body.org_id, who.sub)
    doc = await docs.staff(intake.db).find_one({"_id": staff_id})
    if doc is None:
        raise not_found("account")
    return web.json_response(staff_item(doc))


@answers(views.StaffItem)
async def welcome_staff(request: web.Request) -> web.Response:
    body = await read_body(request, Welcome)
    doc = await accounts.welcome(request.app[INTAKE], body.token, body.password, body.login_secret)
    return web.json_response(staff_item(doc))


@answers(views.InvitedAccount)
async def invited_account(request: web.Request) -> web.Response:
    """Whose link this is (its user name): the page derives the log-in secret from it."""
    body = await read_body(request, Invitation)
    staff = await accounts.invitation(request.app[INTAKE], body.token)
    return web.json_response({"username": staff["username"]})


@answers(views.Token)
async def login(request: web.Request) -> web.Response:
    """The one place in the suite that issues staff tokens."""
    intake = request.app[INTAKE]
    settings = intake.settings
    body = await read_body(request, Login)
    username = body.username.lower()
    address = client_key(request, intake)
    # Many tries from one address, whatever the account: that address waits.
    await intake.throttle.limit(
        f"login-ip:{address}", settings.login_max_failures * 10, settings.lockout_s
    )
    locked = await intake.throttle.locked_for(f"login:{username}")
    if locked:
        raise too_many(locked)

    staff = await docs.staff(intake.db).find_one({"username": username, "active": True})
    if _hashed_over_password(staff) and body.password is None:
        # Set before log-in secrets: this once the page must send the password itself.
        raise ApiError(401, "password_needed", "send the password itself this once")
    if not await _password_ok(intake, staff, username, body.password, body.login_secret):
        failures = await intake.throttle.hit(f"login-fail:{username}", settings.lockout_s)
        if failures >= settings.login_max_failures:
            await intake.throttle.lock(f"login:{username}", settings.lockout_s)
        await slow_down(settings.failure_delay_s, failures)
        raise ApiError(401, "unauthorized", "wrong user name or password")
    if staff is None:  # (a password only checks out for an account that exists)
        raise ApiError(401, "unauthorized", "wrong user name or password")
    await intake.throttle.unlock(f"login:{username}")
    ceremony = await login_challenge(request, intake, staff, list(body.audience))
    if ceremony is not None:  # the password was right; the security key is asked next
        return web.json_response({"second_factor": ceremony})
    return await token_answer(intake, staff, list(body.audience))


async def token_answer(intake: Intake, staff: docs.Staff, audience: list[str]) -> web.Response:
    token = await _staff_token(intake, staff, audience)
    return web.json_response(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": intake.settings.staff_token_ttl_s,
            "role": staff["role"],
        }
    )


@answers(views.Token)
async def login_with_key(request: web.Request) -> web.Response:
    """The log-in's second step: the security key's answer to the challenge."""
    intake = request.app[INTAKE]
    address = client_key(request, intake)
    await intake.throttle.limit(
        f"login-ip:{address}", intake.settings.login_max_failures * 10, intake.settings.lockout_s
    )
    staff, audience = await second_factor(request)
    return await token_answer(intake, staff, audience)


def _hashed_over_password(staff: docs.Staff | None) -> bool:
    return staff is not None and "password_hash" in staff and not staff.get("password_form")


async def _password_ok(
    intake: Intake,
    staff: docs.Staff | None,
    username: str,
    password: str | None,
    secret: str | None,
) -> bool:
    """Whether the log-in secret (sent, or derived from the password an API client sent)
    opens the account. An account whose hash is over the password itself (set before log-in
    secrets) opens only with the password, and is then hashed over its secret."""
    # (an account invited but not yet set up has no password: nothing opens it)
    stored = (staff.get("password_hash") if staff else None) or _DUMMY_HASH
    legacy = _hashed_over_password(staff)
    candidate = password if legacy else await accounts.secret_of(username, password, secret)
    assert candidate is not None
    try:
        await asyncio.to_thread(intake.passwords.verify, stored, candidate)
    except (VerificationError, InvalidHashError):
        return False
    if staff is None:
        return False
    if legacy or intake.passwords.check_needs_rehash(stored):
        # (the secret checked above, or, from over the password itself, derived once here)
        secret = await accounts.secret_of(username, password, secret) if legacy else candidate
        new_hash = await accounts.password_hash(intake, secret)
        await intake.update(
            STAFF,
            {"_id": staff["_id"]},
            {"$set": {"password_hash": new_hash, "password_form": accounts.LOGIN_SECRET}},
        )
    return True


async def _staff_token(intake: Intake, staff: docs.Staff, audience: list[str]) -> str:
    ttl = intake.settings.staff_token_ttl_s
    if staff["role"] == "confidant":
        orgs = [
            o["_id"]
            async for o in docs.organisations(intake.db).find(
                {"confidant_ids": staff["confidant_id"]}, {"_id": 1}
            )
        ]
        # A confidant is known suite-wide by booking's id for them (their record names it).
        confidant_id = str(staff["confidant_id"])
        return intake.issuer.issue(
            sub=confidant_id, role="confidant", audience=audience, ttl_s=ttl, orgs=orgs
        )
    if staff["role"] == "org_admin":
        return intake.issuer.issue(
            sub=staff["_id"], role="org_admin", audience=audience, ttl_s=ttl, org_id=staff["org_id"]
        )
    return intake.issuer.issue(sub=staff["_id"], role="admin", audience=audience, ttl_s=ttl)


def optional_staff(request: web.Request) -> Principal | None:
    """The staff member calling, if the request carries a token; employees get 403."""
    if "Authorization" not in request.headers:
        return None
    who = principal(request)
    authorize(who, ["admin", "confidant"])
    return who


class PublicQuery(BaseModel):
    lang: Locale | None = None  # else the organisation's own


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/orgs",
        create_org,
        "Create an organisation.",
        roles=["admin"],
        body=OrgCreate,
        status=201,
    ),
    Endpoint(
        "GET",
        "/v1/orgs",
        list_orgs,
        "The organisations the caller reaches.",
        query=PageQuery,
        roles=["admin", "confidant", "org_admin"],
        scope="mine",
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}",
        read_org,
        "One organisation.",
        roles=["admin", "confidant", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "PATCH",
        "/v1/orgs/{org_id}",
        update_org,
        "Change an organisation.",
        roles=["admin"],
        body=OrgUpdate,
    ),
    Endpoint(
        "GET",
        "/v1/public/orgs/{slug}",
        public_org,
        "What an intake page needs: name, confidants' public profiles, the choices.",
        query=PublicQuery,
    ),
    Endpoint(
        "POST",
        "/v1/staff",
        create_staff,
        "Create a staff account (without a password: the answer holds a one-time link).",
        roles=["admin"],
        body=StaffCreate,
        status=201,
    ),
    Endpoint(
        "GET",
        "/v1/staff",
        list_staff,
        "The accounts (no addresses, no passwords).",
        query=PageQuery,
        roles=["admin"],
    ),
    Endpoint(
        "POST",
        "/v1/staff/{staff_id}/invite",
        reinvite_staff,
        "Reset: a new one-time link to set a password; the old one stops working.",
        roles=["admin"],
    ),
    Endpoint(
        "PUT",
        "/v1/staff/{staff_id}/active",
        activate_staff,
        "Switch an account off or on.",
        roles=["admin"],
        body=Active,
    ),
    Endpoint(
        "PUT",
        "/v1/staff/{staff_id}/role",
        change_role,
        "Give an account another role (and its confidant or organisation).",
        roles=["admin"],
        body=RoleChange,
    ),
    Endpoint(
        "POST",
        "/v1/staff/welcome/account",
        invited_account,
        "The user name a one-time link sets a password for.",
        body=Invitation,
    ),
    Endpoint(
        "POST",
        "/v1/staff/welcome",
        welcome_staff,
        "Set one's password with the office's one-time link (the token from the link).",
        body=Welcome,
    ),
    Endpoint(
        "POST",
        "/v1/auth/token",
        login,
        "Log in: a token for the suite's services (or, with a security key, its challenge).",
        body=Login,
    ),
    Endpoint(
        "POST",
        "/v1/auth/webauthn",
        login_with_key,
        "Log in, second step: the security key's answer; a token.",
        body=Answer,
    ),
]

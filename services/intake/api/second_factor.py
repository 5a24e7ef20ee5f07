"""A security key as staff's second factor (WebAuthn, with Duo's py_webauthn): a weak or
stolen password alone then opens no workspace, and so no key to the cases (issue 26).

Someone logged in adds a key (``/v1/me/webauthn``). From then on their log-in with the
password answers a challenge instead of a token; the browser signs it with the key and
``/v1/auth/webauthn`` gives the token. Each challenge is used once (claimed by deleting
it), within ``CHALLENGE_TTL``. The relying party is the address the page was served from
(its ``Host``; the browser puts the page's own origin in what it signs, which is checked
against it), or ``INTAKE_WEBAUTHN_ORIGIN`` when set.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import Field
from pymongo.errors import DuplicateKeyError
from typing_extensions import TypedDict
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import STAFF_CREDENTIALS, WEBAUTHN_CHALLENGES
from shared.errors import Conflict
from shared.http import ApiError, Endpoint, answers, read_body, require
from shared.listing import list_of
from shared.wire import Body

CHALLENGE_TTL = timedelta(minutes=5)
WEBAUTHN_ERRORS = (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    ValueError,
    KeyError,
)


class Ceremony(TypedDict):
    """What the browser hands to navigator.credentials (the options, as JSON) and sends
    back with its answer (the challenge's id)."""

    challenge_id: str
    options: dict[str, Any]


class Answer(Body):
    challenge_id: str = Field(min_length=16, max_length=64)
    credential: dict[str, Any]  # PublicKeyCredential.toJSON() of the browser


class KeyView(TypedDict):
    id: str
    created_at: str


def relying_party(request: web.Request, intake: Intake) -> tuple[str, str]:
    """(rp id, origin): the setting's, or the page's own address."""
    origin = intake.settings.webauthn_origin or f"{request.scheme}://{request.host}"
    return urlsplit(origin).hostname or "localhost", origin


def owner_of(staff: docs.Staff) -> str:
    """Who a key belongs to, as their tokens name them (a confidant by their confidant id)."""
    if staff["role"] == "confidant" and staff.get("confidant_id"):
        return str(staff["confidant_id"])
    return staff["_id"]


async def keys_of(intake: Intake, owner: str) -> list[dict[str, Any]]:
    return await intake.db[STAFF_CREDENTIALS].find({"owner": owner}).to_list(50)


async def new_challenge(
    intake: Intake, kind: Literal["register", "login"], owner: str, challenge: bytes, **extra: Any
) -> str:
    challenge_id = secrets.token_urlsafe(24)
    await intake.db[WEBAUTHN_CHALLENGES].insert_one(
        {
            "_id": challenge_id,
            "kind": kind,
            "owner": owner,
            "challenge": challenge,
            "at": intake.clock.now(),
            **extra,
        }
    )
    return challenge_id


async def claim(intake: Intake, challenge_id: str, kind: str) -> dict[str, Any]:
    """The challenge, used up: whoever deletes it uses it; one too old or unknown is a 401."""
    found = await intake.db[WEBAUTHN_CHALLENGES].find_one({"_id": challenge_id, "kind": kind})
    gone = await intake.db[WEBAUTHN_CHALLENGES].delete_one({"_id": challenge_id})
    if found is None or gone.deleted_count != 1:
        raise ApiError(401, "unauthorized", "unknown or used challenge")
    if found["at"].replace(tzinfo=intake.clock.now().tzinfo) < intake.clock.now() - CHALLENGE_TTL:
        raise ApiError(401, "unauthorized", "the challenge expired: start again")
    return found


@answers(Ceremony)
async def registration_options(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    who = require(request, ["admin", "confidant", "org_admin"])
    rp_id, _ = relying_party(request, intake)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Vertrouwd",
        user_name=who.sub,
        user_id=who.sub.encode(),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=key["credential_id"])
            for key in await keys_of(intake, who.sub)
        ],
    )
    challenge_id = await new_challenge(intake, "register", who.sub, options.challenge)
    return web.json_response(
        {"challenge_id": challenge_id, "options": json.loads(options_to_json(options))}
    )


@answers(KeyView)
async def add_key(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    who = require(request, ["admin", "confidant", "org_admin"])
    body = await read_body(request, Answer)
    found = await claim(intake, body.challenge_id, "register")
    if found["owner"] != who.sub:
        raise ApiError(401, "unauthorized", "unknown or used challenge")
    rp_id, origin = relying_party(request, intake)
    try:
        verified = verify_registration_response(
            credential=body.credential,
            expected_challenge=found["challenge"],
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except WEBAUTHN_ERRORS as exc:
        raise ApiError(
            422, "invalid", f"the security key's answer does not check out: {exc}"
        ) from None
    now = intake.clock.now()
    key_id = bytes_to_base64url(verified.credential_id)
    try:
        await intake.db[STAFF_CREDENTIALS].insert_one(
            {
                "_id": key_id,
                "owner": who.sub,
                "credential_id": verified.credential_id,
                "public_key": verified.credential_public_key,
                "sign_count": verified.sign_count,
                "created_at": now,
            }
        )
    except DuplicateKeyError:
        raise Conflict("this security key is added already") from None
    return web.json_response({"id": key_id, "created_at": now.isoformat()}, status=201)


@answers(list_of(KeyView))
async def list_keys(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    who = require(request, ["admin", "confidant", "org_admin"])
    items = [
        {"id": key["_id"], "created_at": key["created_at"].isoformat()}
        for key in await keys_of(intake, who.sub)
    ]
    return web.json_response({"items": items, "next": None})


async def login_challenge(
    request: web.Request, intake: Intake, staff: docs.Staff, audience: list[str]
) -> Ceremony | None:
    """For an account with security keys: the challenge its log-in must answer (None: the
    password was all it takes)."""
    owner = owner_of(staff)
    keys = await keys_of(intake, owner)
    if not keys:
        return None
    rp_id, _ = relying_party(request, intake)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=k["credential_id"]) for k in keys],
    )
    challenge_id = await new_challenge(
        intake, "login", owner, options.challenge, staff_id=staff["_id"], audience=audience
    )
    return {"challenge_id": challenge_id, "options": json.loads(options_to_json(options))}


async def second_factor(request: web.Request) -> tuple[docs.Staff, list[str]]:
    """The account whose log-in the security key's answer completes, and the audience it
    asked for; 401 for anything that does not check out."""
    intake = request.app[INTAKE]
    body = await read_body(request, Answer)
    found = await claim(intake, body.challenge_id, "login")
    key_id = body.credential.get("id")
    key = await intake.db[STAFF_CREDENTIALS].find_one({"_id": key_id, "owner": found["owner"]})
    staff = await docs.staff(intake.db).find_one({"_id": found["staff_id"], "active": True})
    if key is None or staff is None:
        raise ApiError(401, "unauthorized", "not a security key of this account")
    rp_id, origin = relying_party(request, intake)
    try:
        verified = verify_authentication_response(
            credential=body.credential,
            expected_challenge=found["challenge"],
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=key["public_key"],
            credential_current_sign_count=key["sign_count"],
        )
    except WEBAUTHN_ERRORS:
        raise ApiError(
            401, "unauthorized", "the security key's answer does not check out"
        ) from None
    # A counter that goes back means a copied key: refused by the library; kept moving here.
    await intake.db[STAFF_CREDENTIALS].update_one(
        {"_id": key_id, "sign_count": {"$lte": verified.new_sign_count}},
        {"$set": {"sign_count": verified.new_sign_count, "used_at": intake.clock.now()}},
    )
    return staff, list(found["audience"])


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/me/webauthn/options",
        registration_options,
        "The challenge to add a security key with (navigator.credentials.create).",
        roles=["admin", "confidant", "org_admin"],
    ),
    Endpoint(
        "POST",
        "/v1/me/webauthn",
        add_key,
        "Add a security key: from then on, log-ins ask for it after the password.",
        roles=["admin", "confidant", "org_admin"],
        body=Answer,
        status=201,
    ),
    Endpoint(
        "GET",
        "/v1/me/webauthn",
        list_keys,
        "My security keys.",
        roles=["admin", "confidant", "org_admin"],
    ),
]

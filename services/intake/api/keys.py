"""A person's keys (issue 26): kept for them, opened only in their browser. Bytes travel as
base64 (standard alphabet, padded)."""

from __future__ import annotations

import base64
import binascii
from typing import NotRequired

from aiohttp import web
from pydantic import Field
from pymongo.errors import DuplicateKeyError
from typing_extensions import TypedDict

from services.intake.api.models import Certificate
from services.intake.domain import vault as vaults
from services.intake.domain.keys import KeyMaterial, check
from services.intake.domain.reseal import after_keys
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.collections import STAFF_KEYS
from shared import envelope
from shared.errors import Conflict, Invalid, not_found
from shared.http import Endpoint, answers, read_body, require
from shared.listing import list_of
from shared.wire import Body

B64 = Field(min_length=4, max_length=600, pattern=r"^[A-Za-z0-9+/]+={0,2}$")
B64N = Field(None, min_length=4, max_length=600, pattern=r"^[A-Za-z0-9+/]+={0,2}$")


class Keys(Body):
    """What the browser made at the first log-in."""

    public_key: str = B64
    by_password: str = B64
    salt: str = B64
    ops: int = Field(ge=1, le=100)
    memory: int = Field(ge=1, le=4 * 1024 * 1024 * 1024)
    by_recovery: str = B64
    to_escrow: str = B64
    message_key: str | None = B64N


class PasswordWrap(Body):
    """The private key wrapped again under a new password (after a reset: the browser
    opened it with the recovery kit)."""

    by_password: str = B64
    salt: str = B64
    ops: int = Field(ge=1, le=100)
    memory: int = Field(ge=1, le=4 * 1024 * 1024 * 1024)


class KeysView(TypedDict):
    public_key: str
    by_password: str
    salt: str
    ops: int
    memory: int
    by_recovery: str
    to_escrow: str
    message_key: NotRequired[str]


class EscrowKey(TypedDict):
    public_key: str
    signing_key: str | None  # the firm's: certificates on people's keys are checked with it


class PersonKey(TypedDict):
    """Someone's public key, to seal to, with the firm's certificate on it (if any)."""

    person_id: str
    public_key: str
    message_key: str | None
    certificate: str | None
    certified: bool  # checked here with the firm's signing key (browsers check it again)


class Pending(TypedDict):
    """A case handed over by the office, waiting for its key: my wrap of it, and the new
    confidant's key to seal it on to."""

    case_id: str
    reference: str
    public_key: str
    wrap: str
    holder: PersonKey


def _bytes(body: Keys | PasswordWrap, name: str) -> bytes:
    if getattr(body, name) is None:
        raise Invalid("missing", {name: "required"})
    try:
        return base64.b64decode(getattr(body, name), validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("not base64", {name: "standard base64, padded"}) from None


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@answers(KeysView)
async def set_keys(request: web.Request) -> web.Response:
    """Once: keys are never replaced by a request (a thief with a password would swap in
    their own); a lost password is restored with the recovery kit or by escrow."""
    intake = request.app[INTAKE]
    who = require(request)
    body = await read_body(request, Keys)
    material = KeyMaterial(
        public_key=_bytes(body, "public_key"),
        by_password=_bytes(body, "by_password"),
        salt=_bytes(body, "salt"),
        ops=body.ops,
        memory=body.memory,
        by_recovery=_bytes(body, "by_recovery"),
        to_escrow=_bytes(body, "to_escrow"),
        message_key=_bytes(body, "message_key") if body.message_key else None,
    )
    check(material)
    doc: docs.StaffKeys = {
        "_id": who.sub,
        "public_key": material.public_key,
        "by_password": material.by_password,
        "salt": material.salt,
        "ops": material.ops,
        "memory": material.memory,
        "by_recovery": material.by_recovery,
        "to_escrow": material.to_escrow,
        "created_at": intake.clock.now(),
    }
    if material.message_key is not None:
        doc["message_key"] = material.message_key
    try:
        await docs.staff_keys(intake.db).insert_one(doc)
    except DuplicateKeyError:
        raise Conflict("your keys are set already", code="keys_set") from None
    # Their cases kept under the server's keys are sealed to these from now on.
    intake.background(after_keys(intake, who.sub))
    return web.json_response(view(doc), status=201)


def view(doc: docs.StaffKeys) -> KeysView:
    shown: KeysView = {
        "public_key": _b64(doc["public_key"]),
        "by_password": _b64(doc["by_password"]),
        "salt": _b64(doc["salt"]),
        "ops": doc["ops"],
        "memory": doc["memory"],
        "by_recovery": _b64(doc["by_recovery"]),
        "to_escrow": _b64(doc["to_escrow"]),
    }
    if "message_key" in doc:
        shown["message_key"] = _b64(doc["message_key"])
    return shown


@answers(KeysView)
async def rewrap_keys(request: web.Request) -> web.Response:
    """Only the password's wrap changes: the key pair, the kit's wrap and escrow's stay.
    Someone with this person's session can at worst spoil this wrap (the kit still opens
    the key); nothing here opens anything."""
    intake = request.app[INTAKE]
    who = require(request, ["admin", "confidant"])
    body = await read_body(request, PasswordWrap)
    doc = await docs.staff_keys(intake.db).find_one({"_id": who.sub})
    if doc is None:
        raise not_found("keys")
    material = KeyMaterial(
        public_key=doc["public_key"],
        by_password=_bytes(body, "by_password"),
        salt=_bytes(body, "salt"),
        ops=body.ops,
        memory=body.memory,
        by_recovery=doc["by_recovery"],
        to_escrow=doc["to_escrow"],
    )
    check(material)
    changed = {
        "by_password": material.by_password,
        "salt": material.salt,
        "ops": material.ops,
        "memory": material.memory,
    }
    await intake.update(STAFF_KEYS, {"_id": who.sub}, {"$set": changed})
    return web.json_response(view({**doc, **changed}))  # type: ignore[typeddict-item]


@answers(KeysView)
async def read_keys(request: web.Request) -> web.Response:
    """Mine, wrapped: to unwrap in my browser with my password (or my recovery kit)."""
    intake = request.app[INTAKE]
    who = require(request)
    doc = await docs.staff_keys(intake.db).find_one({"_id": who.sub})
    if doc is None:
        raise not_found("keys")
    return web.json_response(view(doc))


@answers(EscrowKey)
async def escrow_key(request: web.Request) -> web.Response:
    """The firm's escrow public key, which a browser seals each new private key to."""
    intake = request.app[INTAKE]
    require(request)
    if not intake.settings.escrow_public_key:
        raise not_found("escrow key")
    return web.json_response(
        {
            "public_key": intake.settings.escrow_public_key,
            "signing_key": intake.settings.firm_signing_key or None,
        }
    )


def person_view(intake: Intake, doc: docs.StaffKeys) -> PersonKey:
    certificate, message_key = doc.get("certificate"), doc.get("message_key")
    return {
        "person_id": doc["_id"],
        "public_key": _b64(doc["public_key"]),
        "message_key": _b64(message_key) if message_key else None,
        "certificate": _b64(certificate) if certificate else None,
        "certified": bool(intake.settings.firm_signing_key)
        and vaults.trusted(intake.settings.firm_signing_key, doc["_id"], doc),
    }


@answers(PersonKey)
async def person_key(request: web.Request) -> web.Response:
    """A colleague's public key: to seal a case on to them, and for the office to certify."""
    intake = request.app[INTAKE]
    require(request, ["admin", "confidant"])
    doc = await docs.staff_keys(intake.db).find_one({"_id": request.match_info["person_id"]})
    if doc is None:
        raise not_found("keys")
    return web.json_response(person_view(intake, doc))


@answers(PersonKey)
async def certify(request: web.Request) -> web.Response:
    """The firm's certificate on someone's key (made offline: python -m deploy.escrow
    certify); kept only if the firm's signing key says it is theirs."""
    intake = request.app[INTAKE]
    require(request, ["admin"])
    body = await read_body(request, Certificate)
    signing = intake.settings.firm_signing_key
    if not signing:
        raise Conflict("the firm has no signing key set", code="no_signing_key")
    person = request.match_info["person_id"]
    doc = await docs.staff_keys(intake.db).find_one({"_id": person})
    if doc is None:
        raise not_found("keys")
    certificate = base64.b64decode(body.certificate)
    if not envelope.certified(
        base64.b64decode(signing), person, doc["public_key"], certificate, doc.get("message_key")
    ):
        raise Invalid(
            "the certificate is not the firm's signature on this key",
            {"certificate": "python -m deploy.escrow certify with this id and key"},
        )
    await intake.update(STAFF_KEYS, {"_id": person}, {"$set": {"certificate": certificate}})
    # Their cases kept under the server's keys can be sealed to them now.
    intake.background(after_keys(intake, person))
    return web.json_response(person_view(intake, {**doc, "certificate": certificate}))


class Rotating(TypedDict):
    """A case of mine whose key someone else knew: my browser replaces it."""

    case_id: str
    public_key: str
    wrap: str


@answers(list_of(Rotating))
async def rotations(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    who = require(request, ["confidant"])
    query = {"confidant_id": who.sub, "vault.rotate": True}
    items: list[Rotating] = [
        {
            "case_id": case["_id"],
            "public_key": _b64(case["vault"]["public"]),
            "wrap": _b64(case["vault"]["wraps"][who.sub]),
        }
        async for case in docs.cases(intake.db).find(query, {"vault": 1}).limit(200)
        if who.sub in case["vault"]["wraps"]
    ]
    return web.json_response({"items": items, "next": None})


@answers(list_of(Pending))
async def pending(request: web.Request) -> web.Response:
    """Cases the office handed over whose key I hold: my browser seals them on."""
    intake = request.app[INTAKE]
    who = require(request, ["confidant"])
    query = {f"vault.wraps.{who.sub}": {"$exists": True}, "vault.pending": {"$exists": True}}
    items: list[Pending] = []
    async for case in docs.cases(intake.db).find(query, {"reference": 1, "vault": 1}).limit(200):
        vault = case["vault"]
        holder = await docs.staff_keys(intake.db).find_one({"_id": vault["pending"]})
        if holder is None:
            continue  # they have no keys yet: sealed on once they do
        items.append(
            {
                "case_id": case["_id"],
                "reference": case["reference"],
                "public_key": _b64(vault["public"]),
                "wrap": _b64(vault["wraps"][who.sub]),
                "holder": person_view(intake, holder),
            }
        )
    return web.json_response({"items": items, "next": None})


ENDPOINTS = [
    Endpoint(
        "PUT",
        "/v1/me/keys",
        set_keys,
        "My keys, made in my browser at the first log-in (once).",
        roles=["admin", "confidant"],
        body=Keys,
    ),
    Endpoint(
        "PATCH",
        "/v1/me/keys",
        rewrap_keys,
        "My private key wrapped under a new password (after a reset, opened by my kit).",
        roles=["admin", "confidant"],
        body=PasswordWrap,
    ),
    Endpoint(
        "GET",
        "/v1/me/keys",
        read_keys,
        "My keys, wrapped.",
        roles=["admin", "confidant"],
    ),
    Endpoint(
        "GET",
        "/v1/keys/escrow",
        escrow_key,
        "The firm's escrow public key.",
        roles=["admin", "confidant"],
    ),
    Endpoint(
        "GET",
        "/v1/keys/rotations",
        rotations,
        "Cases of mine whose key someone else knew, for my browser to replace.",
        roles=["confidant"],
    ),
    Endpoint(
        "GET",
        "/v1/keys/pending",
        pending,
        "Cases handed over by the office whose key I hold, to seal on.",
        roles=["confidant"],
    ),
    Endpoint(
        "GET",
        "/v1/keys/{person_id}",
        person_key,
        "A colleague's public key and the firm's certificate on it.",
        roles=["admin", "confidant"],
    ),
    Endpoint(
        "PUT",
        "/v1/keys/{person_id}/certificate",
        certify,
        "The firm's certificate on someone's key (made offline).",
        roles=["admin"],
        body=Certificate,
    ),
]

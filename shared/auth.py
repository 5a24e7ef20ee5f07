"""JWT verification (every service) and issuing (intake only), roles and scoping.

Tokens are signed with Ed25519 (``EdDSA``), carry the key id in ``kid`` and the audience of
the one service they are for. Verification accepts only the algorithms of the key set, so
``alg: none`` and HMAC-with-the-public-key tricks fail. Roles:

- ``admin``: the firm's office, every organisation;
- ``confidant``: the organisations listed in the ``orgs`` claim;
- ``org_admin``: one client organisation, ``org_id``;
- ``employee``: one case, ``case_id`` (within ``org_id``), for an (often anonymous) reporter;
- ``service``: another service of the suite (``sub`` names it), for its requests over NATS.

Scoping is decided in ``authorize`` and nowhere else.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

Role = Literal["admin", "confidant", "org_admin", "employee", "service"]
ROLES: tuple[Role, ...] = ("admin", "confidant", "org_admin", "employee", "service")
ALGORITHM = "EdDSA"
LEEWAY_S = 10


class AuthError(Exception):
    """The token is missing or cannot be trusted (answered 401)."""


# The shape of a case reference (as ``shared.event_schemas`` checks it on events).
REFERENCE = re.compile(r"VP-[0-9]{4}-[0-9A-Z]{6}")


class Forbidden(Exception):
    """The token is fine, but does not reach what is asked (answered 403)."""


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    orgs: frozenset[str] = field(default_factory=frozenset)
    case_id: str | None = None
    # An employee token's case reference (VP-2026-…): not a secret, so booking can name the
    # case to the confidant without asking intake.
    reference: str | None = None


class KeySet:
    """Public keys by key id, from a JSON Web Key Set."""

    def __init__(self, keys: dict[str, Ed25519PublicKey]) -> None:
        if not keys:
            raise ValueError("the key set holds no keys")
        self._keys = keys

    @classmethod
    def from_jwks(cls, jwks: dict[str, Any]) -> KeySet:
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in jwks.get("keys", []):
            key = OKPAlgorithm.from_jwk(jwk)
            if not isinstance(key, Ed25519PublicKey) or not jwk.get("kid"):
                raise ValueError("every key must be an Ed25519 public key with a kid")
            keys[jwk["kid"]] = key
        return cls(keys)

    @classmethod
    def from_file(cls, path: Path) -> KeySet:
        return cls.from_jwks(json.loads(path.read_text()))

    def verify(self, token: str, *, audience: str, issuer: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the token is malformed") from None
        key = self._keys.get(str(header.get("kid", "")))
        if key is None:
            raise AuthError("the token is signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token is not meant for this service") from None
        except jwt.PyJWTError:
            raise AuthError("the token is invalid") from None
        return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    role = claims.get("role")
    if role not in ROLES:
        raise AuthError("the token has no valid role")
    orgs = claims.get("orgs", [])
    if claims.get("org_id"):
        orgs = [*orgs, claims["org_id"]]
    if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
        raise AuthError("the token's organisations are malformed")
    case_id = claims.get("case_id")
    if role == "employee" and (not case_id or len(orgs) != 1):
        raise AuthError("an employee token must name one case and one organisation")
    if role == "org_admin" and len(orgs) != 1:
        raise AuthError("an org_admin token must name one organisation")
    ref = claims.get("ref")
    if ref is not None and not (isinstance(ref, str) and REFERENCE.fullmatch(ref)):
        raise AuthError("the token's case reference is malformed")
    return Principal(
        sub=str(claims["sub"]), role=role, orgs=frozenset(orgs), case_id=case_id, reference=ref
    )


def authorize(
    principal: Principal,
    roles: Iterable[Role],
    *,
    org_id: str | None = None,
    case_id: str | None = None,
) -> None:
    """The one check of role, organisation and case scope. Raises ``Forbidden``."""
    if principal.role not in set(roles):
        raise Forbidden("this role may not do this")
    if principal.role == "admin":
        return
    if org_id is not None and org_id not in principal.orgs:
        raise Forbidden("this token does not reach that organisation")
    if principal.role == "employee" and principal.case_id != case_id:
        # An employee token reaches exactly one case and never anything org-wide.
        raise Forbidden("this token does not reach that case")


class Issuer:
    """Signs tokens; in the suite only intake's login uses it."""

    def __init__(self, private_key: Ed25519PrivateKey, kid: str, issuer: str = "vertrouwd") -> None:
        self._key = private_key
        self.kid = kid
        self.issuer = issuer

    @classmethod
    def from_pem_file(cls, path: Path, kid: str, issuer: str = "vertrouwd") -> Issuer:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key, kid, issuer)

    def issue(
        self,
        *,
        sub: str,
        role: Role,
        audience: str | list[str],
        ttl_s: int = 900,
        orgs: Iterable[str] = (),
        org_id: str | None = None,
        case_id: str | None = None,
        reference: str | None = None,
    ) -> str:
        # The world's time, not a service's clock: every other process checks iat, nbf and
        # exp against its own system time, so a token dated by a moved clock would not work.
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": audience,
            "role": role,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
        }
        if orgs:
            claims["orgs"] = sorted(orgs)
        if org_id:
            claims["org_id"] = org_id
        if case_id:
            claims["case_id"] = case_id
        if reference:
            claims["ref"] = reference
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(OKPAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return {"keys": [jwk]}


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

"""JWT verification and scoping, as pure logic (the HTTP side is in test_http)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from shared.auth import AuthError, Forbidden, Issuer, KeySet, Principal, authorize, new_key

ISS = "vertrouwd"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer(new_key(), "k1", ISS)


@pytest.fixture(scope="module")
def keyset(issuer: Issuer) -> KeySet:
    return KeySet.from_jwks(issuer.jwks())


def verify(keyset: KeySet, token: str, audience: str = "booking") -> Principal:
    return keyset.verify(token, audience=audience, issuer=ISS)


def test_valid_token(issuer: Issuer, keyset: KeySet) -> None:
    token = issuer.issue(sub="u1", role="confidant", audience="booking", orgs=["o1", "o2"])
    assert verify(keyset, token) == Principal("u1", "confidant", frozenset({"o1", "o2"}))


def test_expired_token(issuer: Issuer, keyset: KeySet) -> None:
    token = issuer.issue(sub="u1", role="admin", audience="booking", ttl_s=-60)
    with pytest.raises(AuthError, match="expired"):
        verify(keyset, token)


def test_wrong_audience(issuer: Issuer, keyset: KeySet) -> None:
    token = issuer.issue(sub="u1", role="admin", audience="intake")
    with pytest.raises(AuthError, match="not meant for this service"):
        verify(keyset, token, audience="booking")


def test_wrong_key_with_a_known_kid(keyset: KeySet) -> None:
    impostor = Issuer(new_key(), "k1", ISS)
    token = impostor.issue(sub="u1", role="admin", audience="booking")
    with pytest.raises(AuthError, match="invalid"):
        verify(keyset, token)


def test_unknown_kid(keyset: KeySet) -> None:
    token = Issuer(new_key(), "other", ISS).issue(sub="u1", role="admin", audience="booking")
    with pytest.raises(AuthError, match="unknown key"):
        verify(keyset, token)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(keyset: KeySet) -> None:
    now = int(time.time())
    claims = {
        "sub": "u1",
        "role": "admin",
        "aud": "booking",
        "iss": ISS,
        "iat": now,
        "exp": now + 60,
    }
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{_b64(claims)}."
    with pytest.raises(AuthError):
        verify(keyset, token)


def test_hmac_signed_with_the_public_key_is_refused(issuer: Issuer, keyset: KeySet) -> None:
    public = issuer._key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    now = int(time.time())
    token = jwt.encode(
        {"sub": "u1", "role": "admin", "aud": "booking", "iss": ISS, "iat": now, "exp": now + 60},
        public,
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(AuthError):
        verify(keyset, token)


def test_tampered_payload(issuer: Issuer, keyset: KeySet) -> None:
    token = issuer.issue(sub="u1", role="org_admin", audience="booking", org_id="o1")
    header, _, signature = token.split(".")
    now = int(time.time())
    forged = _b64(
        {"sub": "u1", "role": "admin", "aud": "booking", "iss": ISS, "iat": now, "exp": now + 600}
    )
    with pytest.raises(AuthError, match="invalid"):
        verify(keyset, f"{header}.{forged}.{signature}")


def test_garbage_token(keyset: KeySet) -> None:
    with pytest.raises(AuthError, match="malformed"):
        verify(keyset, "not-a-token")


def test_issuer_claim_is_checked(issuer: Issuer, keyset: KeySet) -> None:
    foreign = Issuer(issuer._key, "k1", "someone-else")
    token = foreign.issue(sub="u1", role="admin", audience="booking")
    with pytest.raises(AuthError, match="invalid"):
        verify(keyset, token)


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "superuser"},
        {"role": "employee", "org_id": "o1"},  # no case
        {"role": "org_admin"},  # no organisation
    ],
)
def test_claims_that_make_no_principal(
    issuer: Issuer, keyset: KeySet, claims: dict[str, str]
) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"sub": "u1", "aud": "booking", "iss": ISS, "iat": now, "exp": now + 60, **claims},
        issuer._key,
        algorithm="EdDSA",
        headers={"kid": "k1"},
    )
    with pytest.raises(AuthError):
        verify(keyset, token)


ADMIN = Principal("a", "admin")
CONFIDANT = Principal("c", "confidant", frozenset({"o1", "o2"}))
ORG_ADMIN = Principal("h", "org_admin", frozenset({"o1"}))
EMPLOYEE = Principal("e", "employee", frozenset({"o1"}), case_id="case-1")


@pytest.mark.parametrize(
    ("who", "roles", "org_id", "case_id", "allowed"),
    [
        (ADMIN, ["admin"], "any-org", None, True),
        (ADMIN, ["confidant"], None, None, False),
        (CONFIDANT, ["confidant"], "o2", None, True),
        (CONFIDANT, ["confidant"], "o3", None, False),
        (ORG_ADMIN, ["org_admin"], "o1", None, True),
        (ORG_ADMIN, ["org_admin"], "o2", None, False),
        (EMPLOYEE, ["employee"], "o1", "case-1", True),
        (EMPLOYEE, ["employee"], "o1", "case-2", False),
        (EMPLOYEE, ["employee"], "o2", "case-1", False),
        (EMPLOYEE, ["employee"], "o1", None, False),  # nothing org-wide for an employee
        (EMPLOYEE, ["confidant", "org_admin"], "o1", "case-1", False),
    ],
)
def test_authorize(
    who: Principal, roles: list[str], org_id: str | None, case_id: str | None, allowed: bool
) -> None:
    if allowed:
        authorize(who, roles, org_id=org_id, case_id=case_id)  # type: ignore[arg-type]
    else:
        with pytest.raises(Forbidden):
            authorize(who, roles, org_id=org_id, case_id=case_id)  # type: ignore[arg-type]

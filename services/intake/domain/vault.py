"""A case's own key (issue 26): what is written in a case is sealed to it, and only the
people it is sealed to open it, in their browser.

A case made while its confidant has keys gets a vault: a fresh X25519 pair whose public
half is kept in the clear (so intake can seal what arrives by mail, WhatsApp or a form)
and whose private half is sealed to the confidant's key and to the firm's escrow key, and
then forgotten. A reporter with a case code also has a key, derived from the code in their
browser (``shared.envelope.code_keys``); what they may read is sealed to that key as well.
The server keeps envelopes it cannot open; ``shared/envelope.py`` holds the format."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared import envelope
from shared.errors import Invalid

ESCROW = "escrow"  # the wraps' name for the firm's escrow key


@dataclass(frozen=True)
class ReporterKeys:
    """What a case code gives the server: the id the case is found by, the hash of the
    secret that proves the code, and the reporter's public key."""

    lookup: str  # hex
    check: str  # hex of sha256(secret)
    public_key: bytes

    @classmethod
    def of_code(cls, code: str) -> ReporterKeys:
        """From a code the server made (an API client's report): derived as the browser
        does, then the code is forgotten."""
        keys = envelope.code_keys(code)
        return cls(keys.lookup.hex(), secret_check(keys.secret), keys.pair.public)


def trusted(signing_key: str, person_id: str, keys: Mapping[str, Any]) -> bool:
    """Whether a person's key may be sealed to: it carries the firm's certificate, or the
    firm asks for none (no signing key set)."""
    if not signing_key:
        return True
    certificate = keys.get("certificate")
    return isinstance(certificate, bytes) and envelope.certified(
        base64.b64decode(signing_key),
        person_id,
        keys["public_key"],
        certificate,
        keys.get("message_key"),
    )


def secret_check(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def new_vault(holders: dict[str, bytes], reporter: bytes | None) -> dict[str, Any]:
    """A case's vault: its public key, its private key sealed to each holder (a confidant's
    id or ``ESCROW``, to their public key), the reporter's public key. The private key
    leaves this function only sealed."""
    pair = envelope.KeyPair.generate()
    vault: dict[str, Any] = {
        "public": pair.public,
        "wraps": {who: envelope.seal(key, pair.private) for who, key in holders.items()},
    }
    if reporter is not None:
        vault["reporter"] = reporter
    return vault


def seal_text(vault: dict[str, Any], text: str, *, for_reporter: bool) -> dict[str, bytes]:
    """``text`` sealed to the case (and, for what the reporter reads, to them too)."""
    data = text.encode()
    sealed = {"sealed": envelope.seal(vault["public"], data)}
    if for_reporter and vault.get("reporter"):
        sealed["reporter"] = envelope.seal(vault["reporter"], data)
    return sealed


def seal_json(vault: dict[str, Any], value: Any) -> bytes:
    return envelope.seal(vault["public"], json.dumps(value, ensure_ascii=False).encode())


def b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode()


def sealed_view(sealed: dict[str, Any] | None, *, reporter: bool) -> dict[str, Any]:
    """An envelope as an API answer gives it: the one the reader's key opens, and whether
    the confidant's signature is in front of its text."""
    if not sealed:
        return {"sealed": None, "signed": False}
    return {
        "sealed": b64(sealed.get("reporter" if reporter else "sealed")),
        "signed": bool(sealed.get("signed")),
    }


def vault_view(vault: dict[str, Any], holder: str | None) -> dict[str, Any]:
    """The vault as one reader sees it: the case's public key (to seal what they write),
    the reporter's (to seal answers to), and their own wrap of the case's private key
    (None for the reporter, whose key is their own; or for someone it is not sealed to)."""
    return {
        "public_key": b64(vault["public"]),
        "reporter_key": b64(vault.get("reporter")),
        "wrap": b64(vault["wraps"].get(holder)) if holder else None,
        # Keys the case had before (newest first), each sealed to the one after it: what
        # was sealed before a rotation opens by walking back from the current key.
        "previous": [
            {"public_key": b64(p["public"]), "by_next": b64(p["by_next"])}
            for p in vault.get("previous", [])
        ]
        if holder
        else [],
    }


def rotated(
    vault: dict[str, Any], public: bytes, wraps: dict[str, bytes], by_next: bytes
) -> dict[str, Any]:
    """The fields of a rotation a holder's browser made: the new key, sealed to each holder,
    and the old key (sealed to the new one) at the head of the chain."""
    previous = [{"public": vault["public"], "by_next": by_next}, *vault.get("previous", [])]
    return {
        "vault.public": public,
        "vault.wraps": wraps,
        "vault.previous": previous,
    }


# A 32-byte private key sealed to someone: version, ephemeral key and tag, one block.
SEALED_KEY = 1 + 48 + envelope.BLOCK


def check_sealed_key(value: bytes, name: str) -> None:
    if len(value) != SEALED_KEY or value[0] != envelope.SEALED:
        raise Invalid(
            "not a case key sealed to a person",
            {name: f"a key sealed as version {envelope.SEALED}, {SEALED_KEY} bytes"},
        )


def check_sealed(value: bytes, name: str) -> None:
    """An envelope a browser sent: sealed to a key (version 0x01), whole blocks."""
    body = len(value) - 1 - 48
    if not value or value[0] != envelope.SEALED or body <= 0 or body % envelope.BLOCK:
        raise Invalid(
            "not an envelope sealed to the case",
            {name: f"version {envelope.SEALED}, padded to {envelope.BLOCK}-byte blocks"},
        )

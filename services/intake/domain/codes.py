"""Case codes and references.

A case code is what an anonymous reporter keeps to come back: 20 characters of Crockford
base32, 100 bits from the OS's random source, shown once. It is stored only as an argon2id
hash. The salt is the deployment's secret ``code_salt`` rather than a random salt per code,
so that a code can be found by its hash (as GlobaLeaks does with its receipts); 100 bits of
entropy leave nothing to precompute.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2.low_level import Type, hash_secret_raw

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_CHARS = 20  # x 5 bits = 100 bits
CODE_BITS = CODE_CHARS * 5
_READ_AS = {"I": "1", "L": "1", "O": "0", "U": "V"}


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalise(code: str) -> str | None:
    """What a person typed, as the canonical code; None if it cannot be one."""
    cleaned = "".join(c for c in code.upper() if c not in " -")
    cleaned = "".join(_READ_AS.get(c, c) for c in cleaned)
    if len(cleaned) != CODE_CHARS or any(c not in ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, CODE_CHARS, 4))


def hash_code(code: str, *, salt: bytes, time_cost: int, memory_kib: int) -> str:
    digest = hash_secret_raw(
        code.encode(),
        salt,
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    return digest.hex()


def new_reference(now: datetime) -> str:
    """A short reference for conversation and paperwork; not a secret, not a key."""
    return f"VP-{now:%Y}-{''.join(secrets.choice(ALPHABET) for _ in range(6))}"


def new_id() -> str:
    return secrets.token_hex(12)

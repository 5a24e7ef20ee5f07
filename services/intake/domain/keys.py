"""A person's keys as the server keeps them (issue 26): their public key in the clear, their
private key only wrapped, three ways: under a key derived from their password (Argon2id, in
their browser), under their recovery key (shown once, as a kit) and sealed to the firm's
escrow key (shared/envelope.py's formats). The server can check the shapes, never open one.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import envelope
from shared.errors import Invalid

# A 32-byte private key, padded to one block: its envelopes have these lengths.
WRAPPED_KEY = 1 + 24 + 16 + envelope.BLOCK
SEALED_KEY = 1 + 32 + 16 + envelope.BLOCK
# The password's Argon2id: no fewer passes or less memory than the browser derives with.
LEAST_OPS, LEAST_MEMORY, MOST_MEMORY = envelope.OPS, envelope.MEMORY, 1024 * 1024 * 1024


@dataclass(frozen=True)
class KeyMaterial:
    public_key: bytes
    by_password: bytes
    salt: bytes
    ops: int
    memory: int
    by_recovery: bytes
    to_escrow: bytes
    message_key: bytes | None = None  # Ed25519: what their messages are checked with


def check(material: KeyMaterial) -> None:
    """A 422 naming what is not what the browser makes (never stored half-right)."""
    wrong: dict[str, str] = {}
    if material.message_key is not None and len(material.message_key) != envelope.KEY_BYTES:
        wrong["message_key"] = f"an Ed25519 public key is {envelope.KEY_BYTES} bytes"
    if len(material.public_key) != envelope.KEY_BYTES:
        wrong["public_key"] = f"an X25519 public key is {envelope.KEY_BYTES} bytes"
    for name, value in (
        ("by_password", material.by_password),
        ("by_recovery", material.by_recovery),
    ):
        if len(value) != WRAPPED_KEY or value[0] != envelope.WRAPPED:
            wrong[name] = (
                f"a private key wrapped as version {envelope.WRAPPED}, {WRAPPED_KEY} bytes"
            )
    if len(material.to_escrow) != SEALED_KEY or material.to_escrow[0] != envelope.SEALED:
        wrong["to_escrow"] = (
            f"a private key sealed as version {envelope.SEALED}, {SEALED_KEY} bytes"
        )
    if len(material.salt) != envelope.SALT_BYTES:
        wrong["salt"] = f"{envelope.SALT_BYTES} bytes"
    if material.ops < LEAST_OPS:
        wrong["ops"] = f"at least {LEAST_OPS} passes"
    if not LEAST_MEMORY <= material.memory <= MOST_MEMORY:
        wrong["memory"] = f"between {LEAST_MEMORY} and {MOST_MEMORY} bytes"
    if wrong:
        raise Invalid("these keys are not what the browser makes", wrong)

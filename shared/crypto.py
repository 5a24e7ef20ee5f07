"""Field-by-field encryption at rest (AES-256-GCM with a key id): personal data in intake,
calendar credentials in booking.

Each value is stored as ``{"k": key id, "n": nonce, "c": ciphertext}``. The associated data
binds a ciphertext to its document and field, so a value cannot be moved to another case.
Old keys stay in the key file to read old values; ``python -m services.intake.rotate`` adds a
new current key and re-encrypts everything with it.

The key file (``INTAKE_DATA_KEYS_FILE``) is JSON:
``{"current": "k1", "keys": {"k1": "<32 bytes, base64>"}, "code_salt": "<16+ bytes, base64>",
"hash_key": "<32 bytes, base64>"}``.

``code_salt`` salts the argon2 hashes of case codes; ``hash_key`` keys the HMACs of what is
kept only to be recognised again (addresses, numbers, message ids, Idempotency-Keys). Two
keys for two purposes: knowing one tells nothing about the other. Key files made before
``hash_key`` existed have none; they go on hashing with ``code_salt`` (``hash_key`` falls
back to it), because every stored hash would otherwise stop matching.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

Sealed = dict[str, str]


class DecryptionError(Exception):
    pass


@dataclass(frozen=True)
class DataKeys:
    current: str
    keys: dict[str, bytes]
    code_salt: bytes
    hash_key: bytes

    @classmethod
    def load(cls, path: Path) -> DataKeys:
        raw = json.loads(path.read_text())
        keys = {kid: base64.b64decode(k) for kid, k in raw["keys"].items()}
        if raw["current"] not in keys or any(len(k) != 32 for k in keys.values()):
            raise ValueError(f"{path}: the current key must exist and every key be 32 bytes")
        salt = base64.b64decode(raw["code_salt"])
        if len(salt) < 16:
            raise ValueError(f"{path}: code_salt must be at least 16 bytes")
        hash_key = base64.b64decode(raw["hash_key"]) if "hash_key" in raw else salt
        if len(hash_key) < 16:
            raise ValueError(f"{path}: hash_key must be at least 16 bytes")
        return cls(raw["current"], keys, salt, hash_key)

    def save(self, path: Path) -> None:
        data = {
            "current": self.current,
            "keys": {kid: base64.b64encode(k).decode() for kid, k in self.keys.items()},
            "code_salt": base64.b64encode(self.code_salt).decode(),
        }
        if self.hash_key != self.code_salt:  # an old file stays as it was
            data["hash_key"] = base64.b64encode(self.hash_key).decode()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)

    def with_new_key(self) -> DataKeys:
        kid = f"k{len(self.keys) + 1}-{secrets.token_hex(3)}"
        keys = {**self.keys, kid: AESGCM.generate_key(256)}
        return DataKeys(kid, keys, self.code_salt, self.hash_key)


def ensure_data_keys(path: Path) -> Path:
    """Create a key file unless there is one (development and tests)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = {"k1": AESGCM.generate_key(256)}
        DataKeys("k1", keys, os.urandom(16), os.urandom(32)).save(path)
    return path


class FieldCipher:
    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys
        self._aead = {kid: AESGCM(key) for kid, key in keys.keys.items()}

    def seal(self, value: str, *, doc_id: str, field: str) -> Sealed:
        nonce = os.urandom(12)
        ciphertext = self._aead[self.keys.current].encrypt(
            nonce, value.encode(), _aad(doc_id, field)
        )
        return {"k": self.keys.current, "n": _b64(nonce), "c": _b64(ciphertext)}

    def open(self, sealed: Sealed, *, doc_id: str, field: str) -> str:
        aead = self._aead.get(sealed.get("k", ""))
        if aead is None:
            raise DecryptionError(f"unknown data key {sealed.get('k')!r}")
        try:
            plain = aead.decrypt(
                base64.b64decode(sealed["n"]), base64.b64decode(sealed["c"]), _aad(doc_id, field)
            )
        except (InvalidTag, KeyError, ValueError):
            raise DecryptionError("a sealed value does not open") from None
        return plain.decode()

    def seal_optional(self, value: str | None, *, doc_id: str, field: str) -> Sealed | None:
        return None if value is None else self.seal(value, doc_id=doc_id, field=field)

    def open_optional(self, sealed: Any, *, doc_id: str, field: str) -> str | None:
        return None if sealed is None else self.open(sealed, doc_id=doc_id, field=field)


def _aad(doc_id: str, field: str) -> bytes:
    return f"{doc_id}\x00{field}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def main() -> None:
    """``python -m shared.crypto PATH``: make a data key file unless there is one."""
    import sys

    print(ensure_data_keys(Path(sys.argv[1])))


if __name__ == "__main__":
    main()

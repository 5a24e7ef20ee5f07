"""The attacker of the breach test: given a copy of everything a server held (database
files, the JetStream store, key and data files, logs, temporary files, its environment),
find what was said in the cases.

It looks for each marker as it is, in base64 (standard and URL-safe, at each alignment),
in hex, quoted-printable and inside every gzip or zlib stream. It collects every 32-byte
value it can find (base64, hex) and tries each as a key on every envelope
(``shared/envelope.py``: as an X25519 private key on a sealed one, as a secret key on a
wrapped one) and on every value sealed under the server's keys (AES-GCM, with the
document id and field as associated data, as ``shared.crypto`` makes them); what opens is
searched too, and a 32-byte value that comes out of an envelope is tried as a key in turn.

The positive control hands it a person's secret as well (a password, a recovery kit, the
escrow shares, a case code): then it must find what that secret opens, which shows the
search would find the markers if they were there.

``python -m tests.breach.attacker LOOT MARKER...`` prints what it finds.
"""

from __future__ import annotations

import base64
import binascii
import json
import quopri
import re
import sqlite3
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox
from nacl.secret import SecretBox

from deploy import escrow
from shared import envelope

B64 = re.compile(rb"[A-Za-z0-9+/]{20,}={0,2}")
B64_URL = re.compile(rb"[A-Za-z0-9_-]{40,}")
HEX = re.compile(rb"(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}){16,}(?![0-9a-fA-F])")
KIT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class Secrets:
    """What a legitimate reader holds, for the positive control."""

    password: str | None = None
    kit: str | None = None
    shares: list[str] = field(default_factory=list)
    code: str | None = None


@dataclass
class Sealed:
    """A value under the server's keys: ``{"k", "n", "c"}`` at ``path`` in document ``doc``."""

    doc: str
    path: list[str]
    nonce: bytes
    ciphertext: bytes
    loose: bool = False  # found in raw bytes: ``path`` lists the fields it may be


@dataclass
class Loot:
    blobs: list[bytes]  # every file, and every stream inflated out of one
    documents: list[dict[str, Any]]  # every JSON document in a SQLite database

    @classmethod
    def read(cls, root: Path) -> Loot:
        blobs: list[bytes] = []
        documents: list[dict[str, Any]] = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            blobs.append(data)
            blobs.extend(inflated(data))
            if data.startswith(b"SQLite format 3\x00"):
                documents.extend(sqlite_documents(path))
        return cls(blobs, documents)


def inflated(data: bytes) -> Iterator[bytes]:
    """Every gzip or zlib stream in ``data``, inflated."""
    for magic, wbits in (
        (b"\x1f\x8b", 31),
        (b"\x78\x9c", 15),
        (b"\x78\x01", 15),
        (b"\x78\xda", 15),
    ):
        start = data.find(magic)
        while start >= 0:
            try:
                out = zlib.decompressobj(wbits).decompress(data[start:], 50_000_000)
                if out:
                    yield out
            except zlib.error:
                pass
            start = data.find(magic, start + 1)


def sqlite_documents(path: Path) -> Iterator[dict[str, Any]]:
    """Every cell of every table that holds a JSON object (FerretDB keeps documents so)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            # (table names come from the file itself; the attacker owns it)
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608
                for cell in row:
                    if isinstance(cell, str | bytes) and cell[:1] in ("{", b"{"):
                        try:
                            doc = json.loads(cell)
                        except ValueError:
                            continue
                        if isinstance(doc, dict):
                            yield doc
    except sqlite3.Error:
        return
    finally:
        db.close()


def decoded_tokens(blobs: list[bytes]) -> tuple[set[bytes], set[bytes]]:
    """Every run of base64 (either alphabet) or hex that decodes, decoded; and those of
    standard base64 alone (where salts are kept)."""
    found: set[bytes] = set()
    standard: set[bytes] = set()
    for blob in blobs:
        for match in B64.finditer(blob):
            token = match.group()
            for cut in (token, token.rstrip(b"=")):
                try:
                    standard.add(base64.b64decode(cut + b"=" * (-len(cut) % 4)))
                except (binascii.Error, ValueError):
                    pass
        for match in B64_URL.finditer(blob):
            try:
                found.add(
                    base64.urlsafe_b64decode(match.group() + b"=" * (-len(match.group()) % 4))
                )
            except (binascii.Error, ValueError):
                pass
        for match in HEX.finditer(blob):
            found.add(bytes.fromhex(match.group().decode()))
    return found | standard, standard


def is_envelope(data: bytes) -> bool:
    if len(data) < 2:
        return False
    if data[0] == envelope.SEALED:
        body = len(data) - 1 - 48
    elif data[0] == envelope.WRAPPED:
        body = len(data) - 1 - 24 - 16
    else:
        return False
    return body > 0 and body % envelope.BLOCK == 0


def server_sealed(documents: list[dict[str, Any]]) -> list[Sealed]:
    found: list[Sealed] = []

    def walk(value: Any, doc: str, path: list[str]) -> None:
        if isinstance(value, dict):
            if {"k", "n", "c"} <= value.keys() and all(isinstance(value[k], str) for k in "nc"):
                try:
                    nonce, ciphertext = base64.b64decode(value["n"]), base64.b64decode(value["c"])
                    found.append(Sealed(doc, path, nonce, ciphertext))
                except (binascii.Error, ValueError):
                    pass
                return
            for key, inner in value.items():
                walk(inner, doc, [*path, key])
        elif isinstance(value, list):
            for inner in value:
                walk(inner, doc, path)

    for doc in documents:
        walk(doc, str(doc.get("_id")), [])
    return found


SEALED_JSON = re.compile(
    rb'"k"\s*:\s*"[^"]{1,40}"\s*,\s*"n"\s*:\s*"([A-Za-z0-9+/=]{16})"\s*,'
    rb'\s*"c"\s*:\s*"([A-Za-z0-9+/=]{24,})"'
)
ID_JSON = re.compile(rb'"_id"\s*:\s*"([^"\\]{1,80})"')
# The fields the server seals under its keys (shared.crypto's associated data names them).
FIELDS = (
    "text", "relay_text", "contact.name", "contact.email", "contact.phone", "mail_thread",
    "body", "code", "referral_to", "reason", "email", "mailbox.password", "phone", "secret",
    "reopened.0", "reopened.1",
)  # fmt: skip


def sealed_fragments(blobs: list[bytes]) -> list[Sealed]:
    """Values sealed under the server's keys anywhere in the bytes (a freed page of a
    database holds earlier versions of documents), each with every document id found as
    its possible owner: the attacker does not know which document a fragment was."""
    ids = {m.group(1).decode(errors="replace") for b in blobs for m in ID_JSON.finditer(b)}
    found: list[Sealed] = []
    seen: set[bytes] = set()
    for blob in blobs:
        for match in SEALED_JSON.finditer(blob):
            if match.group(2) in seen:
                continue
            seen.add(match.group(2))
            try:
                nonce, ciphertext = (
                    base64.b64decode(match.group(1)),
                    base64.b64decode(match.group(2)),
                )
            except (binascii.Error, ValueError):
                continue
            found.extend(Sealed(doc, [*FIELDS], nonce, ciphertext, loose=True) for doc in ids)
    return found


def open_with(key: bytes, envelopes: set[bytes], sealed: list[Sealed]) -> Iterator[bytes]:
    """Whatever ``key`` opens, each way it could be a key."""
    box, secret = SealedBox(PrivateKey(key)), SecretBox(key)
    for env in envelopes:
        try:
            if env[0] == envelope.SEALED:
                yield envelope.unpad(box.decrypt(env[1:]))
            else:
                yield envelope.unpad(secret.decrypt(env[1:]))
        except (CryptoError, envelope.EnvelopeError):
            pass
    aead = AESGCM(key)
    for value in sealed:
        # The field is the path, or its end.
        if value.loose:
            fields = set(value.path)
        else:
            fields = {".".join(value.path[i:]) for i in range(len(value.path))} | {"text"}
        for name in fields:
            try:
                yield aead.decrypt(value.nonce, value.ciphertext, f"{value.doc}\x00{name}".encode())
                break
            except (InvalidTag, ValueError):
                pass


def from_secrets(secrets: Secrets, salts: set[bytes]) -> set[bytes]:
    """The keys a legitimate reader's secret gives (a password: with every salt found)."""
    keys: set[bytes] = set()
    if secrets.password is not None:
        for salt in (t for t in salts if len(t) == envelope.SALT_BYTES):
            keys.add(envelope.derive(secrets.password, salt))
    if secrets.kit is not None:
        bits = "".join(f"{KIT_ALPHABET.index(c):05b}" for c in secrets.kit.replace("-", ""))
        keys.add(int(bits[:256], 2).to_bytes(32, "big"))
    if secrets.shares:
        keys.add(escrow.combine(secrets.shares).private)
    if secrets.code is not None:
        keys.add(envelope.code_keys(secrets.code).pair.private)
    return keys


@dataclass
class Findings:
    markers: set[str]
    keys_tried: int
    envelopes: int
    server_sealed: int
    opened: int


def attack(root: Path, markers: list[str], secrets: Secrets | None = None) -> Findings:
    loot = Loot.read(root)
    tokens, standard = decoded_tokens(loot.blobs)
    envelopes = {t for t in tokens if is_envelope(t)}
    sealed = server_sealed(loot.documents) + sealed_fragments(loot.blobs)
    queue = [t for t in tokens if len(t) == envelope.KEY_BYTES]
    queue.extend(from_secrets(secrets or Secrets(), standard))
    tried: set[bytes] = set()
    opened: list[bytes] = []
    while queue:
        key = queue.pop()
        if key in tried:
            continue
        tried.add(key)
        for plain in open_with(key, envelopes, sealed):
            opened.append(plain)
            if len(plain) == envelope.KEY_BYTES:
                queue.append(plain)
    found = {m for m in markers if any(seen(m, blob) for blob in [*loot.blobs, *opened])}
    return Findings(found, len(tried), len(envelopes), len(sealed), len(opened))


def forms(marker: str) -> set[bytes]:
    """The marker as it could be written down: plain, base64, hex, quoted-printable."""
    raw = marker.encode()
    out = {raw, raw.hex().encode(), raw.hex().upper().encode()}
    out |= {quopri.encodestring(raw).strip(), quopri.encodestring(raw, header=True).strip()}
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\x00" * shift + raw)
            start = (4 * shift + 2) // 3
            out.add(text[start : start + len(raw) * 4 // 3 - 2])
    return out


def seen(marker: str, blob: bytes) -> bool:
    return any(form in blob for form in forms(marker))


def main() -> None:
    root, *markers = sys.argv[1:]
    findings = attack(Path(root), markers)
    print(json.dumps({**findings.__dict__, "markers": sorted(findings.markers)}, indent=2))


if __name__ == "__main__":
    main()

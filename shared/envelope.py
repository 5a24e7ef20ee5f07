"""The one envelope for content sealed to people's own keys (issue 26): what the server may
store but never open. The browser writes and opens the same bytes with libsodium
(``shared/static/envelope.js``); ``tests/browser/test_envelope.py`` holds both to each other.

An envelope is a version byte, then libsodium's own construction:

- ``0x01``, **sealed**: ``crypto_box_seal`` to an X25519 public key (an ephemeral key,
  XSalsa20-Poly1305). Anyone with the public key writes; only the private key opens. Case
  content is sealed to the case's key this way, so the server can seal what arrives by mail
  or WhatsApp without being able to open it again.
- ``0x02``, **wrapped**: ``crypto_secretbox`` under a 32-byte key, with its random 24-byte
  nonce in front. A private key is stored wrapped by a key derived from a password
  (``derive``: Argon2id) or by a recovery key.

The plaintext is padded to a multiple of ``BLOCK`` bytes first (ISO/IEC 7816-4, as
libsodium's ``sodium_pad``), so an envelope tells its content's length only roughly.
Anything else, or anything altered, is refused with ``EnvelopeError``: never an empty
answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nacl import pwhash
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.signing import SigningKey, VerifyKey
from nacl.utils import random

SEALED, WRAPPED = 0x01, 0x02
BLOCK = 256
KEY_BYTES = 32
SALT_BYTES = pwhash.argon2id.SALTBYTES  # 16
# Argon2id at 64 MiB and three passes: the floor, what the browser derives with.
OPS, MEMORY = 3, 64 * 1024 * 1024


class EnvelopeError(ValueError):
    """Not an envelope this format makes, or not one this key opens."""


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    private: bytes

    @classmethod
    def generate(cls) -> KeyPair:
        key = PrivateKey.generate()
        return cls(bytes(key.public_key), bytes(key))


def pad(data: bytes, block: int = BLOCK) -> bytes:
    """ISO/IEC 7816-4: a 0x80 byte, then zeros up to the next multiple of ``block``."""
    return data + b"\x80" + b"\x00" * (-(len(data) + 1) % block)


def unpad(data: bytes, block: int = BLOCK) -> bytes:
    end = data.rstrip(b"\x00")
    if not data or len(data) % block or not end.endswith(b"\x80") or len(data) - len(end) >= block:
        raise EnvelopeError("the padding is not this format's")
    return end[:-1]


def seal(public_key: bytes, data: bytes) -> bytes:
    """``data`` sealed to ``public_key``: only its private key opens it."""
    return bytes([SEALED]) + SealedBox(PublicKey(_key(public_key))).encrypt(pad(data))


def open_sealed(pair: KeyPair, envelope: bytes) -> bytes:
    body = _body(envelope, SEALED)
    try:
        return unpad(SealedBox(PrivateKey(_key(pair.private))).decrypt(body))
    except CryptoError:
        raise EnvelopeError("this key does not open the envelope, or it was altered") from None


def wrap(key: bytes, data: bytes) -> bytes:
    """``data`` under the secret ``key`` (a random nonce each time)."""
    return bytes([WRAPPED]) + bytes(SecretBox(_key(key)).encrypt(pad(data)))


def unwrap(key: bytes, envelope: bytes) -> bytes:
    body = _body(envelope, WRAPPED)
    try:
        return unpad(SecretBox(_key(key)).decrypt(body))
    except CryptoError:
        raise EnvelopeError("this key does not open the envelope, or it was altered") from None


def derive(password: str, salt: bytes, ops: int = OPS, memory: int = MEMORY) -> bytes:
    """A 32-byte key from a password (Argon2id, as ``crypto_pwhash`` in the browser)."""
    if len(salt) != SALT_BYTES:
        raise EnvelopeError(f"the salt is {SALT_BYTES} bytes")
    return bytes(pwhash.argon2id.kdf(KEY_BYTES, password.encode(), salt, ops, memory))


# The case code's keys: Argon2id under a salt every browser knows (the code holds 100 random
# bits, so nothing is gained by precomputing), cut in three: the id a case is found by, the
# secret that proves the code (kept only hashed), and the seed of the reporter's key pair.
CODE_SALT = b"vertrouwd.code.1"


@dataclass(frozen=True)
class CodeKeys:
    lookup: bytes
    secret: bytes
    pair: KeyPair


def code_keys(code: str) -> CodeKeys:
    """What a case code opens, as the reporter's browser derives it (``codeKeys``)."""
    out = bytes(pwhash.argon2id.kdf(3 * KEY_BYTES, code.encode(), CODE_SALT, OPS, MEMORY))
    key = PrivateKey.from_seed(out[2 * KEY_BYTES :])
    pair = KeyPair(bytes(key.public_key), bytes(key))
    return CodeKeys(out[:KEY_BYTES], out[KEY_BYTES : 2 * KEY_BYTES], pair)


# The firm's signing key certifies people's public keys: the key a case is handed over to
# must carry its signature. It comes from the escrow key (so the same two shares make it,
# offline), and signs "vertrouwd.key.1|<person id>|<public key>".
SIGN_PERSON = b"vertrouwd.sign.1"


def signing_seed(escrow_private: bytes) -> bytes:
    return hashlib.blake2b(_key(escrow_private), digest_size=32, person=SIGN_PERSON).digest()


def signing_public(escrow_private: bytes) -> bytes:
    return bytes(SigningKey(signing_seed(escrow_private)).verify_key)


def certificate_message(
    person_id: str, public_key: bytes, message_key: bytes | None = None
) -> bytes:
    """What the firm signs: the person, their X25519 key and, if they have one, the key
    their messages are signed with."""
    signed = b"vertrouwd.key.1|" + person_id.encode() + b"|" + _key(public_key)
    return signed + (_key(message_key) if message_key is not None else b"")


def certify(
    escrow_private: bytes, person_id: str, public_key: bytes, message_key: bytes | None = None
) -> bytes:
    """The firm's signature on ``person_id``'s public keys (64 bytes)."""
    key = SigningKey(signing_seed(escrow_private))
    return key.sign(certificate_message(person_id, public_key, message_key)).signature


def certified(
    signing_key: bytes,
    person_id: str,
    public_key: bytes,
    signature: bytes,
    message_key: bytes | None = None,
) -> bool:
    try:
        message = certificate_message(person_id, public_key, message_key)
        VerifyKey(_key(signing_key)).verify(message, signature)
        return True
    except (CryptoError, ValueError):
        return False


# A confidant signs what they write to a reporter (Ed25519), with a key derived from their
# private key, so that a server cannot put words in their mouth. The signature goes inside
# the envelope, in front of the text: 64 bytes, then the text.
MESSAGE_KEY = b"vertrouwd.msg.1"
SIGNATURE_BYTES = 64


def message_seed(private: bytes) -> bytes:
    return hashlib.blake2b(_key(private), digest_size=32, key=MESSAGE_KEY).digest()


def message_key(private: bytes) -> bytes:
    """The public key a person's messages are checked with."""
    return bytes(SigningKey(message_seed(private)).verify_key)


def _signed_text(case_id: str, text: str) -> bytes:
    return b"vertrouwd.msg.1|" + case_id.encode() + b"|" + text.encode()


def sign_message(private: bytes, case_id: str, text: str) -> bytes:
    """``text`` to the reporter of ``case_id``, signed: the plaintext to seal."""
    signature = SigningKey(message_seed(private)).sign(_signed_text(case_id, text)).signature
    return signature + text.encode()


def signed_message(message_key: bytes, case_id: str, opened: bytes) -> str | None:
    """The text of a signed message as opened, if its signature is ``message_key``'s."""
    signature, text = opened[:SIGNATURE_BYTES], opened[SIGNATURE_BYTES:]
    try:
        VerifyKey(_key(message_key)).verify(_signed_text(case_id, text.decode()), signature)
    except (CryptoError, ValueError):
        return None
    return text.decode()


# What a browser sends to log in instead of the password: Argon2id over it, salted by the
# user name. The key that wraps the private key is derived from the same password with
# another (random) salt, so the server, which only ever sees this, cannot derive that key.
LOGIN_PERSON = b"vertrouwd.login|"


def login_salt(username: str) -> bytes:
    return hashlib.blake2b(
        LOGIN_PERSON + username.lower().encode(), digest_size=SALT_BYTES
    ).digest()


def login_secret(username: str, password: str) -> str:
    """The log-in secret (hex), as the browser's ``loginSecret`` makes it."""
    return derive(password, login_salt(username)).hex()


def new_salt() -> bytes:
    return random(SALT_BYTES)


def _key(key: bytes) -> bytes:
    if len(key) != KEY_BYTES:
        raise EnvelopeError(f"a key is {KEY_BYTES} bytes")
    return key


def _body(envelope: bytes, kind: int) -> bytes:
    if not envelope:
        raise EnvelopeError("an empty envelope")
    if envelope[0] != kind:
        raise EnvelopeError(f"envelope version {envelope[0]}, not {kind}")
    return envelope[1:]

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from shared.crypto import DataKeys, DecryptionError, FieldCipher, ensure_data_keys


@pytest.fixture
def cipher(tmp_path: Path) -> FieldCipher:
    return FieldCipher(DataKeys.load(ensure_data_keys(tmp_path / "keys.json")))


def test_seal_and_open(cipher: FieldCipher) -> None:
    sealed = cipher.seal("Jan de Vries", doc_id="case-1", field="contact.name")
    assert set(sealed) == {"k", "n", "c"} and "Jan" not in str(sealed)
    assert cipher.open(sealed, doc_id="case-1", field="contact.name") == "Jan de Vries"
    assert cipher.seal("x", doc_id="a", field="f") != cipher.seal("x", doc_id="a", field="f")


def test_a_value_moved_to_another_case_or_field_does_not_open(cipher: FieldCipher) -> None:
    sealed = cipher.seal("jan@example.nl", doc_id="case-1", field="contact.email")
    with pytest.raises(DecryptionError):
        cipher.open(sealed, doc_id="case-2", field="contact.email")
    with pytest.raises(DecryptionError):
        cipher.open(sealed, doc_id="case-1", field="text")


def test_old_values_open_after_a_new_key(tmp_path: Path) -> None:
    path = ensure_data_keys(tmp_path / "keys.json")
    old = FieldCipher(DataKeys.load(path))
    sealed = old.seal("tekst", doc_id="d", field="text")
    rotated = DataKeys.load(path).with_new_key()
    rotated.save(path)
    new = FieldCipher(DataKeys.load(path))
    assert new.keys.current != sealed["k"]
    assert new.open(sealed, doc_id="d", field="text") == "tekst"
    assert new.seal("tekst", doc_id="d", field="text")["k"] == new.keys.current


def test_a_bad_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"current": "k9", "keys": {"k1": "AAAA"}, "code_salt": "AAAA"}')
    with pytest.raises(ValueError, match="current key"):
        DataKeys.load(path)


def test_addresses_are_hashed_with_their_own_key(tmp_path: Path) -> None:
    keys = DataKeys.load(ensure_data_keys(tmp_path / "keys.json"))
    assert len(keys.hash_key) == 32 and len(keys.code_salt) == 16
    assert keys.hash_key != keys.code_salt
    rotated = keys.with_new_key()  # a new data key leaves both alone
    assert (rotated.hash_key, rotated.code_salt) == (keys.hash_key, keys.code_salt)


def test_a_key_file_from_before_the_hash_key_keeps_hashing_as_it_did(tmp_path: Path) -> None:
    # Its stored hashes (threads, senders, claims) were made with code_salt: they must go
    # on matching, so the file is read and written back without a hash key of its own.
    path = tmp_path / "keys.json"
    salt = base64.b64encode(b"s" * 16).decode()
    key = base64.b64encode(b"k" * 32).decode()
    path.write_text(json.dumps({"current": "k1", "keys": {"k1": key}, "code_salt": salt}))
    keys = DataKeys.load(path)
    assert keys.hash_key == keys.code_salt == b"s" * 16
    keys.with_new_key().save(path)
    assert "hash_key" not in json.loads(path.read_text())
    assert DataKeys.load(path).hash_key == b"s" * 16


def test_a_short_hash_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    raw = json.loads(ensure_data_keys(path).read_text())
    path.write_text(json.dumps({**raw, "hash_key": "AAAA"}))
    with pytest.raises(ValueError, match="hash_key"):
        DataKeys.load(path)

from __future__ import annotations

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

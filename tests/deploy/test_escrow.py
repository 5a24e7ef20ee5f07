"""The escrow ceremony: any two of the three shares make the key again and open what was
sealed to it; one share, shares of another key, or a mistyped one are refused by name."""

from __future__ import annotations

import base64
import io
import itertools
from pathlib import Path

import pytest

from deploy import escrow
from shared import envelope


def test_any_two_shares_open_what_was_sealed_to_escrow() -> None:
    pair = envelope.KeyPair.generate()
    shares = escrow.split(pair)
    sealed = envelope.seal(pair.public, b"de sleutel van zaak 17")
    for two in itertools.combinations(shares, 2):
        made = escrow.combine(list(two))
        assert made == pair
        assert envelope.open_sealed(made, sealed) == b"de sleutel van zaak 17"
    assert escrow.combine(shares) == pair  # all three: as good


def test_too_few_foreign_or_mistyped_shares_are_refused() -> None:
    pair, other = envelope.KeyPair.generate(), envelope.KeyPair.generate()
    shares, others = escrow.split(pair), escrow.split(other)
    with pytest.raises(escrow.EscrowError, match="1 share"):
        escrow.combine(shares[:1])
    with pytest.raises(escrow.EscrowError, match="different keys"):
        escrow.combine([shares[0], others[1]])
    wrong = shares[1][:-1] + ("0" if shares[1][-1] != "0" else "1")
    with pytest.raises(escrow.EscrowError, match="mistyped"):
        escrow.combine([shares[0], wrong])
    with pytest.raises(escrow.EscrowError, match="not an escrow share"):
        escrow.combine(["hello", shares[0]])


def test_the_ceremony_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert escrow.main(["new"]) == 0
    printed = capsys.readouterr().out.splitlines()
    public = base64.b64decode(printed[1])
    shares = [line for line in printed if line.startswith(escrow.PREFIX)]
    assert len(shares) == 3 and len(public) == 32
    # Nothing of the private key is written anywhere: only what was printed makes it.
    sealed = tmp_path / "case-key.bin"
    sealed.write_bytes(envelope.seal(public, b"\x07" * 32))
    monkeypatch.setattr("sys.stdin", io.StringIO(shares[2] + "\n" + shares[0] + "\n"))
    assert escrow.main(["open", str(sealed)]) == 0
    assert base64.b64decode(capsys.readouterr().out) == b"\x07" * 32
    monkeypatch.setattr("sys.stdin", io.StringIO(shares[1] + "\n"))
    assert escrow.main(["open", str(sealed)]) == 1
    assert "refused: 1 share(s); 2 are needed" in capsys.readouterr().err


def test_the_firms_certificate_is_made_from_the_shares_and_checked_by_its_public_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert escrow.main(["new"]) == 0
    printed = capsys.readouterr().out.splitlines()
    signing = base64.b64decode(
        printed[printed.index(next(p for p in printed if "INTAKE_FIRM_SIGNING_KEY" in p)) + 1]
    )
    shares = [line for line in printed if line.startswith(escrow.PREFIX)]
    person = envelope.KeyPair.generate().public
    monkeypatch.setattr("sys.stdin", io.StringIO(shares[0] + "\n" + shares[1] + "\n"))
    assert escrow.main(["certify", "c-anna", base64.b64encode(person).decode()]) == 0
    signature = base64.b64decode(capsys.readouterr().out)
    assert envelope.certified(signing, "c-anna", person, signature)
    # For another person, another key, or altered: not certified.
    assert not envelope.certified(signing, "c-bram", person, signature)
    assert not envelope.certified(signing, "c-anna", envelope.KeyPair.generate().public, signature)
    assert not envelope.certified(
        signing, "c-anna", person, bytes([signature[0] ^ 1]) + signature[1:]
    )

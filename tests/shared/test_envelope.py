"""shared/envelope.py on its own: what it seals opens with the right key only, padded to
whole blocks; anything altered, another version or a wrong-sized key is refused."""

from __future__ import annotations

import pytest

from shared import envelope
from shared.envelope import EnvelopeError


def test_sealed_opens_with_its_private_key_only() -> None:
    pair, other = envelope.KeyPair.generate(), envelope.KeyPair.generate()
    sealed = envelope.seal(pair.public, b"wie meldde wat")
    assert sealed[0] == envelope.SEALED and b"wie meldde" not in sealed
    assert envelope.open_sealed(pair, sealed) == b"wie meldde wat"
    with pytest.raises(EnvelopeError, match="does not open"):
        envelope.open_sealed(other, sealed)
    altered = bytearray(sealed)
    altered[-1] ^= 1
    with pytest.raises(EnvelopeError, match="does not open"):
        envelope.open_sealed(pair, bytes(altered))
    # The same text twice: two different envelopes (an ephemeral key each time).
    assert envelope.seal(pair.public, b"x") != envelope.seal(pair.public, b"x")


def test_wrapped_opens_with_its_key_only_and_versions_are_not_mixed() -> None:
    key, other = bytes(32), bytes([1] * 32)
    wrapped = envelope.wrap(key, b"een privesleutel")
    assert envelope.unwrap(key, wrapped) == b"een privesleutel"
    with pytest.raises(EnvelopeError, match="does not open"):
        envelope.unwrap(other, wrapped)
    with pytest.raises(EnvelopeError, match="version 2, not 1"):
        envelope.open_sealed(envelope.KeyPair.generate(), wrapped)
    with pytest.raises(EnvelopeError, match="empty"):
        envelope.unwrap(key, b"")
    with pytest.raises(EnvelopeError, match="32 bytes"):
        envelope.wrap(bytes(16), b"x")


@pytest.mark.parametrize(("size", "blocks"), [(0, 1), (1, 1), (255, 1), (256, 2), (600, 3)])
def test_the_length_shows_only_in_whole_blocks(size: int, blocks: int) -> None:
    data = bytes([0x80, 0]) * (size // 2) + b"\x00" * (size % 2)  # pad-like bytes inside
    padded = envelope.pad(data)
    assert len(padded) == blocks * envelope.BLOCK
    assert envelope.unpad(padded) == data
    pair = envelope.KeyPair.generate()
    assert len(envelope.seal(pair.public, data)) == 1 + 48 + blocks * envelope.BLOCK


def test_padding_that_is_not_this_formats_is_refused() -> None:
    for bad in (b"", b"\x00" * 256, b"abc" + b"\x00" * 253, b"\x80" + b"\x00" * 254):
        with pytest.raises(EnvelopeError, match="padding"):
            envelope.unpad(bad)


def test_a_password_gives_one_key_per_salt() -> None:
    salt = envelope.new_salt()
    once = envelope.derive("een lang wachtwoord", salt, ops=1, memory=8 * 1024 * 1024)
    again = envelope.derive("een lang wachtwoord", salt, ops=1, memory=8 * 1024 * 1024)
    other = envelope.derive("een lang wachtwoord", envelope.new_salt(), 1, 8 * 1024 * 1024)
    assert once == again and len(once) == 32 and once != other
    with pytest.raises(EnvelopeError, match="salt"):
        envelope.derive("x", b"short")

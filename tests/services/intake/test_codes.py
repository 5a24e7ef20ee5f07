"""Case codes: their entropy, how they are read back, their hash."""

from __future__ import annotations

from services.intake.domain import codes


def test_case_codes_have_at_least_80_bits_and_read_forgivingly() -> None:
    assert codes.CODE_BITS >= 80 and len(codes.ALPHABET) == 32
    code = codes.new_code()
    assert len(code) == 24 and code.count("-") == 4
    assert codes.normalise(code.lower().replace("-", " ")) == code
    assert codes.normalise(code[:-1]) is None
    assert len({codes.new_code() for _ in range(1000)}) == 1000
    # O, I, L and U are read as the digits or letter people mean.
    assert codes.normalise("O" * 20) == "0000-0000-0000-0000-0000"


def test_code_hash_is_deterministic_per_salt() -> None:
    salt_a, salt_b = b"a" * 16, b"b" * 16
    h = codes.hash_code("ABCD", salt=salt_a, time_cost=1, memory_kib=8192)
    assert h == codes.hash_code("ABCD", salt=salt_a, time_cost=1, memory_kib=8192)
    assert h != codes.hash_code("ABCD", salt=salt_b, time_cost=1, memory_kib=8192)
    assert len(h) == 64

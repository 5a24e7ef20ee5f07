"""Disclosure control: examples, and an attacker that tries to undo it (hypothesis)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.suppression import (
    TOTAL,
    Cell,
    Published,
    full_table,
    lines,
    suppress,
)

ROWS = ["pesten", "intimidatie", "integriteit"]
COLS = ["Q1", "Q2", "Q3"]


def test_small_counts_are_shown_as_less_than_k() -> None:
    published = suppress(["pesten", "discriminatie"], ["Q1", "Q2"], [[7, 2], [6, 9]], k=5)
    assert published.shown(0, 1) == "x"
    assert published.value(1, 1) == 9 or published.value(1, 1) is None
    assert published.value(0, 1) is None


def test_one_hidden_cell_in_a_line_gets_a_complement() -> None:
    published = suppress(["a", "b"], ["x", "y", "z"], [[10, 2, 8], [7, 6, 9]], k=5)
    hidden_in_row = [c for c in range(3) if published.value(0, c) is None]
    assert len(hidden_in_row) >= 2 or published.value(0, -1) is None
    assert all(published.shown(0, c) == "x" for c in hidden_in_row)


def test_zeros_point_at_nobody() -> None:
    published = suppress(["a"], ["x", "y"], [[0, 12]], k=5)
    assert published.value(0, 0) == 0 and published.value(0, 1) == 12


def test_below_the_minimum_no_breakdown() -> None:
    published = suppress(["a"], ["x", "y"], [[3, 4]], k=5, min_total=10)
    assert published.withheld and all(v is None for v in published.cells.values())


def test_a_difference_with_an_earlier_report_is_protected() -> None:
    first = suppress(ROWS, COLS, [[9, 8, 7], [6, 9, 8], [7, 6, 9]], k=5)
    assert all(v is not None for v in first.cells.values())
    # A later report for a longer period: two more cases of intimidation in Q2.
    later = suppress(ROWS, COLS, [[9, 8, 7], [6, 11, 8], [7, 6, 9]], k=5, earlier=[first.cells])
    assert later.value(1, 1) is None and later.shown(1, 1) == "x"


# -- the attacker -------------------------------------------------------------------------------


def can_be_recovered(
    published: Published,
    truth: dict[Cell, int],
    target: Cell,
    earlier: dict[Cell, int | None] | None = None,
) -> bool:
    """Whether everything published pins ``target`` to its true value: search for any
    consistent table in which it is different. The attacker knows every published value,
    every line's sum, that counts are non-negative, that a "< k" cell is 1..k-1, and (with
    ``earlier``) that no count went down since the earlier report. Every unknown is bounded
    by the grand total when it is published, and by the true grand total plus k when it is
    not: tighter than an attacker could know, so the test errs toward finding leaks."""
    k = published.k
    n_rows, n_cols = len(published.rows), len(published.columns)
    bound = truth[TOTAL] if published.cells[TOTAL] is not None else truth[TOTAL] + k
    unknown = [c for c, v in published.cells.items() if v is None]
    domains: dict[Cell, range] = {}
    for cell in unknown:
        low = 1 if cell in published.primary else 0  # "< k" says: at least 1
        if earlier and earlier.get(cell) is not None:
            low = max(low, int(earlier[cell] or 0))
        high = k - 1 if cell in published.primary else bound
        domains[cell] = range(low, high + 1)
    equations = lines(n_rows, n_cols)
    value: dict[Cell, int] = {c: v for c, v in published.cells.items() if v is not None}

    def consistent() -> bool:
        for total, members in equations:
            cells = [*members, total]
            if all(c in value for c in cells):
                if sum(value[m] for m in members) != value[total]:
                    return False
            elif total in value:
                if sum(value[m] for m in members if m in value) > value[total]:
                    return False
        return True

    def search(i: int) -> bool:
        if i == len(unknown):
            return value[target] != truth[target]
        cell = unknown[i]
        for candidate in domains[cell]:
            value[cell] = candidate
            if consistent() and search(i + 1):
                return True
        del value[cell]
        return False

    return not search(0)


def hidden_small_counts(published: Published, truth: dict[Cell, int]) -> list[Cell]:
    return [c for c, v in published.cells.items() if v is None and 1 <= truth[c] < published.k]


tables = st.integers(1, 3).flatmap(
    lambda r: st.integers(1, 3).flatmap(
        lambda c: st.lists(
            st.lists(st.integers(0, 7), min_size=c, max_size=c), min_size=r, max_size=r
        )
    )
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=tables, k=st.integers(3, 6))
def test_no_hidden_count_can_be_recovered_from_what_is_published(
    counts: Sequence[Sequence[int]], k: int
) -> None:
    rows = [f"r{i}" for i in range(len(counts))]
    cols = [f"c{i}" for i in range(len(counts[0]))]
    published = suppress(rows, cols, counts, k=k)
    truth = full_table(counts)
    for cell, shown in published.cells.items():
        assert shown is None or shown == truth[cell]  # what is shown is true
        if 1 <= truth[cell] < k:
            assert shown is None  # every small count is hidden
    for target in hidden_small_counts(published, truth):
        assert not can_be_recovered(published, truth, target), (counts, k, target)


def test_the_attacker_finds_a_single_hidden_cell() -> None:
    # Hand-made: hide one cell only and publish the rest: the attacker must recover it.
    counts = [[10, 2, 8]]
    truth = full_table(counts)
    naive = Published(["a"], ["x", "y", "z"], {**truth, (0, 1): None}, frozenset({(0, 1)}), k=5)
    assert can_be_recovered(naive, truth, (0, 1))


@pytest.mark.parametrize("k", [2, 1, 0])
def test_k_must_be_at_least_three(k: int) -> None:
    with pytest.raises(ValueError, match="k must be"):
        suppress(["a"], ["x"], [[1]], k=k)

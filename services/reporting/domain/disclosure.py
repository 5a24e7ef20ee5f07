"""Disclosure control: what of a report may be shown, so that no small count can be worked out.

Pure: no I/O. A report shows, per population (cases, conversations), a total and one-way
breakdowns (by category, channel, ...), over a period of months. The attacker sees every
report published for the organisation and knows the rules:

- a count from 1 to k-1 is shown as ``"< k"`` (primary suppression), so it lies in [1, k-1];
- a cell hidden to protect another is shown as ``"x"`` (complementary suppression). Only
  counts of k or more are hidden that way, so the attacker may assume ``"x"`` >= k;
- a zero is shown as 0, every other count exactly; a total too is shown as ``"< k"`` when it
  is from 1 to k-1 (and then its population is not broken down at all).

``audit`` writes all of that as an integer program over the unknown counts per month
segment (the months between any two report boundaries) and asks, for every hidden cell,
whether it is pinned to one value, and for every count over a run of segments (what the
difference of two overlapping reports gives), whether it is pinned to a value from 1 to
k-1. ``protect`` suppresses more cells of the new report until the audit finds nothing, or
withholds a breakdown, or refuses the report (a total alone would give a small count away).

The programs are solved with SciPy (HiGHS): a linear relaxation first, which settles almost
every question, and the integer program only where the relaxation leaves less than two
values.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

Shown = int | str  # an exact count, "< k" or "x"
HIDDEN_SMALL = "<"  # prefix of "< k"
COMPLEMENTARY = "x"
PERIOD = "period"  # the dimension of a leak in the totals of sub-periods (the quarters)


class NotPublishable(Exception):
    """The report would reveal a small count however its cells are hidden."""


@dataclass(frozen=True)
class Table:
    """A one-way breakdown of a population over a period, as published."""

    population: str  # "cases", "conversations", ...
    dimension: str  # "category", "channel", ...
    cells: Mapping[str, Shown]


@dataclass(frozen=True)
class Release:
    """What one report shows: per population a total, and its breakdowns. Months are
    integers (year * 12 + month - 1); the period is [start, end)."""

    start: int
    end: int
    totals: Mapping[str, Shown]  # population -> total: exact, or "< k" from 1 to k-1
    tables: Sequence[Table] = ()
    # Totals of sub-periods (the quarters), shown like cells: (population, start, end) -> shown.
    sub_totals: Mapping[tuple[str, int, int], Shown] = field(default_factory=dict)


@dataclass(frozen=True)
class Counts:
    """The true counts of a report, before any suppression."""

    start: int
    end: int
    totals: Mapping[str, int]
    breakdowns: Mapping[tuple[str, str], Mapping[str, int]]  # (population, dim) -> counts
    sub_totals: Mapping[tuple[str, int, int], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Leak:
    kind: Literal["hidden_cell", "small_difference"]
    population: str
    dimension: str  # "" for a total
    value: str  # "" for a total
    start: int
    end: int
    count: int


def label(k: int) -> str:
    return f"< {k}"


def primary(counts: Counts, k: int) -> Release:
    """Every count from 1 to k-1 shown as "< k"."""
    tables = [
        Table(pop, dim, {v: (label(k) if 0 < n < k else n) for v, n in cells.items()})
        for (pop, dim), cells in counts.breakdowns.items()
    ]
    sub_totals: dict[tuple[str, int, int], Shown] = {
        key: (label(k) if 0 < n < k else n) for key, n in counts.sub_totals.items()
    }
    totals: dict[str, Shown] = {p: (label(k) if 0 < n < k else n) for p, n in counts.totals.items()}
    return Release(counts.start, counts.end, totals, tables, sub_totals)


# -- the attacker's integer program -----------------------------------------------------------


@dataclass
class _Program:
    """Unknowns: per population, segment and (dimension, value) the count, and per population
    and segment the total. Equalities: what was shown exactly. Bounds: what labels say."""

    segments: list[tuple[int, int]]
    index: dict[tuple[str, str, str, int], int] = field(default_factory=dict)
    rows: list[dict[int, float]] = field(default_factory=list)
    rhs: list[float] = field(default_factory=list)
    # Sums of unknowns with bounds (hidden cells): (coefficients, low, high).
    ranged: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def var(self, population: str, dimension: str, value: str, segment: int) -> int:
        key = (population, dimension, value, segment)
        if key not in self.index:
            self.index[key] = len(self.index)
        return self.index[key]

    def covering(self, start: int, end: int) -> list[int]:
        return [i for i, (s, e) in enumerate(self.segments) if s >= start and e <= end]


def _segments(releases: Iterable[Release]) -> list[tuple[int, int]]:
    cuts: set[int] = set()
    for r in releases:
        cuts |= {r.start, r.end}
        for _, s, e in r.sub_totals:
            cuts |= {s, e}
    points = sorted(cuts)
    return list(itertools.pairwise(points))


def _program(releases: Sequence[Release], k: int) -> _Program:
    p = _Program(_segments(releases))
    dims: dict[str, dict[str, set[str]]] = {}
    for r in releases:
        for t in r.tables:
            dims.setdefault(t.population, {}).setdefault(t.dimension, set()).update(t.cells)
    for r in releases:
        for population in r.totals:
            dims.setdefault(population, {})
    # Each breakdown of a population adds up, per segment, to the population's total there.
    for population, by_dim in dims.items():
        for s in range(len(p.segments)):
            total = p.var(population, "", "", s)
            for dimension, values in by_dim.items():
                row = {p.var(population, dimension, v, s): 1.0 for v in sorted(values)}
                row[total] = -1.0
                p.rows.append(row)
                p.rhs.append(0.0)
    for r in releases:
        segs = p.covering(r.start, r.end)
        for population, shown_total in r.totals.items():
            _constrain(p, {p.var(population, "", "", s): 1.0 for s in segs}, shown_total, k)
        for (population, start, end), shown in r.sub_totals.items():
            coefficients = {p.var(population, "", "", s): 1.0 for s in p.covering(start, end)}
            _constrain(p, coefficients, shown, k)
        for t in r.tables:
            for value, shown in t.cells.items():
                coefficients = {p.var(t.population, t.dimension, value, s): 1.0 for s in segs}
                _constrain(p, coefficients, shown, k)
    return p


def _constrain(p: _Program, coefficients: dict[int, float], shown: Shown, k: int) -> None:
    """What a shown value tells: the count itself, [1, k-1] for "< k", k or more for "x"."""
    if isinstance(shown, int):
        p.rows.append(coefficients)
        p.rhs.append(float(shown))
    elif shown.startswith(HIDDEN_SMALL):
        p.ranged.append((coefficients, 1.0, float(k - 1)))
    else:
        p.ranged.append((coefficients, float(k), np.inf))


def _matrices(p: _Program) -> tuple[np.ndarray, np.ndarray, list[LinearConstraint]]:
    n = len(p.index)
    a_eq = np.zeros((len(p.rows), n))
    for i, row in enumerate(p.rows):
        for j, c in row.items():
            a_eq[i, j] = c
    b_eq = np.array(p.rhs)
    ranged = []
    for coefficients, low, high in p.ranged:
        a = np.zeros((1, n))
        for j, c in coefficients.items():
            a[0, j] = c
        ranged.append(LinearConstraint(a, low, high))
    return a_eq, b_eq, ranged


class _Solver:
    def __init__(self, p: _Program) -> None:
        self.p = p
        self.n = len(p.index)
        self.a_eq, self.b_eq, self.ranged = _matrices(p)
        self.a_ub, self.b_ub = self._inequalities()

    def _objective(self, coefficients: Mapping[int, float]) -> np.ndarray:
        c = np.zeros(self.n)
        for j, v in coefficients.items():
            c[j] = v
        return c

    def _inequalities(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The ranged constraints as A_ub x <= b_ub, built once per audit."""
        a_ub, b_ub = [], []
        for con in self.ranged:
            row = np.asarray(con.A).reshape(-1)
            if np.isfinite(con.ub).all():
                a_ub.append(row)
                b_ub.append(float(np.asarray(con.ub).reshape(-1)[0]))
            a_ub.append(-row)
            b_ub.append(-float(np.asarray(con.lb).reshape(-1)[0]))
        return (np.array(a_ub), np.array(b_ub)) if a_ub else (None, None)

    def _lp(self, c: np.ndarray) -> float | None:
        result = linprog(
            c,
            A_ub=self.a_ub,
            b_ub=self.b_ub,
            A_eq=self.a_eq if len(self.a_eq) else None,
            b_eq=self.b_eq if len(self.b_eq) else None,
            bounds=(0, None),
            method="highs",
        )
        return float(result.fun) if result.status == 0 else None

    def _ip(self, c: np.ndarray) -> float | None:
        constraints = [*self.ranged]
        if len(self.a_eq):
            constraints.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        result = milp(
            c,
            constraints=constraints,
            integrality=np.ones(self.n),
            bounds=Bounds(np.zeros(self.n), np.full(self.n, np.inf)),
        )
        return float(result.fun) if result.status == 0 else None

    def range(self, coefficients: Mapping[int, float]) -> tuple[float, float] | None:
        """The smallest and largest value the sum can take, or None when unbounded."""
        c = self._objective(coefficients)
        low, high = self._lp(c), self._lp(-c)
        if low is None or high is None:
            return None
        high = -high
        if high - low < 2 - 1e-6:  # the relaxation leaves fewer than three values: ask exactly
            low_ip, high_ip = self._ip(c), self._ip(-c)
            if low_ip is None or high_ip is None:
                return None
            return round(low_ip), round(-high_ip)
        return low, high


def audit(releases: Sequence[Release], k: int) -> list[Leak]:
    """Every way the releases together give a small count away (empty: none)."""
    if not releases:
        return []
    p = _program(releases, k)
    solver = _Solver(p)
    return [*_pinned(releases, p, solver), *_small_differences(releases, p, solver, k)]


def _hidden(releases: Sequence[Release], p: _Program) -> Iterator[tuple[Leak, dict[int, float]]]:
    """Every hidden figure of the releases (a total, a sub-period total, a cell), as the leak
    it would be if pinned (its count still 0) and the unknowns it sums."""
    for r in releases:
        segs = p.covering(r.start, r.end)
        for population, shown in r.totals.items():
            if not isinstance(shown, int):
                row = {p.index[(population, "", "", s)]: 1.0 for s in segs}
                yield Leak("hidden_cell", population, "", "", r.start, r.end, 0), row
        for (population, start, end), shown in r.sub_totals.items():
            if not isinstance(shown, int):
                row = {p.index[(population, "", "", s)]: 1.0 for s in p.covering(start, end)}
                yield Leak("hidden_cell", population, PERIOD, "", start, end, 0), row
        for t in r.tables:
            for value, shown in t.cells.items():
                if not isinstance(shown, int):
                    row = {p.index[(t.population, t.dimension, value, s)]: 1.0 for s in segs}
                    yield (
                        Leak("hidden_cell", t.population, t.dimension, value, r.start, r.end, 0),
                        row,
                    )


def _pinned(releases: Sequence[Release], p: _Program, solver: _Solver) -> list[Leak]:
    """Hidden figures that what was published pins to one value."""
    leaks = []
    for leak, row in _hidden(releases, p):
        found = solver.range(row)
        if found is not None and found[0] == found[1]:
            leaks.append(replace(leak, count=int(found[0])))
    return leaks


def _overlapping(spans: Mapping[Any, list[tuple[int, int]]]) -> set[Any]:
    return {
        key
        for key, found in spans.items()
        if any(a[0] < b[1] and b[0] < a[1] for a, b in itertools.combinations(found, 2))
    }


def _small_differences(
    releases: Sequence[Release], p: _Program, solver: _Solver, k: int
) -> list[Leak]:
    """Counts over runs of segments that no release shows, pinned from 1 to k-1: what
    differences of releases reveal."""
    shown_periods = {(r.start, r.end) for r in releases} | {
        (s, e)
        for r in releases
        for (_, s, e), shown in r.sub_totals.items()
        if isinstance(shown, int)
    }
    # A cell over part of a release's period is known only where releases that show the
    # breakdown overlap; otherwise it is known only where every other cell is zero, and then
    # it equals the population's total over that part, which is checked for every run.
    periods: dict[tuple[str, str], list[tuple[int, int]]] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for r in releases:
        for t in r.tables:
            periods.setdefault((t.population, t.dimension), []).append((r.start, r.end))
        for pop in r.totals:
            spans.setdefault(pop, []).append((r.start, r.end))
    overlapping = _overlapping(periods)
    # A total over part of a period is known only through sub-period totals or overlaps.
    split = {pop for r in releases for (pop, _, _) in r.sub_totals} | _overlapping(spans)
    keys = {
        (pop, dim, val)
        for (pop, dim, val, _) in p.index
        if (dim == "" and pop in split) or (pop, dim) in overlapping
    }
    # Releases that do not overlap are separate problems: a run across two of them is
    # small and known only if its part in one of them is, which is found there.
    component = _components(releases, p.segments)
    leaks = []
    for i, j in itertools.combinations(range(len(p.segments) + 1), 2):
        start, end = p.segments[i][0], p.segments[j - 1][1]
        if (start, end) in shown_periods or component[i] != component[j - 1]:
            continue
        for population, dimension, value in sorted(keys):
            coefficients = {p.index[(population, dimension, value, s)]: 1.0 for s in range(i, j)}
            found = solver.range(coefficients)
            if found is not None and found[0] == found[1] and 0 < found[0] < k:
                leaks.append(
                    Leak(
                        "small_difference", population, dimension, value, start, end, int(found[0])
                    )
                )
    return leaks


def _components(releases: Sequence[Release], segments: list[tuple[int, int]]) -> list[int]:
    """For each segment, which group of overlapping releases it belongs to."""
    spans = sorted((r.start, r.end) for r in releases)
    groups: list[list[int]] = []
    for start, end in spans:
        if groups and start < groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], end)
        else:
            groups.append([start, end])
    return [
        next((g for g, (a, b) in enumerate(groups) if a <= s and e <= b), -1 - i)
        for i, (s, e) in enumerate(segments)
    ]


def protect(counts: Counts, earlier: Sequence[Release], k: int, min_cases: int) -> Release:
    """The release of ``counts`` that shows as much as it can and gives nothing away, given
    the ``earlier`` releases of the same organisation. Raises ``NotPublishable``."""
    release = primary(counts, k)
    # A population with too few members is not broken down at all: its total alone (and
    # that too is audited). Whistleblower reports count against the organisation's cases.
    few = {p for p, n in counts.totals.items() if n < min_cases or 0 < n < k}
    if counts.totals.get("cases", 0) < min_cases:
        few |= set(counts.totals)
    release = replace(
        release,
        tables=[t for t in release.tables if t.population not in few],
        sub_totals={key: v for key, v in release.sub_totals.items() if key[0] not in few},
    )
    for _ in range(200):
        leaks = audit([*earlier, release], k)
        if not leaks:
            return release
        release = _repair(release, leaks[0], counts, k)
    raise NotPublishable("no suppression pattern found")  # pragma: no cover (a safety net)


def _repair(release: Release, leak: Leak, counts: Counts, k: int) -> Release:
    """One more cell hidden (or a breakdown withheld) against ``leak``."""
    if leak.dimension == PERIOD:
        return _repair_sub_totals(release, counts, k)
    if leak.dimension == "":
        raise NotPublishable(
            f"the {leak.population} total would reveal a count below {k} "
            "in the difference with an earlier report"
        )
    tables = list(release.tables)
    position = next(
        (
            i
            for i, t in enumerate(tables)
            if (t.population, t.dimension) == (leak.population, leak.dimension)
        ),
        None,
    )
    if position is None:
        # The leak is in an earlier release's breakdown, which this one no longer shows:
        # withhold every breakdown of that population here.
        raise NotPublishable(
            f"the {leak.dimension} breakdown of {leak.population} would reveal a count below {k}"
        )
    table = tables[position]
    true = counts.breakdowns[(table.population, table.dimension)]
    cells = dict(table.cells)
    if (
        leak.kind == "small_difference"
        and isinstance(cells.get(leak.value), int)
        and true[leak.value] >= k
    ):
        choice: str | None = leak.value
    else:
        # The smallest count shown that may be hidden as "x" (only counts of k or more are).
        open_cells = [v for v, shown in cells.items() if isinstance(shown, int) and shown >= k]
        choice = min(open_cells, key=lambda v: (true[v], v)) if open_cells else None
    if choice is None:
        del tables[position]  # nothing left to hide: the breakdown is withheld
    else:
        cells[choice] = COMPLEMENTARY
        tables[position] = Table(table.population, table.dimension, cells)
    return replace(release, tables=tables)


def _repair_sub_totals(release: Release, counts: Counts, k: int) -> Release:
    """Hide one more sub-period total (k or more) as "x", or withhold them all."""
    shown = dict(release.sub_totals)
    open_keys = [key for key, v in shown.items() if isinstance(v, int) and v >= k]
    if not open_keys:
        return replace(release, sub_totals={})
    choice = min(open_keys, key=lambda key: (counts.sub_totals[key], key))
    shown[choice] = COMPLEMENTARY
    return replace(release, sub_totals=shown)

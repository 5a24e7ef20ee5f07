"""Trend signals: rules over the case projection, proposed to a confidant who confirms them.
Pure: no I/O. A signal names a category or a department, never a person, and only when at
least k cases stand behind it (k is at least 3, so the rule of three becomes the rule of k
where k is higher)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from services.reporting.store.documents import CaseFacts

WINDOW = timedelta(days=90)
CLUSTER = 3  # reports from one department within the window
RISE = 2.0  # a category at least doubling against the window before


@dataclass(frozen=True)
class Proposal:
    rule: Literal["department_cluster", "category_rise"]
    category: str | None
    department_index: int | None
    window_end: str  # the day the window ended, so the same trend is proposed once per day

    @property
    def key(self) -> str:
        what = self.category if self.category is not None else f"dept{self.department_index}"
        return f"{self.rule}-{what}-{self.window_end}"


def detect(cases: Iterable[CaseFacts], now: datetime, k: int) -> list[Proposal]:
    recent: Counter[Any] = Counter()
    before: Counter[Any] = Counter()
    departments: Counter[int] = Counter()
    for case in cases:
        opened = case.get("opened_at")
        if not opened:
            continue
        at = datetime.fromisoformat(opened)
        if now - WINDOW <= at <= now:
            recent[case["category"]] += 1
            department = case.get("department")
            if department is not None:
                departments[department] += 1
        elif now - 2 * WINDOW <= at < now - WINDOW:
            before[case["category"]] += 1
    day = now.date().isoformat()
    threshold = max(CLUSTER, k)
    found = [
        Proposal("department_cluster", None, index, day)
        for index, n in sorted(departments.items())
        if n >= threshold
    ]
    found += [
        Proposal("category_rise", category, None, day)
        for category, n in sorted(recent.items())
        if n >= k and n >= RISE * max(before[category], 1)
    ]
    return found

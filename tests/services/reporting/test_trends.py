"""Trend signals from the projection: a department cluster and a category rise, each only
with at least k cases behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from services.reporting.domain.trends import detect
from services.reporting.store.documents import CaseFacts

NOW = datetime(2027, 6, 1, tzinfo=UTC)


def case(days_ago: int, category: str = "pesten", department: int | None = None) -> CaseFacts:
    opened = (NOW - timedelta(days=days_ago)).isoformat()
    return cast(CaseFacts, {"opened_at": opened, "category": category, "department": department})


def test_a_department_with_k_recent_reports_is_proposed_once_a_day() -> None:
    cases = [case(10, department=2) for _ in range(4)] + [case(10, department=1)]
    [found] = [p for p in detect(cases, NOW, k=4) if p.rule == "department_cluster"]
    assert found.department_index == 2 and found.key == "department_cluster-dept2-2027-06-01"
    assert not [p for p in detect(cases, NOW, k=5) if p.rule == "department_cluster"]


def test_a_category_that_doubles_against_the_window_before_rises() -> None:
    recent = [case(5, "discriminatie") for _ in range(4)]
    before = [case(120, "discriminatie") for _ in range(2)]
    assert [p.category for p in detect(recent + before, NOW, k=3)] == ["discriminatie"]
    steady = [*before, case(120, "discriminatie")]
    assert detect(recent + steady, NOW, k=3) == []  # 4 against 3: no doubling
    assert detect(recent[:2], NOW, k=3) == []  # fewer than k: nothing, whatever the rise

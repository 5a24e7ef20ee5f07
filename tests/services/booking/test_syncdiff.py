"""The sync's diff as pure logic: whatever sequence of adds, moves and deletes a calendar
sees, applying each as a delta gives the buckets a fresh full read of the end state gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.booking.busystore import BUCKETS, bucket_of, spread
from services.booking.dav import name_of
from services.booking.syncdiff import delta, full, removal_held

BASE = datetime(2027, 1, 4, 8, tzinfo=UTC)


def obj(name: str, hour: int) -> dict[str, Any]:
    start = BASE + timedelta(hours=hour)
    return {"name": name, "intervals": [{"s": start, "e": start + timedelta(minutes=45)}]}


names = st.sampled_from([f"event-{i}.ics" for i in range(40)])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("put"), names, st.integers(0, 500)),  # add, or move
        st.tuples(st.just("delete"), names, st.just(0)),
        st.tuples(st.just("broken"), names, st.just(0)),  # a changed object that cannot be read
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(names, st.integers(0, 500), max_size=20), st.lists(steps, max_size=6))
def test_deltas_end_where_a_full_read_ends(
    start: dict[str, int], syncs: list[list[tuple[str, str, int]]]
) -> None:
    calendar = {name: obj(name, hour) for name, hour in start.items()}
    buckets, removed = full({}, dict(calendar))
    assert removed == []
    for changes in syncs:
        # One sync: the objects changed since the last one, and those deleted.
        changed: dict[str, dict[str, Any] | None] = {}
        deleted: list[str] = []
        for kind, name, hour in changes:
            if kind == "put":
                calendar[name] = obj(name, hour)
                changed[name] = calendar[name]
                deleted = [d for d in deleted if d != name]
            elif kind == "broken":
                calendar.pop(name, None)  # unreadable: it blocks nothing
                changed[name] = None
            else:
                calendar.pop(name, None)
                changed.pop(name, None)
                deleted.append(name)
        touched = {bucket_of(n) for n in [*changed, *deleted]}
        updated = delta({b: buckets[b] for b in touched}, changed, deleted)
        assert set(updated) == touched  # only what the delta touched is rewritten
        buckets = {**buckets, **updated}
        assert buckets == spread(calendar.values())
    fresh, gone = full(buckets, dict(calendar))
    assert fresh == buckets and gone == []


def test_a_full_read_names_what_it_no_longer_has() -> None:
    before = spread([obj("a.ics", 1), obj("b.ics", 2), obj("c.ics", 3)])
    after, removed = full(before, {"a.ics": obj("a.ics", 1), "c.ics": None})
    assert sorted(removed) == ["b.ics", "c.ics"]
    assert len(after) == BUCKETS and sum(len(b) for b in after.values()) == 1


def test_names_from_paths_urls_and_escapes() -> None:
    assert name_of("/cal/vertrouwd-1%40vertrouwd.ics") == "vertrouwd-1@vertrouwd.ics"
    assert name_of("http://h:1/u/cal/x.ics") == "x.ics"


def test_removals_held_only_for_most_of_a_real_calendar() -> None:
    assert removal_held(10, 6, 0.5) and not removal_held(10, 5, 0.5)
    assert not removal_held(4, 4, 0.5)  # a small calendar may be emptied by hand

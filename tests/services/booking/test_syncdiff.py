"""The sync's diff as pure logic: whatever sequence of adds, moves and deletes a calendar
sees, applying each as a delta gives the buckets a fresh full read of the end state gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from services.booking.calendars.dav import name_of
from services.booking.domain.syncdiff import delta, effective, fold, full, read, removal_held, stage
from services.booking.store.busystore import (
    BUCKETS,
    Bucket,
    BusyObject,
    Span,
    bucket_of,
    decode,
    encode,
    spread,
)

BASE = datetime(2027, 1, 4, 8, tzinfo=UTC)


def obj(name: str, hour: int) -> BusyObject:
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
        changed: dict[str, BusyObject | None] = {}
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
    assert fresh == {} and gone == []  # a full read of the same: nothing to write


def test_a_full_read_names_what_it_no_longer_has() -> None:
    before = spread([obj("a.ics", 1), obj("b.ics", 2), obj("c.ics", 3)])
    after, removed = full(before, {"a.ics": obj("a.ics", 1), "c.ics": None})
    assert sorted(removed) == ["b.ics", "c.ics"]
    assert set(after) == {bucket_of("b.ics"), bucket_of("c.ics")} - {bucket_of("a.ics")}
    assert {**before, **after} == spread([obj("a.ics", 1)])
    assert len(full({}, {"a.ics": obj("a.ics", 1)})[0]) == BUCKETS  # the first: all


def test_names_from_paths_urls_and_escapes() -> None:
    assert name_of("/cal/vertrouwd-1%40vertrouwd.ics") == "vertrouwd-1@vertrouwd.ics"
    assert name_of("http://h:1/u/cal/x.ics") == "x.ics"


def test_removals_held_only_for_most_of_a_real_calendar() -> None:
    assert removal_held(10, 6, 0.5) and not removal_held(10, 5, 0.5)
    assert not removal_held(4, 4, 0.5)  # a small calendar may be emptied by hand


EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:u\r\n"
    "DTSTAMP:20261101T000000Z\r\nDTSTART:20270104T090000Z\r\nDTEND:20270104T100000Z\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)
WINDOW = (BASE - timedelta(days=1), BASE + timedelta(days=366))


def test_a_listing_reads_again_only_what_changed_or_was_read_too_long_ago() -> None:
    first = read({"/cal/a.ics": ('"1"', EVENT)}, ZoneInfo("UTC"), WINDOW)
    known = {name: obj for name, obj in first.objects.items() if obj is not None}
    assert known["a.ics"]["etag"] == '"1"'
    # The same ETag: taken as read (the text is not even looked at).
    again = read({"/cal/a.ics": ('"1"', "kapot")}, ZoneInfo("UTC"), WINDOW, known)
    assert again.objects == first.objects and again.broken == []
    # Another ETag: read again.
    changed = read({"/cal/a.ics": ('"2"', "kapot")}, ZoneInfo("UTC"), WINDOW, known)
    assert changed.objects == {"a.ics": None} and changed.broken
    # Read for a window that ended more than a day earlier: read again.
    later = (WINDOW[0] + timedelta(days=2), WINDOW[1] + timedelta(days=2))
    stale = read({"/cal/a.ics": ('"1"', "kapot")}, ZoneInfo("UTC"), later, known)
    assert stale.objects == {"a.ics": None}
    # A server that sends no ETag: always read.
    bare = read({"/cal/a.ics": ("", "kapot")}, ZoneInfo("UTC"), WINDOW, known)
    assert bare.objects == {"a.ics": None}


@given(
    st.text(min_size=1, max_size=30),
    st.one_of(st.none(), st.text(max_size=20)),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 10**5)), max_size=5),
)
def test_an_object_stored_as_a_line_reads_back_the_same(
    name: str, etag: str | None, spans: list[tuple[int, int]]
) -> None:
    intervals: list[Span] = [
        {"s": BASE + timedelta(seconds=s), "e": BASE + timedelta(seconds=s + n)} for s, n in spans
    ]
    stored: BusyObject = {"name": name, "intervals": intervals, "etag": etag or None, "until": BASE}
    assert decode(encode(stored)) == stored
    earlier: BusyObject = {"name": name, "intervals": intervals}  # as a version before lines
    assert decode(earlier) == earlier


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(names, st.integers(0, 500), max_size=20),
    st.lists(steps, max_size=8),
    st.integers(0, 12),
)
def test_deltas_staged_on_the_overlay_and_folded_end_where_a_full_read_ends(
    start: dict[str, int], syncs: list[list[tuple[str, str, int]]], fold_at: int
) -> None:
    """As the sync does: each delta staged on the overlay, folded into the buckets once the
    overlay holds more than ``fold_at``; buckets and overlay together read as a full read."""
    calendar = {name: obj(name, hour) for name, hour in start.items()}
    buckets, _ = full({}, dict(calendar))
    overlay: Bucket = {}
    for changes in syncs:
        changed: dict[str, BusyObject | None] = {}
        deleted: list[str] = []
        for kind, name, hour in changes:
            if kind == "put":
                calendar[name] = changed[name] = obj(name, hour)
                deleted = [d for d in deleted if d != name]  # a server names it once
            elif kind == "broken":
                calendar.pop(name, None)
                changed[name] = None
            else:
                calendar.pop(name, None)
                changed.pop(name, None)
                deleted.append(name)
        overlay = stage(overlay, changed, deleted)
        if len(overlay) > fold_at:
            touched = {bucket_of(n) for n in overlay}
            folded = fold({b: buckets[b] for b in touched}, overlay)
            assert set(folded) == touched
            buckets, overlay = {**buckets, **folded}, {}
        assert effective(buckets, overlay) == spread(calendar.values())

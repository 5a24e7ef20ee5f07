"""Calendar objects to busy time, as pure logic."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.booking.domain.busytime import BrokenObject, parse

AMS = ZoneInfo("Europe/Amsterdam")
WINDOW = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def cal(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{body}END:VCALENDAR\r\n"


def ev(uid: str, *lines: str) -> str:
    return "\r\n".join([f"UID:{uid}", "DTSTAMP:20261101T000000Z", *lines])


def ams(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Amsterdam wall-clock time, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_weekly_recurrence_with_one_moved_and_one_excluded_occurrence() -> None:
    text = cal(
        ev(
            "weekly",
            "DTSTART;TZID=Europe/Amsterdam:20261102T100000",
            "DTEND;TZID=Europe/Amsterdam:20261102T110000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "EXDATE;TZID=Europe/Amsterdam:20261116T100000",
        ),
        ev(
            "weekly",
            "RECURRENCE-ID;TZID=Europe/Amsterdam:20261109T100000",
            "DTSTART;TZID=Europe/Amsterdam:20261110T140000",
            "DTEND;TZID=Europe/Amsterdam:20261110T150000",
        ),
    )
    busy = sorted(parse(text, AMS, WINDOW).busy)
    assert busy == [
        (ams(2026, 11, 2, 10), ams(2026, 11, 2, 11)),
        (ams(2026, 11, 10, 14), ams(2026, 11, 10, 15)),  # moved from Monday the 9th
        (ams(2026, 11, 23, 10), ams(2026, 11, 23, 11)),  # the 16th is excluded
    ]


def test_all_day_floating_and_other_zones() -> None:
    text = cal(
        ev("allday", "DTSTART;VALUE=DATE:20261105"),
        ev("floating", "DTSTART:20261106T090000", "DTEND:20261106T093000"),
        ev("ny", "DTSTART;TZID=America/New_York:20261107T090000", "DURATION:PT1H"),
    )
    assert sorted(parse(text, AMS, WINDOW).busy) == [
        (ams(2026, 11, 5, 0), ams(2026, 11, 6, 0)),  # the whole day, in Amsterdam
        (ams(2026, 11, 6, 9), ams(2026, 11, 6, 9, 30)),  # floating: Amsterdam time
        (utc(2026, 11, 7, 14), utc(2026, 11, 7, 15)),  # 09:00 in New York = 14:00 UTC
    ]


def test_what_does_not_block() -> None:
    text = cal(
        ev("free", "DTSTART:20261103T090000Z", "DTEND:20261103T100000Z", "TRANSP:TRANSPARENT"),
        ev("off", "DTSTART:20261103T110000Z", "DTEND:20261103T120000Z", "STATUS:CANCELLED"),
        ev(
            "ms",
            "DTSTART:20261103T130000Z",
            "DTEND:20261103T140000Z",
            "X-MICROSOFT-CDO-INTENDEDSTATUS:FREE",
        ),
        ev("moment", "DTSTART:20261103T150000Z"),
        ev("busy", "DTSTART:20261103T160000Z", "DTEND:20261103T170000Z"),
    )
    assert parse(text, AMS, WINDOW).busy == [(utc(2026, 11, 3, 16), utc(2026, 11, 3, 17))]


def test_our_own_events_are_appointments_not_busy_time() -> None:
    text = cal(
        ev("vertrouwd-abc123@vertrouwd", "DTSTART:20261104T090000Z", "DTEND:20261104T100000Z")
    )
    found = parse(text, AMS, WINDOW)
    assert found.busy == [] and found.ours == {"abc123": utc(2026, 11, 4, 9)}


def test_a_broken_object_is_reported() -> None:
    with pytest.raises(BrokenObject):
        parse("BEGIN:VCALENDAR\r\nthis is not ical", AMS, WINDOW)
    with pytest.raises(BrokenObject):
        parse(cal(ev("x", "DTSTART:not-a-date", "DTEND:20261103T100000Z")), AMS, WINDOW)


# Both DST changes of 2026/27 in Amsterdam: 25 Oct 2026 (03:00 -> 02:00) and 28 Mar 2027
# (02:00 -> 03:00). DURATION's hours are exact time, its days nominal (RFC 5545 3.3.6).
DST = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("start", "lines", "expected"),
    [
        # Spring forward: 01:30 CET + 3 h exact = 04:30 CEST (00:30Z-03:30Z).
        ("20270328T013000", ["DURATION:PT3H"], (utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 3, 30))),
        # Fall back: 01:30 CEST + 3 h exact = 03:30 CET (23:30Z-02:30Z).
        (
            "20261025T013000",
            ["DURATION:PT3H"],
            (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 30)),
        ),
        # DTEND is wall-clock by definition: 01:30-04:30 on the short day is two hours.
        (
            "20270328T013000",
            ["DTEND;TZID=Europe/Amsterdam:20270328T043000"],
            (utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 2, 30)),
        ),
        # A day is nominal: 10:00 to 10:00 the next day, 23 hours across spring forward.
        ("20270327T100000", ["DURATION:P1D"], (ams(2027, 3, 27, 10), ams(2027, 3, 28, 10))),
    ],
)
def test_a_span_across_a_dst_change(
    start: str, lines: list[str], expected: tuple[datetime, datetime]
) -> None:
    text = cal(ev("e", f"DTSTART;TZID=Europe/Amsterdam:{start}", *lines))
    assert parse(text, AMS, DST).busy == [expected]


def test_every_occurrence_of_a_series_with_duration_lasts_exactly_that() -> None:
    text = cal(
        ev(
            "weekly",
            "DTSTART;TZID=Europe/Amsterdam:20270321T013000",
            "DURATION:PT3H",
            "RRULE:FREQ=WEEKLY;COUNT=3",
        ),
        ev(  # the third one moved, with an end of its own
            "weekly",
            "RECURRENCE-ID;TZID=Europe/Amsterdam:20270404T013000",
            "DTSTART;TZID=Europe/Amsterdam:20270404T100000",
            "DTEND;TZID=Europe/Amsterdam:20270404T110000",
        ),
    )
    busy = sorted(parse(text, AMS, DST).busy)
    assert busy == [
        (utc(2027, 3, 21, 0, 30), utc(2027, 3, 21, 3, 30)),
        (utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 3, 30)),  # across the change: still 3 h
        (ams(2027, 4, 4, 10), ams(2027, 4, 4, 11)),
    ]


def test_all_day_and_floating_events_across_a_dst_change() -> None:
    text = cal(
        ev("allday", "DTSTART;VALUE=DATE:20270328", "DURATION:P1D"),
        ev("floating", "DTSTART:20261025T013000", "DURATION:PT2H"),
    )
    busy = sorted(parse(text, AMS, DST).busy)
    assert busy == [
        # Floating: read in the confidant's zone; 01:30 on the day of fall-back is the first
        # (summer) 01:30, and two exact hours later it is 02:30 winter time.
        (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 1, 30)),
        # The whole 23-hour day of spring forward, midnight to midnight.
        (ams(2027, 3, 28, 0), ams(2027, 3, 29, 0)),
    ]

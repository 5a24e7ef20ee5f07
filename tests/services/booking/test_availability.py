"""Availability as a pure function: rules, busy time, appointments, now -> slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.booking.domain.availability import (
    Blocked,
    SlotRules,
    WorkingHours,
    free_slots,
    is_slot,
    merge,
    within,
)
from services.booking.domain.rules import closed_days, working_hours
from services.booking.store.documents import Confidant, Hours, Range

AMS = ZoneInfo("Europe/Amsterdam")
NINE_TO_FIVE = {d: [(time(9), time(17))] for d in range(5)}
HOUR = SlotRules(
    duration=timedelta(hours=1),
    interval=timedelta(hours=1),
    min_notice=timedelta(0),
    horizon=timedelta(days=14),
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def wall(slots: list[datetime]) -> list[str]:
    return [s.astimezone(AMS).strftime("%a %d %H:%M") for s in slots]


def test_merge_and_blocked() -> None:
    t = [local(2026, 11, 2, h) for h in range(24)]
    assert merge([(t[3], t[5]), (t[1], t[2]), (t[2], t[3]), (t[8], t[9])]) == [
        (t[1], t[5]),
        (t[8], t[9]),
    ]
    blocked = Blocked([(t[1], t[5]), (t[8], t[9])])
    assert blocked.free(t[5], t[8]) and blocked.free(t[0], t[1])
    assert not blocked.free(t[4], t[6]) and not blocked.free(t[0], t[2])
    assert not blocked.free(t[7], t[10]) and Blocked([]).free(t[0], t[23])


def test_within_merges_and_cuts_to_the_window() -> None:
    t = [local(2026, 11, 2, h) for h in range(24)]
    busy = [(t[1], t[4]), (t[3], t[6]), (t[8], t[9]), (t[10], t[20]), (t[21], t[22])]
    # Overlapping parts joined; what sticks out of [2, 12) cut off; what lies outside gone.
    assert within(busy, t[2], t[12]) == [(t[2], t[6]), (t[8], t[9]), (t[10], t[12])]
    assert within(busy, t[6], t[8]) == []  # touching ends are not inside
    assert within([], t[0], t[23]) == []


def test_a_working_day_and_busy_time() -> None:
    hours = WorkingHours("Europe/Amsterdam", NINE_TO_FIVE)
    now = local(2026, 11, 2, 0)  # a Monday
    busy = [(local(2026, 11, 2, 10, 30), local(2026, 11, 2, 11, 15))]
    slots = free_slots(hours, HOUR, busy, [], now, until=local(2026, 11, 2, 23))
    assert wall(slots) == [
        "Mon 02 09:00",
        "Mon 02 12:00",
        "Mon 02 13:00",
        "Mon 02 14:00",
        "Mon 02 15:00",
        "Mon 02 16:00",
    ]


def test_buffers_notice_and_caps() -> None:
    hours = WorkingHours("Europe/Amsterdam", NINE_TO_FIVE)
    rules = SlotRules(
        duration=timedelta(hours=1),
        interval=timedelta(hours=1),
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=15),
        min_notice=timedelta(hours=2),
        horizon=timedelta(days=14),
        daily_cap=2,
    )
    now = local(2026, 11, 2, 8)
    booked = [(local(2026, 11, 2, 13), local(2026, 11, 2, 14))]
    slots = free_slots(hours, rules, [], booked, now, until=local(2026, 11, 2, 23))
    # 09:00 is within the notice; 12:00 and 14:00 touch the booking's buffers.
    assert wall(slots) == ["Mon 02 10:00", "Mon 02 11:00", "Mon 02 15:00", "Mon 02 16:00"]
    full = [*booked, (local(2026, 11, 2, 16), local(2026, 11, 2, 17))]
    assert free_slots(hours, rules, [], full, now, until=local(2026, 11, 2, 23)) == []


def test_overrides_absences_and_weekends() -> None:
    hours = WorkingHours(
        "Europe/Amsterdam",
        NINE_TO_FIVE,
        overrides={date(2026, 11, 3): [], date(2026, 11, 7): [(time(10), time(12))]},
        absences=[(local(2026, 11, 4, 0), local(2026, 11, 5, 0))],
    )
    now = local(2026, 11, 2, 18)
    days = {
        s.astimezone(AMS).date()
        for s in free_slots(hours, HOUR, [], [], now, until=local(2026, 11, 8, 23))
    }
    assert days == {date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 7)}


def test_autumn_dst_change_keeps_wall_clock_hours() -> None:
    # 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET.
    hours = WorkingHours("Europe/Amsterdam", {6: [(time(0), time(5))], 0: [(time(9), time(10))]})
    now = local(2026, 10, 24, 12)
    slots = free_slots(hours, HOUR, [], [], now, until=local(2026, 10, 26, 12))
    assert wall(slots) == [
        "Sun 25 00:00",
        "Sun 25 01:00",
        "Sun 25 02:00",
        "Sun 25 03:00",
        "Sun 25 04:00",
        "Mon 26 09:00",
    ]
    # The slots are an hour apart in wall time, and two hours apart in UTC across 02:00.
    assert slots[3] - slots[2] == timedelta(hours=2)
    assert slots[-1] == datetime(2026, 10, 26, 8, tzinfo=UTC)  # 09:00 CET


def test_spring_dst_change_skips_the_missing_hour() -> None:
    # 2027-03-28: clocks go from 02:00 CET to 03:00 CEST; 02:00-03:00 does not exist.
    hours = WorkingHours("Europe/Amsterdam", {6: [(time(0), time(5))], 0: [(time(9), time(10))]})
    now = local(2027, 3, 27, 12)
    slots = free_slots(hours, HOUR, [], [], now, until=local(2027, 3, 29, 12))
    assert wall(slots) == [
        "Sun 28 00:00",
        "Sun 28 01:00",
        "Sun 28 03:00",
        "Sun 28 04:00",
        "Mon 29 09:00",
    ]
    assert slots[-1] == datetime(2027, 3, 29, 7, tzinfo=UTC)  # 09:00 CEST


def test_is_slot() -> None:
    hours = WorkingHours("Europe/Amsterdam", NINE_TO_FIVE)
    now = local(2026, 11, 2, 0)
    assert is_slot(hours, HOUR, [], [], now, local(2026, 11, 3, 10))
    assert not is_slot(hours, HOUR, [], [], now, local(2026, 11, 3, 10, 30))
    assert not is_slot(hours, HOUR, [], [], now, local(2026, 11, 1, 10))  # a Sunday
    assert not is_slot(hours, HOUR, [], [], now, local(2026, 12, 30, 10))  # past the horizon


def test_public_holidays_are_closed_unless_the_confidant_opens_one() -> None:
    weekdays: dict[str, list[Range]] = {
        str(d): [{"start": "09:00", "end": "17:00"}] for d in range(5)
    }
    today = date(2026, 12, 1)
    now = local(2026, 12, 24, 0)  # Thursday; Christmas is Friday, then the weekend, Monday
    until = local(2026, 12, 28, 23)

    def days(confidant: Confidant) -> set[str]:
        hours = working_hours(confidant, today)
        return {s[:6] for s in wall(free_slots(hours, HOUR, [], [], now, until=until))}

    dutch: Confidant = {
        "_id": "c-anna",
        "timezone": "Europe/Amsterdam",
        "hours": {"weekly": weekdays},
    }
    assert days(dutch) == {"Thu 24", "Mon 28"}  # NL unless set: 25 and 26 December closed
    assert days({**dutch, "holidays": None}) == {"Thu 24", "Fri 25", "Mon 28"}
    # A confidant who works on Christmas morning says so with an override of that date.
    opened: Hours = {
        "weekly": weekdays,
        "overrides": {"2026-12-25": [{"start": "09:00", "end": "12:00"}]},
    }
    assert days({**dutch, "hours": opened}) == {"Thu 24", "Fri 25", "Mon 28"}
    # Another country's days: German Unity Day closes in Germany, not in the Netherlands.
    assert date(2027, 10, 3) in closed_days("DE", today) - closed_days("NL", today)
    assert date(2027, 4, 27) in closed_days("NL", today)  # King's Day, in next year's list

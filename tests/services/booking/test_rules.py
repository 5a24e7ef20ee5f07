"""From stored documents to the availability inputs: public holidays by the day asked for,
slot rules, and the claim granules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from services.booking.domain.rules import claim_ids, closed_days, working_hours
from services.booking.store.documents import Confidant


def anna(**over: Any) -> Confidant:
    return cast(
        Confidant,
        {
            "_id": "c-anna",
            "timezone": "Europe/Amsterdam",
            "hours": {"weekly": {"0": [{"start": "09:00", "end": "17:00"}]}},
            **over,
        },
    )


def test_holidays_are_those_of_the_day_asked_for_not_the_real_one() -> None:
    # A clock moved into 2031 closes 2031's and 2032's King's Days, whatever today is.
    hours = working_hours(anna(), date(2031, 3, 1))
    assert hours.overrides[date(2031, 4, 26)] == []  # King's Day falls on a Saturday then
    assert hours.overrides[date(2032, 4, 27)] == []
    assert date(2026, 4, 27) not in hours.overrides
    assert closed_days(None, date(2031, 3, 1)) == frozenset()


def test_an_override_of_the_confidants_own_opens_a_holiday() -> None:
    opened = anna(
        hours={
            "weekly": {"0": [{"start": "09:00", "end": "17:00"}]},
            "overrides": {"2031-04-21": [{"start": "10:00", "end": "12:00"}]},  # Easter Monday
        }
    )
    hours = working_hours(opened, date(2031, 1, 1))
    assert len(hours.overrides[date(2031, 4, 21)]) == 1
    assert working_hours(anna(holidays=None), date(2031, 1, 1)).overrides == {}


def test_an_interval_claims_every_five_minute_granule_it_touches() -> None:
    start = datetime(2031, 1, 6, 9, 0, tzinfo=UTC)
    ids = claim_ids("c-anna", (start, start + timedelta(minutes=30)))
    assert len(ids) == 6 and ids[0] == "c-anna|20310106T0900" and len(set(ids)) == 6
    stray = claim_ids("c-anna", (start + timedelta(minutes=3), start + timedelta(minutes=7)))
    assert stray == ["c-anna|20310106T0900", "c-anna|20310106T0905"]

"""Graph's recorded answers (tests/standins/shapes) read by booking's own parser: what
blocks time and what does not, all-day events in the confidant's zone, and answers that
are not what Graph documents refused rather than read as an empty calendar."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.booking.calendars.dav import DavError
from services.booking.calendars.graph import event_of, to_ics
from services.booking.domain.busytime import parse
from services.booking.store.documents import Appointment

SHAPES = Path(__file__).parents[2] / "standins" / "shapes"
AMS = ZoneInfo("Europe/Amsterdam")
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))


def shape(name: str) -> Any:
    return json.loads((SHAPES / name).read_text())


def busy_of(event: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    return parse(to_ics(event), AMS, WINDOW).busy


def test_busy_and_free_from_a_delta_page() -> None:
    busy, free = shape("graph_delta_first_page.json")["value"]
    assert busy_of(busy) == [
        (datetime(2027, 1, 5, 8, tzinfo=UTC), datetime(2027, 1, 5, 9, 30, tzinfo=UTC))
    ]
    assert busy_of(free) == []  # showAs free


def test_all_day_out_of_office_blocks_the_day_where_the_confidant_is() -> None:
    all_day, cancelled, removed = shape("graph_delta_last_page.json")["value"]
    assert busy_of(all_day) == [
        (datetime(2027, 1, 6, tzinfo=AMS).astimezone(UTC), datetime(2027, 1, 7, tzinfo=AMS))
    ]
    assert busy_of(cancelled) == []  # isCancelled
    assert "@removed" in removed and set(removed) == {"@odata.type", "id", "@removed"}


def test_our_own_event_is_known_by_its_transaction_id() -> None:
    created = shape("graph_event_created.json")
    created["transactionId"] = "vertrouwd-abc123@vertrouwd"
    parsed = parse(to_ics(created), AMS, WINDOW)
    assert parsed.ours == {"abc123": datetime(2027, 1, 5, 9, tzinfo=UTC)}
    assert parsed.busy == []  # the appointment itself, not busy time


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "x", "start": {"dateTime": "2027-01-05T08:00:00"}},  # no end
        {"id": "x", "start": {"dateTime": "gisteren"}, "end": {"dateTime": "morgen"}},
        {
            "id": "x",
            "start": {"dateTime": "2027-01-05T08:00:00", "timeZone": "Ergens Standard Time"},
            "end": {"dateTime": "2027-01-05T09:00:00", "timeZone": "Ergens Standard Time"},
        },
    ],
)
def test_an_event_graph_would_not_send_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(DavError) as caught:
        to_ics(broken)
    assert caught.value.kind == "malformed"


def test_what_we_write_says_nothing_of_the_person() -> None:
    appointment: Appointment = {
        "_id": "abc123def456",
        "start": datetime(2027, 1, 5, 9, tzinfo=UTC),
        "end": datetime(2027, 1, 5, 10, tzinfo=UTC),
        "mode": "online",
        "video_url": "https://meet.example/r/1",
        "case_id": "geheim",
    }
    created = event_of(appointment, create=True)
    assert created["transactionId"] == "vertrouwd-abc123def456@vertrouwd"
    assert created["start"] == {"dateTime": "2027-01-05T09:00:00", "timeZone": "UTC"}
    assert "geheim" not in json.dumps(created)
    assert "transactionId" not in event_of(appointment, create=False)  # set once only


def test_every_way_a_calendar_fails_can_be_told_to_the_confidant() -> None:
    """Each kind of DavError booking raises fits the sync_failed event (else the event could
    not be made, and the failure would go unrecorded)."""
    import re
    import typing

    from shared.event_schemas import CalendarError

    raised: set[str] = set()
    for path in Path("services/booking").rglob("*.py"):
        text = path.read_text()
        raised |= set(re.findall(r'DavError\(\s*"([a-z_]+)"', text))
        raised |= set(re.findall(r'\d{3}: "([a-z_]+)"', text))  # status -> kind tables
    assert {"malformed", "held", "throttled", "revoked", "unreachable"} <= raised
    assert raised <= set(typing.get_args(CalendarError)), raised - set(
        typing.get_args(CalendarError)
    )

"""The bodies booking accepts."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from services.booking.domain.reserve import Book as Book
from services.booking.domain.reserve import PlaceText
from services.booking.store.documents import AppointmentType, Confidant
from shared.http import Body, Moment, picked


def _clock(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5][05]|24:00", value):
        raise ValueError("a time as HH:MM on a 5-minute grid")
    return value


Clock = Annotated[str, AfterValidator(_clock)]


# The confidant's and the type's bodies: fields picked from the stored types, where each is
# declared once with its constraints (store.documents).
PROFILE = {
    "display_name": ...,
    "languages": ["nl"],
    "gender": None,
    "bio": None,
    "timezone": "Europe/Amsterdam",
    "holidays": "NL",
    "org_ids": [],
    "locations": [],
    "video_room": None,
}
ConfidantCreate = picked(
    "ConfidantCreate", Confidant, {"_id": ..., **PROFILE}, rename={"_id": "id"}
)
ConfidantUpdate = picked(
    "ConfidantUpdate",
    Confidant,
    {k: None for k in PROFILE if k != "languages" and k != "gender"},
    partial=True,
)


class Range(Body):
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Absence(Body):
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Hours(Body):
    """Working hours: weekday "0" (Monday) .. "6", date overrides ([] closes the day)."""

    weekly: dict[Literal["0", "1", "2", "3", "4", "5", "6"], list[Range]]
    overrides: dict[date, list[Range]] = Field(default_factory=dict, max_length=400)
    absences: list[Absence] = Field(default_factory=list, max_length=400)


TYPE_FIELDS = {
    "_id": ...,
    "name": ...,
    "duration_min": ...,
    "modes": ...,
    "buffer_before_min": 0,
    "buffer_after_min": 0,
    "min_notice_min": 12 * 60,
    "horizon_days": 28,
    "interval_min": 30,
    "daily_cap": None,
    "weekly_cap": None,
    "audience": "reporter",
}
TypeCreate = picked("TypeCreate", AppointmentType, TYPE_FIELDS, rename={"_id": "id"})
# What the API answers of one (``documents.type_view``): the same fields.
TypeView = picked("TypeView", AppointmentType, TYPE_FIELDS, rename={"_id": "id"})


class PlaceProposal(Body):
    text: PlaceText


class Reschedule(Body):
    start: Moment


class HeldBody(Body):
    """How a conversation went, as the confidant confirms it: its real start and end, and
    the travel it took (kilometres there and back, travel time; none online or by phone)."""

    started_at: Moment
    ended_at: Moment
    km: float = Field(0, ge=0, le=2000)
    travel_minutes: int = Field(0, ge=0, le=24 * 60)

    @model_validator(mode="after")
    def in_order(self) -> Self:
        if not self.started_at < self.ended_at <= self.started_at + timedelta(hours=12):
            raise ValueError("ended_at: after started_at, and within 12 hours of it")
        return self


class CalendarConnect(Body):
    """A calendar account reached with a password: any CalDAV server, or iCloud (found by
    discovery; the password an app-specific one)."""

    provider: Literal["caldav", "icloud"] = "caldav"
    url: str | None = Field(None, min_length=8, max_length=500, pattern=r"^https?://")
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=500)
    busy_calendars: list[str] | None = Field(None, max_length=20)
    booking_calendar: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.provider == "caldav" and self.url is None:
            raise ValueError("url: the CalDAV server's address is needed")
        if self.provider == "icloud" and not re.fullmatch(
            r"[a-z]{4}-[a-z]{4}-[a-z]{4}-[a-z]{4}", self.password
        ):
            # Apple refuses the account password over CalDAV; say so before asking Apple.
            raise ValueError(
                "password: an app-specific password (account.apple.com, Sign-In and "
                "Security), four groups of four letters: abcd-efgh-ijkl-mnop"
            )
        return self


class CalendarAuthorize(Body):
    """Connect a calendar that wants OAuth: the answer says where to send the confidant."""

    provider: Literal["google", "microsoft"]


class CalendarAuthorized(Body):
    """What the provider sent the confidant back with."""

    state: str = Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
    code: str = Field(min_length=1, max_length=4000)

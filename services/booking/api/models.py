"""The bodies booking accepts."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from shared.event_schemas import MeetingMode
from shared.http import Body
from shared.text import Bio, Language, Locale

Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Minutes5 = Annotated[int, Field(ge=0, le=24 * 60, multiple_of=5)]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a known time zone") from None
    return value


def _clock(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5][05]|24:00", value):
        raise ValueError("a time as HH:MM on a 5-minute grid")
    return value


Zone = Annotated[str, AfterValidator(_zone)]
Clock = Annotated[str, AfterValidator(_clock)]


class Location(Body):
    id: Ident
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=300)


def _known_country(value: str | None) -> str | None:
    if value is not None and value not in holidays.list_supported_countries():
        raise ValueError("not a country the holidays package knows (ISO 3166 code, like NL)")
    return value


# Whose public holidays are closed days: an ISO 3166 country code, or null for none.
HolidayCountry = Annotated[str | None, AfterValidator(_known_country)]


class ConfidantCreate(Body):
    id: Ident
    display_name: str = Field(min_length=1, max_length=100)
    languages: list[Language] = Field(default_factory=lambda: list[Language](["nl"]), min_length=1)
    gender: Literal["female", "male", "other"] | None = None
    bio: Bio | None = None
    timezone: Zone = "Europe/Amsterdam"
    holidays: HolidayCountry = "NL"
    org_ids: list[Ident] = Field(default_factory=list, max_length=200)
    locations: list[Location] = Field(default_factory=list, max_length=20)


class ConfidantUpdate(Body):
    display_name: str | None = Field(None, min_length=1, max_length=100)
    bio: Bio | None = None
    timezone: Zone | None = None
    holidays: HolidayCountry = None
    org_ids: list[Ident] | None = Field(None, max_length=200)
    locations: list[Location] | None = Field(None, max_length=20)


class Range(Body):
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Absence(Body):
    start: AwareDatetime
    end: AwareDatetime

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


class TypeCreate(Body):
    id: Ident
    name: dict[Locale, str]
    duration_min: Minutes5 = Field(gt=0)
    modes: list[MeetingMode] = Field(min_length=1)
    buffer_before_min: Minutes5 = 0
    buffer_after_min: Minutes5 = 0
    min_notice_min: int = Field(12 * 60, ge=0, le=60 * 24 * 30)
    horizon_days: int = Field(28, ge=1, le=365)
    interval_min: Minutes5 = Field(30, gt=0)
    daily_cap: int | None = Field(None, ge=1, le=50)
    weekly_cap: int | None = Field(None, ge=1, le=200)


# Where to meet for a walk or at another place: proposed by the employee, confirmed (as it
# is, or changed) by the confidant.
PlaceText = Annotated[str, Field(min_length=2, max_length=200)]


class Book(Body):
    confidant_id: Ident
    type_id: Ident
    start: AwareDatetime
    mode: MeetingMode
    location_id: Ident | None = None  # on location: one of the confidant's places
    meeting_point: PlaceText | None = None  # a walk, or on location somewhere else


class PlaceProposal(Body):
    text: PlaceText


class Reschedule(Body):
    start: AwareDatetime


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

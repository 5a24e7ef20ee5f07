"""What booking stores, as types, and how the API shows it.

A confidant holds their profile, working hours and calendar connection (credentials
sealed); an appointment holds its time, the granules it occupies (``claims``) and the state
of its write to the confidant's calendar. Busy time read from calendars has its own store
(``busystore``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import (
    Annotated,
    Any,
    Literal,
    Required,  # pydantic validates TypedDicts from here on 3.11
)
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import TypedDict

from services.booking.store.collections import (
    APPOINTMENTS,
    CASES,
    CLAIMS,
    CONFIDANTS,
    IDEMPOTENCY,
    OAUTH_STATES,
    PROPOSALS,
    TYPES,
)
from shared.crypto import FieldCipher, Sealed
from shared.db import TypedCollection
from shared.event_schemas import Meeting, MeetingMode
from shared.outbox import Staged
from shared.replies import Appointment as AppointmentView
from shared.replies import CalendarWrite, HeldView, MeetingPoint
from shared.text import Bio, Language, Locale
from shared.wire import Json, jsonable

# The versions of a calendar's busy-time buckets (busystore), as its sync state names them.
Versions = Sequence[str | None]

# -- confidants -------------------------------------------------------------------------------


# Who keeps a confidant's calendar: any CalDAV server, or one of those with a way of its own.
CalendarProvider = Literal["caldav", "icloud", "google", "microsoft"]
OAuthProvider = Literal["google", "microsoft"]


class CalendarState(TypedDict, total=False):
    """How far one calendar was read. A list entry, not a map by URL: URLs hold dots,
    which document keys may not."""

    calendar: str
    ctag: str | None
    token: str | None  # the sync token (or Graph's delta link) of the last read
    versions: Versions | None  # the busy-time buckets' versions (busystore)
    listed: datetime | None  # the end of the window the last full listing read


class SyncState(TypedDict, total=False):
    calendars: list[CalendarState]
    connected_at: datetime
    last_success: datetime | None
    last_attempt: datetime
    last_error: str | None  # a DavError kind
    failing_since: datetime | None
    announced: bool  # the confidant was told it fails (once per outage)
    not_before: datetime | None  # a provider that asked to wait (429 Retry-After)


class CalendarLink(TypedDict, total=False):
    """The confidant's calendar account: a password (CalDAV, iCloud) or an OAuth grant
    (Google, Microsoft), sealed."""

    provider: CalendarProvider
    url: str
    username: str
    password: Sealed
    grant: Sealed
    access: Sealed
    access_until: datetime
    busy_calendars: list[str]
    booking_calendar: str
    sync: SyncState


Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Minutes5 = Annotated[int, Field(ge=0, le=24 * 60, multiple_of=5)]


def _room_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or len(value) > 500:
        raise ValueError("an https link to the room, like https://teams.microsoft.com/l/...")
    return value


RoomUrl = Annotated[str, AfterValidator(_room_url)]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a known time zone") from None
    return value


def _known_country(value: str | None) -> str | None:
    if value is not None and value not in holidays.list_supported_countries():
        raise ValueError("not a country the holidays package knows (ISO 3166 code, like NL)")
    return value


Zone = Annotated[str, AfterValidator(_zone)]
# Whose public holidays are closed days: an ISO 3166 country code, or null for none.
HolidayCountry = Annotated[str | None, AfterValidator(_known_country)]


@with_config(ConfigDict(extra="forbid"))
class Place(TypedDict):
    """One of the confidant's places to meet (on location)."""

    id: Ident
    name: Annotated[str, Field(min_length=1, max_length=100)]
    address: Annotated[str, Field(min_length=1, max_length=300)]


class Range(TypedDict):
    start: str  # "09:00"
    end: str


class Absence(TypedDict):
    start: datetime
    end: datetime


# Documents made from a request body are checked as they are made (``CONFIDANT`` and the
# others below): a field the body has and the document type lacks fails, never vanishes.
@with_config(ConfigDict(extra="forbid"))
class Hours(TypedDict, total=False):
    """Working hours (``models.Hours``): weekday "0" (Monday) .. "6", date overrides ("2026-12-24"),
    absences."""

    weekly: dict[str, list[Range]]
    overrides: dict[str, list[Range]]
    absences: list[Absence]


@with_config(ConfigDict(extra="forbid"))
class Confidant(Staged, total=False):
    """A confidant, declared once: the API's bodies pick their fields from here
    (``api.models``), with these types and constraints."""

    _id: Required[Ident]
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    languages: Annotated[list[Language], Field(min_length=1)]
    gender: Literal["female", "male", "other"] | None
    bio: Bio | None  # one for all languages, or per language
    timezone: Zone
    holidays: HolidayCountry  # whose public holidays close the day (ISO 3166), or none
    org_ids: Annotated[list[Ident], Field(max_length=200)]
    locations: Annotated[list[Place], Field(max_length=20)]
    video_room: RoomUrl | None  # her own fixed room (Teams, Zoom): used instead of Jitsi
    hours: Hours | None
    calendar: CalendarLink | None
    created_at: datetime
    updated_at: datetime


@with_config(ConfigDict(extra="forbid"))
class AppointmentType(TypedDict, total=False):
    """A kind of conversation, declared once (the API's body picks its fields from here)."""

    _id: Required[Ident]
    name: dict[Locale, str]
    duration_min: Annotated[Minutes5, Field(gt=0)]
    modes: Annotated[list[MeetingMode], Field(min_length=1)]
    buffer_before_min: Minutes5
    buffer_after_min: Minutes5
    min_notice_min: Annotated[int, Field(ge=0, le=60 * 24 * 30)]
    horizon_days: Annotated[int, Field(ge=1, le=365)]
    interval_min: Annotated[Minutes5, Field(gt=0)]
    daily_cap: Annotated[int, Field(ge=1, le=50)] | None
    weekly_cap: Annotated[int, Field(ge=1, le=200)] | None
    # Who books it: a reporter (a conversation on a case), or an organisation's admin (a
    # meeting of the organisation with the firm: an introduction, an evaluation).
    audience: Literal["reporter", "organisation"]


CONFIDANT = TypeAdapter(Confidant)
HOURS = TypeAdapter(Hours)
APPOINTMENT_TYPE = TypeAdapter(AppointmentType)


# -- appointments -----------------------------------------------------------------------------


class CalendarCopy(TypedDict, total=False):
    """The appointment's event in the confidant's calendar, and the write that keeps it."""

    pending: Literal["put", "delete"] | None
    href: str | None
    etag: str | None
    attempts: int
    last_error: str | None
    next_try: datetime | None
    failed: bool


class Appointment(Staged, total=False):
    _id: Required[str]
    case_id: str
    reference: str | None
    org_id: str
    confidant_id: str
    type_id: str
    mode: MeetingMode
    start: datetime
    end: datetime
    occupied: list[datetime]  # [from, to): the time it holds, buffers included
    status: Literal["booked", "cancelled"]
    sequence: int
    address: str | None
    meeting_point: MeetingPoint | None
    video_url: str | None
    phone: Sealed | None  # the number to call for a conversation by phone, sealed
    booked_by: Literal["reporter", "confidant", "admin", "org_admin"]
    meeting: Meeting  # a case's conversation (when absent), or the organisation's meeting
    held: Held  # as the confidant confirmed it took place (what billing counts)
    proposal_id: str | None
    cancelled_by: str
    created_at: datetime
    updated_at: datetime
    calendar: CalendarCopy


class Held(TypedDict):
    started_at: datetime
    ended_at: datetime
    km: float
    travel_minutes: int
    at: datetime


class Claim(TypedDict):
    _id: str  # "<confidant>|<granule start>"
    owner: str  # "<appointment>:<sequence>"
    appointment_id: str
    claimed_at: datetime


class Replay(TypedDict):
    _id: str  # "<case>|<Idempotency-Key>"
    appointment_id: str
    at: datetime


class CaseLink(TypedDict, total=False):
    """What booking knows of a case, from intake's events."""

    _id: Required[str]
    org_id: str | None
    meeting_mode: str | None
    confidant_id: str
    reference: str
    locale: str
    closed: bool  # closed cases are not booked for (reopened: open again)
    channel: str  # how it came in (web, email, whatsapp, phone, ...)


class Proposal(TypedDict, total=False):
    """Times the confidant proposed for a case; the reporter picks one with the link."""

    _id: Required[str]
    case_id: str
    org_id: str
    confidant_id: str
    type_id: str
    mode: MeetingMode
    location_id: str | None
    starts: list[datetime]
    status: Literal["open", "accepted"]
    appointment_id: str | None
    expires_at: datetime
    created_at: datetime


class OAuthState(TypedDict):
    _id: str  # the state
    confidant_id: str
    provider: OAuthProvider
    verifier: Sealed
    redirect_uri: str
    expires: datetime


confidants = TypedCollection(CONFIDANTS, Confidant)
appointment_types = TypedCollection(TYPES, AppointmentType)
appointments = TypedCollection(APPOINTMENTS, Appointment)
claims = TypedCollection(CLAIMS, Claim)
replays = TypedCollection(IDEMPOTENCY, Replay)
cases = TypedCollection(CASES, CaseLink)
proposals = TypedCollection(PROPOSALS, Proposal)
oauth_states = TypedCollection(OAUTH_STATES, OAuthState)


# -- views ------------------------------------------------------------------------------------


class ConfidantPublic(TypedDict):
    """A confidant as anyone with a token of theirs sees them (an employee, an employer)."""

    id: str
    display_name: str
    languages: list[str]
    gender: Literal["female", "male", "other"] | None
    bio: Bio | None
    timezone: str
    holidays: str | None
    org_ids: list[str]
    locations: list[Place]


class CalendarView(TypedDict):
    provider: CalendarProvider
    url: str | None
    username: str | None
    busy_calendars: list[str]
    booking_calendar: str | None
    sync: dict[str, Any]  # how the last reads went (no calendar's contents)


class ConfidantView(ConfidantPublic, total=False):
    """The profile; the office and the confidant see the hours and the calendar too."""

    video_room: str | None
    hours: dict[str, Any] | None
    calendar: CalendarView | None


class Connected(ConfidantView, total=False):
    calendars: list[dict[str, str]]  # the account's calendars found: url and name


class Synced(ConfidantView, total=False):
    report: dict[str, Any]  # what the sync did


def confidant_view(doc: Confidant, *, private: bool = True) -> Json:
    """The profile; ``private`` adds what only the office and the confidant see (hours, the
    calendar connection and its state), never shown to an employee or an employer."""
    calendar = doc.get("calendar") or {}
    public = {
        "id": doc["_id"],
        "display_name": doc["display_name"],
        "languages": doc["languages"],
        "gender": doc.get("gender"),
        "bio": doc.get("bio"),
        "timezone": doc["timezone"],
        "holidays": doc.get("holidays", "NL"),
        "org_ids": doc.get("org_ids", []),
        "locations": doc.get("locations", []),
    }
    if not private:
        return public
    return {
        **public,
        "video_room": doc.get("video_room"),
        "hours": jsonable(doc.get("hours")),
        "calendar": None
        if not calendar
        else {
            "provider": calendar.get("provider", "caldav"),
            "url": calendar.get("url"),
            "username": calendar.get("username"),
            "busy_calendars": calendar.get("busy_calendars", []),
            "booking_calendar": calendar.get("booking_calendar"),
            "sync": jsonable(
                {k: v for k, v in (calendar.get("sync") or {}).items() if k != "calendars"}
            ),
        },
    }


def type_view(doc: AppointmentType) -> Json:
    return {"id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}


def calendar_write(calendar: CalendarCopy) -> CalendarWrite | None:
    """How the write to the confidant's own calendar stands: done, pending, or failed
    (the server kept refusing it; it is still tried, and the confidant should look)."""
    if not calendar.get("pending") and not calendar.get("href"):
        return None
    failed, pending = calendar.get("failed"), calendar.get("pending")
    state: Literal["done", "pending", "failed"] = (
        "failed" if failed else "pending" if pending else "done"
    )
    return {"state": state, "error": calendar.get("last_error") if state != "done" else None}


def held_view(held: Held | None) -> HeldView | None:
    if held is None:
        return None
    return {
        "started_at": held["started_at"].isoformat(),
        "ended_at": held["ended_at"].isoformat(),
        "km": held["km"],
        "travel_minutes": held["travel_minutes"],
    }


def appointment_view(doc: Appointment, cipher: FieldCipher | None = None) -> AppointmentView:
    """The appointment as people see it; with ``cipher`` (for the confidant and the office
    only) the number to call opened too."""
    phone = doc.get("phone")
    view: AppointmentView = {
        "id": doc["_id"],
        "case_id": doc["case_id"],
        # The case's reference (VP-2026-…), from the booking token: how people name the case.
        "reference": doc.get("reference"),
        "confidant_id": doc["confidant_id"],
        "type_id": doc["type_id"],
        "start": doc["start"].isoformat(),
        "end": doc["end"].isoformat(),
        "mode": doc["mode"],
        "status": doc["status"],
        "video_url": doc.get("video_url"),
        "address": doc.get("address"),
        # A walk's or another place's meeting point: {text, state: proposed | confirmed, by}.
        "meeting_point": doc.get("meeting_point"),
        "sequence": doc.get("sequence", 0),
        "calendar_write": calendar_write(doc.get("calendar") or {}),
        "booked_by": doc.get("booked_by", "reporter"),
        "meeting": doc.get("meeting", "case"),
        "held": held_view(doc.get("held")),
    }
    if cipher is not None:
        view["phone"] = cipher.open(phone, doc_id=doc["_id"], field="phone") if phone else None
    return view

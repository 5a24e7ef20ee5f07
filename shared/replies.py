"""What the request/reply subjects answer (``shared.rpc``): one type per reply, written by
the service that answers and read, checked, by the one that asks. Plain JSON on the wire;
times are ISO 8601 strings with their offset."""

from __future__ import annotations

from typing import Literal

from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic validates TypedDicts from here on 3.11


class Contact(TypedDict, total=False):
    """``rpc.intake.contact``: how to reach one person, opened from what intake keeps sealed."""

    email: str
    phone: str
    name: str | None
    locale: str


class MeetingPoint(TypedDict, total=False):
    text: str
    state: Literal["proposed", "confirmed"]
    by: Literal["reporter", "confidant", "admin"]


class CalendarWrite(TypedDict):
    state: Literal["done", "pending", "failed"]
    error: str | None


class HeldView(TypedDict):
    """A conversation as it took place: what billing counts."""

    started_at: str
    ended_at: str
    km: float  # there and back
    travel_minutes: int


class Appointment(TypedDict, total=False):
    """``rpc.booking.appointment`` and booking's API: one appointment as people see it."""

    id: str
    case_id: str
    reference: str | None
    confidant_id: str
    type_id: str
    start: str
    end: str
    mode: Literal["online", "on_location", "phone", "walk"]
    status: Literal["booked", "cancelled"]
    video_url: str | None
    address: str | None
    meeting_point: MeetingPoint | None
    sequence: int
    calendar_write: CalendarWrite | None
    booked_by: Literal["reporter", "confidant", "admin", "org_admin"]
    # A case's conversation, or the organisation's own meeting with the firm.
    meeting: Literal["case", "organisation"]
    held: HeldView | None  # as the confidant confirmed it took place
    phone: str | None  # a phone conversation's number: for the confidant and the office only


CONTACT = TypeAdapter(Contact)
CONTACTS = TypeAdapter(list[Contact])
APPOINTMENT = TypeAdapter(Appointment)

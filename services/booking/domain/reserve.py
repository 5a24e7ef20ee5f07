"""Booking a new appointment: the request checked against the confidant and the type, the
slot free in the confidant's calendar and among the appointments, its time claimed, and the
appointment stored with its event.

No double booking, in any number of instances: the time is claimed granule by granule with
unique inserts (``claims``) before the appointment is written; of two requests for one slot
one gets every granule. An ``Idempotency-Key`` is claimed the same way, so a request sent
twice books once and answers twice with the same appointment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Literal

from pydantic import Field
from pymongo.errors import DuplicateKeyError

from services.booking.domain.availability import is_slot, occupied
from services.booking.domain.blocked import blocking
from services.booking.domain.rules import claim_ids, slot_rules, working_hours
from services.booking.state import Booking
from services.booking.store.claims import booked_event, claim
from services.booking.store.collections import APPOINTMENTS
from services.booking.store.documents import (
    Appointment,
    AppointmentType,
    Confidant,
    Ident,
    appointments,
    claims,
    replays,
)
from shared.auth import Principal
from shared.errors import Conflict, invalid
from shared.event_schemas import AppointmentBooked, Meeting, MeetingMode
from shared.outbox import HIDDEN, flush, staged
from shared.wire import Body, Moment

# Where to meet for a walk or at another place: proposed by the employee, confirmed (as it
# is, or changed) by the confidant.
PlaceText = Annotated[str, Field(min_length=2, max_length=200)]


# A number to call: digits with the usual signs, as people write it.
PhoneText = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")]


class Book(Body):
    confidant_id: Ident
    type_id: Ident
    start: Moment
    mode: MeetingMode
    location_id: Ident | None = None  # on location: one of the confidant's places
    meeting_point: PlaceText | None = None  # a walk, or on location somewhere else
    phone: PhoneText | None = None  # by phone: the number the confidant calls


Booker = Literal["reporter", "confidant", "admin", "org_admin"]


@dataclass(frozen=True)
class ForCase:
    """Whose conversation it is, and who books it: the reporter with their case token, or
    the confidant (or the office) for a case that came in without one."""

    case_id: str
    org_id: str
    reference: str | None
    by: Booker
    proposal_id: str | None = None
    number_known: bool = False  # the case came by phone or WhatsApp: its number is known
    meeting: Meeting = "case"  # or the organisation's own meeting with the firm

    @classmethod
    def of_reporter(cls, who: Principal) -> ForCase:
        # (an employee's token always names its case and organisation)
        return cls(str(who.case_id), next(iter(who.orgs)), who.reference, "reporter")


PLACED = ("walk", "on_location")  # the modes that meet somewhere


async def replayed(booking: Booking, case_id: str, key: str | None) -> Appointment | None:
    """The appointment an earlier request with this ``Idempotency-Key`` booked, if any."""
    if key is None:
        return None
    seen = await replays(booking.db).find_one({"_id": f"{case_id}|{key}"})
    if seen is None:
        return None
    return await appointments(booking.db).find_one({"_id": seen["appointment_id"]}, HIDDEN)


def address_of(confidant: Confidant, kind: AppointmentType, body: Book) -> str | None:
    """Where the conversation is, if it is at one of the confidant's places; a 422 for a
    mode the type does not have, or a place that does not fit the mode."""
    if body.mode not in kind["modes"]:
        raise invalid("mode", f"this appointment type is {', '.join(kind['modes'])}")
    if body.meeting_point is not None and body.mode not in PLACED:
        raise invalid("meeting_point", "only a walk or a meeting on location has one")
    if body.phone is not None and body.mode != "phone":
        raise invalid("phone", "only a conversation by phone has a number to call")
    if body.mode != "on_location" or body.meeting_point is not None:
        return None
    place = next((p for p in confidant.get("locations", []) if p["id"] == body.location_id), None)
    if place is None:
        raise invalid("location_id", "choose one of the confidant's locations, or propose a place")
    return f"{place['name']}, {place['address']}"


async def reserve(
    booking: Booking,
    case: ForCase,
    confidant: Confidant,
    kind: AppointmentType,
    body: Book,
    key: str | None,
) -> Appointment:
    """Book ``body`` for ``case``: a 422 for a time that is no slot, a 409 for a slot taken
    meanwhile or a calendar that cannot be read (closed, not assumed free). A reporter who
    books by phone gives the number to call; the confidant has it in the case already."""
    address = address_of(confidant, kind, body)
    if kind.get("audience", "reporter") != (
        "organisation" if case.meeting == "organisation" else "reporter"
    ):
        raise invalid("type_id", "this appointment type is not for this kind of meeting")
    if (
        body.mode == "phone"
        and body.phone is None
        and case.by == "reporter"
        and not (case.number_known)
    ):
        raise invalid("phone", "the number the confidant calls you on")
    start, now = body.start.astimezone(UTC), booking.clock.now()
    hours, rules = working_hours(confidant, now.date()), slot_rules(kind)
    if not is_slot(hours, rules, [], [], now, start):
        raise invalid(
            "start",
            "not a slot: outside working hours, off the grid, too soon, "
            "or beyond the booking horizon",
        )
    found = await blocking(booking, confidant, now)
    if found is None:
        raise Conflict("the confidant's calendar cannot be read now; no slots can be booked")
    if not is_slot(hours, rules, *found, now, start):
        raise Conflict("that slot is no longer free")

    appointment_id = secrets.token_hex(12)
    taken = occupied(start, rules)
    owner = f"{appointment_id}:0"
    if not await claim(booking, claim_ids(confidant["_id"], taken), owner, appointment_id):
        raise Conflict("that slot is no longer free")
    case_id = case.case_id
    if key is not None:
        try:
            await replays(booking.db).insert_one(
                {"_id": f"{case_id}|{key}", "appointment_id": appointment_id, "at": now}
            )
        except DuplicateKeyError:  # the same request, twice at once: the other one won
            await claims(booking.db).delete_many({"owner": owner})
            raise Conflict("this request is already being handled") from None

    doc: Appointment = {
        "_id": appointment_id,
        "case_id": case_id,
        "reference": case.reference,
        "org_id": case.org_id,
        "confidant_id": confidant["_id"],
        "type_id": kind["_id"],
        "mode": body.mode,
        "start": start,
        "end": start + rules.duration,
        "occupied": list(taken),
        "status": "booked",
        "sequence": 0,
        "address": address,
        "meeting_point": None
        if body.meeting_point is None
        else {"text": body.meeting_point, "state": "proposed", "by": "reporter"},
        "video_url": booking.video.room_for(
            appointment_id, start + rules.duration, confidant.get("video_room")
        )
        if body.mode == "online"
        else None,
        "phone": None
        if body.phone is None
        else booking.cipher.seal(body.phone, doc_id=appointment_id, field="phone"),
        "booked_by": case.by,
        "meeting": case.meeting,
        "proposal_id": case.proposal_id,
        "created_at": now,
        "updated_at": now,
        "calendar": {"pending": "put" if confidant.get("calendar") else None, "attempts": 0},
    }
    event = booked_event(AppointmentBooked, doc, now)
    await appointments(booking.db).insert_one({**doc, **staged(event)})  # with its event
    await flush(booking.db[APPOINTMENTS], appointment_id, [event], booking.bus, booking.locks)
    return doc

"""Booking's HTTP API for appointments: book, read, list, move and cancel them, the meeting
point, the calendar file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from pydantic import ConfigDict, Field
from pymongo import ReturnDocument

from services.booking.api.confidants import caller, get_confidant
from services.booking.api.models import Book, HeldBody, PlaceProposal, Reschedule
from services.booking.api.slots import confidant_and_type
from services.booking.calendars import ics
from services.booking.domain.availability import is_slot, occupied
from services.booking.domain.blocked import blocking
from services.booking.domain.reserve import PLACED, ForCase, replayed, reserve
from services.booking.domain.rules import slot_rules, working_hours
from services.booking.state import BOOKING
from services.booking.store.claims import Taken, move
from services.booking.store.claims import cancel as cancel_appointment
from services.booking.store.claims import confirm_held as store_held
from services.booking.store.documents import (
    Appointment,
    Held,
    appointment_types,
    appointment_view,
    appointments,
)
from shared.auth import Forbidden, Principal
from shared.db import Query
from shared.errors import Conflict, invalid, not_found
from shared.http import (
    Endpoint,
    HandlerFn,
    Moment,
    answers,
    idempotency_key,
    in_range,
    read_body,
    require,
)
from shared.listing import PageQuery, find_page, list_of, listed, page_of
from shared.outbox import HIDDEN
from shared.replies import Appointment as AppointmentView
from shared.replies import MeetingPoint

ID = "{appointment_id:[0-9a-f]{24}}"


@answers(AppointmentView)
async def book(request: web.Request) -> web.Response:
    who = caller(request, ["employee"])
    booking = request.app[BOOKING]
    key = idempotency_key(request)
    if who.case_id is None:  # (an employee token always names its case)
        raise Forbidden("this token names no case")
    earlier = await replayed(booking, who.case_id, key)
    if earlier is not None:
        return web.json_response(appointment_view(earlier), status=201)
    body = await read_body(request, Book)
    confidant, kind = await confidant_and_type(
        request, booking, body.confidant_id, body.type_id, who
    )
    doc = await reserve(booking, ForCase.of_reporter(who), confidant, kind, body, key)
    return web.json_response(appointment_view(doc), status=201)


async def load_appointment(request: web.Request) -> tuple[Appointment, Principal]:
    booking = request.app[BOOKING]
    doc = await appointments(booking.db).find_one(
        {"_id": request.match_info["appointment_id"]}, HIDDEN
    )
    # Someone else's appointment and none at all answer alike.
    if doc is None:
        raise not_found("appointment")
    try:
        who = require(request, org_id=doc["org_id"], case_id=doc["case_id"])
    except Forbidden:
        raise not_found("appointment") from None
    if who.role == "confidant" and who.sub != doc["confidant_id"]:
        raise not_found("appointment")
    return doc, who


def shown(request: web.Request, doc: Appointment, who: Principal) -> AppointmentView:
    """The appointment for ``who``: the number to call only for the confidant and the office."""
    return appointment_view(doc, None if who.role == "employee" else request.app[BOOKING].cipher)


def _actor(who: Principal) -> Literal["reporter", "confidant", "admin"]:
    if who.role == "employee":
        return "reporter"
    return "confidant" if who.role == "confidant" else "admin"


async def read_appointment(request: web.Request) -> web.Response:
    doc, who = await load_appointment(request)
    return web.json_response(shown(request, doc, who))


async def appointment_ics(request: web.Request) -> web.Response:
    doc, _ = await load_appointment(request)
    return web.Response(
        body=ics.calendar_of(doc, method="PUBLISH"),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{doc["_id"]}.ics"'},
    )


async def cancel(request: web.Request) -> web.Response:
    doc, who = await load_appointment(request)
    booking = request.app[BOOKING]
    if doc["status"] != "booked":
        raise Conflict("the appointment is not booked")
    # Written to the confidant's calendar: taken out of it by the writer.
    pending = "delete" if (doc.get("calendar") or {}).get("href") else None
    if not await cancel_appointment(booking, doc, _actor(who), {"calendar.pending": pending}):
        raise Conflict("the appointment changed meanwhile")
    doc["status"] = "cancelled"
    return web.json_response(shown(request, doc, who))


async def reschedule(request: web.Request) -> web.Response:
    doc, who = await load_appointment(request)
    booking = request.app[BOOKING]
    body = await read_body(request, Reschedule)
    if doc["status"] != "booked":
        raise Conflict("the appointment is not booked")
    confidant = await get_confidant(booking, doc["confidant_id"])
    kind = await appointment_types(booking.db).find_one({"_id": doc["type_id"]})
    if kind is None:
        raise Conflict("the appointment's type no longer exists")
    start, now = body.start.astimezone(UTC), booking.clock.now()
    hours, rules = working_hours(confidant, now.date()), slot_rules(kind)
    if not is_slot(hours, rules, [], [], now, start):
        raise invalid("start", "not a slot of this confidant")
    found = await blocking(booking, confidant, now, skip=doc["_id"])
    if found is None or not is_slot(hours, rules, *found, now, start):
        raise Conflict("that slot is not free")
    try:
        await move(booking, doc, start, rules.duration, occupied(start, rules), _actor(who))
    except Taken:
        raise Conflict("that slot is not free") from None
    moved = await appointments(booking.db).find_one({"_id": doc["_id"]}, HIDDEN)
    if moved is None:
        raise not_found("appointment")
    return web.json_response(shown(request, moved, who))


# The longest window asked at once: a month and a bit (a month view, a week view's margin).
MAX_WINDOW = timedelta(days=42)


def window_of(request: web.Request) -> tuple[datetime, datetime] | None:
    """``?from=…&to=…`` if given (both or neither): see ``window``."""
    if not request.query.get("from") and not request.query.get("to"):
        return None
    return window(request)


def window(request: web.Request) -> tuple[datetime, datetime]:
    """``?from=…&to=…`` (ISO 8601 with an offset): a window of at most ``MAX_WINDOW``."""
    moments: dict[str, datetime] = {}
    for name in ("from", "to"):
        value = request.query.get(name)
        try:
            if not value or len(value) > 40:
                raise ValueError(value)
            moments[name] = in_range(datetime.fromisoformat(value))
        except ValueError:
            raise invalid(name, "a date and time, like 2026-12-07T00:00:00+01:00") from None
        if moments[name].tzinfo is None:
            raise invalid(name, "give the time's offset, like +01:00")
    start, end = moments["from"].astimezone(UTC), moments["to"].astimezone(UTC)
    if not start < end <= start + MAX_WINDOW:
        raise invalid("to", f"after from, and at most {MAX_WINDOW.days} days later")
    return start, end


async def set_meeting_point(request: web.Request) -> web.Response:
    """The employee proposes where to meet; the confidant confirms it, as it is or changed.
    The text stays in booking (no event carries it: it may say more than a place)."""
    doc, who = await load_appointment(request)
    body = await read_body(request, PlaceProposal)
    if doc["mode"] not in PLACED:
        raise Conflict("only a walk or a meeting on location has a meeting point")
    by = _actor(who)
    point: MeetingPoint = {
        "text": body.text,
        "state": "proposed" if by == "reporter" else "confirmed",
        "by": by,
    }
    booking = request.app[BOOKING]
    changed = await appointments(booking.db).find_one_and_update(
        {"_id": doc["_id"], "status": "booked"},
        {"$set": {"meeting_point": point, "updated_at": booking.clock.now()}},
        return_document=ReturnDocument.AFTER,
    )
    if changed is None:
        raise Conflict("the appointment is not booked")
    return web.json_response(shown(request, changed, who))


async def confirm_held(request: web.Request) -> web.Response:
    """The confidant (or the office) confirms the conversation took place: how long it
    really was and the travel it took; what billing counts, corrected until invoiced."""
    require(request, ["admin", "confidant"])
    doc, who = await load_appointment(request)
    body = await read_body(request, HeldBody)
    booking = request.app[BOOKING]
    now = booking.clock.now()
    if doc["status"] != "booked":
        raise Conflict("the appointment was cancelled")
    if now < doc["start"].replace(tzinfo=UTC):
        raise Conflict("the conversation has not begun yet")
    if body.started_at.astimezone(UTC) > now:
        raise invalid("started_at", "not in the future")
    if doc["mode"] in ("online", "phone") and (body.km or body.travel_minutes):
        raise invalid("km", "no travel for a conversation online or by phone")
    held: Held = {
        "started_at": body.started_at.astimezone(UTC),
        "ended_at": body.ended_at.astimezone(UTC),
        "km": body.km,
        "travel_minutes": body.travel_minutes,
        "at": now,
    }
    if not await store_held(booking, doc, held):
        raise Conflict("the appointment was cancelled")
    return web.json_response(shown(request, {**doc, "held": held}, who))


class AppointmentsQuery(PageQuery):
    """Those overlapping a window (both ends, ISO 8601 with an offset), of a confidant."""

    model_config = ConfigDict(populate_by_name=True)

    from_: Moment | None = Field(None, alias="from")
    to: Moment | None = None
    confidant_id: str | None = Field(None, min_length=1, max_length=64)


@answers(list_of(AppointmentView))
async def list_appointments(request: web.Request) -> web.Response:
    who = caller(request, ["admin", "confidant", "employee"])
    query: Query
    if who.role == "employee":
        query = {"case_id": who.case_id}
    elif who.role == "confidant":
        query = {"confidant_id": who.sub}
    else:
        if not request.query.get("confidant_id"):
            raise invalid("confidant_id", "required for an admin")
        query = {"confidant_id": request.query["confidant_id"]}
    span = window_of(request)
    if span is not None:  # those that overlap the window (a week's view)
        query.update(start={"$lt": span[1]}, end={"$gt": span[0]})
    page = page_of(request)
    collection = appointments(request.app[BOOKING].db)
    docs, following = await find_page(collection, query, page, "start", projection=HIDDEN)
    return listed(docs, following, lambda doc: shown(request, doc, who))


def on_one(method: str, path: str, handler: HandlerFn, summary: str, **more: Any) -> Endpoint:
    """A route on one appointment, answering it: for its case's reporter, its confidant and
    the office."""
    return Endpoint(
        method,
        f"/v1/appointments/{ID}{path}",
        handler,
        summary,
        roles=["admin", "confidant", "employee"],
        scope="case",
        response=AppointmentView,
        **more,
    )


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/appointments",
        book,
        "Book with a case token; honours Idempotency-Key.",
        roles=["employee"],
        body=Book,
        status=201,
        scope="case",
    ),
    Endpoint(
        "GET",
        "/v1/appointments",
        list_appointments,
        "Appointments of a case or mine (?from=&to=: those overlapping that window).",
        query=AppointmentsQuery,
        roles=["admin", "confidant", "employee"],
        scope="mine",
    ),
    Endpoint(
        "GET",
        f"/v1/appointments/{ID}.ics",
        appointment_ics,
        "The ICS (RFC 5545).",
        roles=["admin", "confidant", "employee"],
        scope="case",
        media="text/calendar",
    ),
    on_one("GET", "", read_appointment, "One appointment."),
    on_one("POST", "/cancel", cancel, "Cancel."),
    on_one("POST", "/reschedule", reschedule, "Move to another slot.", body=Reschedule),
    Endpoint(
        "PUT",
        f"/v1/appointments/{ID}/held",
        confirm_held,
        "The confidant confirms it took place: real start and end, km, travel time.",
        roles=["admin", "confidant"],
        scope="case",
        body=HeldBody,
        response=AppointmentView,
    ),
    on_one(
        "PUT",
        "/meeting-point",
        set_meeting_point,
        "Where to meet (a walk, another place): the employee proposes, the confidant confirms.",
        body=PlaceProposal,
    ),
]

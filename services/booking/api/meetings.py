"""Booking's HTTP API for an organisation's own meetings with the firm: its admin books an
introduction or an evaluation (with the employer, HR, the works council) with one of its
confidants, from the organisation's page; the office can too.

Such a meeting is an appointment like any other (the same slots, claims and calendar
write, so still no double booking), of a type whose audience is the organisation, with no
case: its ``case_id`` is the organisation's meetings' own id, and its events say
``meeting: organisation``, so intake and notify leave the reporter out of it and reporting
bills it as the organisation's work, never as a conversation on a case.
"""

from __future__ import annotations

import hashlib

from aiohttp import web
from typing_extensions import TypedDict

from services.booking.api.appointments import shown
from services.booking.api.slots import confidant_and_type
from services.booking.domain.reserve import Book, Booker, ForCase, replayed, reserve
from services.booking.state import BOOKING, Booking
from services.booking.store.claims import cancel as cancel_appointment
from services.booking.store.documents import (
    Appointment,
    appointment_types,
    appointments,
    confidants,
    type_view,
)
from shared.errors import Conflict, invalid, not_found
from shared.http import Endpoint, answers, idempotency_key, read_body, require
from shared.listing import find_page, list_of, listed, page_of
from shared.outbox import HIDDEN
from shared.replies import Appointment as AppointmentView
from shared.wire import Json

ORG = "{org_id:[A-Za-z0-9_-]{1,64}}"
ONE = "{meeting_id:[0-9a-f]{24}}"


def meetings_of(org_id: str) -> str:
    """The id an organisation's meetings carry where a case's would be: fixed per
    organisation, within an id's 64 characters whatever the organisation's id."""
    return "org-" + hashlib.sha256(org_id.encode()).hexdigest()[:40]


class ConfidantChoice(TypedDict):
    id: str
    display_name: str


class MeetingOptions(TypedDict):
    confidants: list[ConfidantChoice]
    types: list[Json]


@answers(MeetingOptions)
async def options(request: web.Request) -> web.Response:
    """What the organisation's admin chooses from: its confidants and the meeting types."""
    org_id = request.match_info["org_id"]
    require(request, ["admin", "org_admin"], org_id=org_id)
    db = request.app[BOOKING].db
    found = await confidants(db).find({"org_ids": org_id}, {"display_name": 1}).to_list(200)
    kinds = await appointment_types(db).find({"audience": "organisation"}).to_list(100)
    return web.json_response(
        {
            "confidants": [{"id": c["_id"], "display_name": c["display_name"]} for c in found],
            "types": [type_view(kind) for kind in kinds],
        }
    )


@answers(AppointmentView)
async def book_meeting(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    who = require(request, ["admin", "org_admin"], org_id=org_id)
    booking = request.app[BOOKING]
    key = idempotency_key(request)
    earlier = await replayed(booking, meetings_of(org_id), key)
    if earlier is not None:
        return web.json_response(shown(request, earlier, who), status=201)
    body = await read_body(request, Book)
    if body.phone is not None:
        raise invalid("phone", "a meeting with the organisation is online or on location")
    confidant, kind = await confidant_and_type(
        request, booking, body.confidant_id, body.type_id, who
    )
    if org_id not in confidant.get("org_ids", []):
        raise invalid("confidant_id", "one of this organisation's confidants")
    by: Booker = "org_admin" if who.role == "org_admin" else "admin"
    meeting = ForCase(meetings_of(org_id), org_id, None, by, meeting="organisation")
    doc = await reserve(booking, meeting, confidant, kind, body, key)
    return web.json_response(shown(request, doc, who), status=201)


@answers(list_of(AppointmentView))
async def list_meetings(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    who = require(request, ["admin", "org_admin"], org_id=org_id)
    query = {"case_id": meetings_of(org_id), "status": "booked"}
    collection = appointments(request.app[BOOKING].db)
    docs, following = await find_page(
        collection, query, page_of(request), "start", projection=HIDDEN
    )
    return listed(docs, following, lambda doc: shown(request, doc, who))


async def meeting(booking: Booking, org_id: str, appointment_id: str) -> Appointment:
    doc = await appointments(booking.db).find_one(
        {"_id": appointment_id, "case_id": meetings_of(org_id)}, HIDDEN
    )
    if doc is None:
        raise not_found("meeting")
    return doc


@answers(AppointmentView)
async def cancel_meeting(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    who = require(request, ["admin", "org_admin"], org_id=org_id)
    booking = request.app[BOOKING]
    doc = await meeting(booking, org_id, request.match_info["meeting_id"])
    if doc["status"] != "booked":
        raise Conflict("the meeting is not booked")
    pending = "delete" if (doc.get("calendar") or {}).get("href") else None
    by = "admin" if who.role == "admin" else "organisation"
    if not await cancel_appointment(booking, doc, by, {"calendar.pending": pending}):
        raise Conflict("the meeting changed meanwhile")
    doc["status"] = "cancelled"
    return web.json_response(shown(request, doc, who))


ENDPOINTS = [
    Endpoint(
        "GET",
        f"/v1/orgs/{ORG}/meeting-options",
        options,
        "The organisation's confidants and the meeting types its admin books.",
        roles=["admin", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "POST",
        f"/v1/orgs/{ORG}/meetings",
        book_meeting,
        "Book the organisation's meeting with the firm (introduction, evaluation).",
        roles=["admin", "org_admin"],
        body=Book,
        status=201,
        scope="org",
    ),
    Endpoint(
        "GET",
        f"/v1/orgs/{ORG}/meetings",
        list_meetings,
        "The organisation's booked meetings with the firm.",
        roles=["admin", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "POST",
        f"/v1/orgs/{ORG}/meetings/{ONE}/cancel",
        cancel_meeting,
        "Cancel one of the organisation's meetings.",
        roles=["admin", "org_admin"],
        scope="org",
    ),
]

"""Booking's HTTP API for free slots: a confidant's working hours, less their calendar's
busy time and what is booked."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Required
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from services.booking.api.confidants import BOOKERS, caller
from services.booking.domain.availability import free_slots
from services.booking.domain.blocked import blocking
from services.booking.domain.rules import slot_rules, working_hours
from services.booking.state import BOOKING, Booking
from services.booking.store.documents import (
    AppointmentType,
    Confidant,
    appointment_types,
    confidants,
)
from shared.auth import Forbidden, Principal
from shared.errors import Conflict, Invalid, invalid
from shared.http import Endpoint, answers
from shared.outbox import HIDDEN


class Slot(TypedDict):
    start: str
    end: str


class SlotsView(TypedDict, total=False):
    timezone: Required[str]
    slots: Required[list[Slot]]
    closed: Literal["calendar_unavailable"]  # the calendar cannot be read: none offered


async def confidant_and_type(
    request: web.Request, booking: Booking, confidant_id: str, type_id: str, who: Principal
) -> tuple[Confidant, AppointmentType]:
    if who.role == "confidant" and who.sub != confidant_id:
        raise Forbidden("a confidant sees their own slots")
    confidant = await confidants(booking.db).find_one({"_id": confidant_id}, HIDDEN)
    orgs = set(confidant.get("org_ids", [])) if confidant else set()
    if confidant is None or (who.role in ("employee", "org_admin") and not orgs & who.orgs):
        raise invalid("confidant_id", "unknown confidant")
    kind = await appointment_types(booking.db).find_one({"_id": type_id})
    if kind is None:
        raise invalid("type_id", "unknown appointment type")
    # An organisation's admin books the organisation's meetings, and sees free times for
    # those alone (when the confidant is free, never for whom); a reporter, conversations.
    for_org = kind.get("audience") == "organisation"
    if who.role == "org_admin" and not for_org:
        raise Forbidden("an organisation books its own meetings only")
    if who.role == "employee" and for_org:
        raise invalid("type_id", "this appointment type is not booked by you")
    if not confidant.get("hours"):
        raise Conflict("this confidant has no working hours yet")
    return confidant, kind


def zone_of(name: str) -> ZoneInfo:
    """A time zone named by the caller; a 422 for one that is not known."""
    try:
        if len(name) > 64:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise invalid("timezone", "not a known time zone") from None


async def open_slots(
    booking: Booking, confidant: Confidant, kind: AppointmentType
) -> list[tuple[datetime, datetime]] | None:
    """The free slots (start, end) of ``kind`` with ``confidant`` from now; None when the
    calendar cannot be read (closed, not assumed free)."""
    now = booking.clock.now()
    found = await blocking(booking, confidant, now)
    if found is None:
        return None
    rules = slot_rules(kind)
    starts = free_slots(working_hours(confidant, now.date()), rules, *found, now)
    return [(start, start + rules.duration) for start in starts]


@answers(SlotsView)
async def slots(request: web.Request) -> web.Response:
    who = caller(request, BOOKERS)
    booking = request.app[BOOKING]
    query = request.query
    if not query.get("confidant_id") or not query.get("type_id"):
        raise Invalid(
            "name the confidant and the appointment type",
            {k: "required" for k in ("confidant_id", "type_id") if not query.get(k)},
        )
    confidant, kind = await confidant_and_type(
        request, booking, query["confidant_id"], query["type_id"], who
    )
    # Shown in the organisation's zone when the caller names it, else the confidant's.
    zone_name = query.get("timezone") or confidant["timezone"]
    zone = zone_of(zone_name)
    found = await open_slots(booking, confidant, kind)
    if found is None:
        return web.json_response(
            {"timezone": zone_name, "slots": [], "closed": "calendar_unavailable"}
        )
    shown = [
        {"start": start.astimezone(zone).isoformat(), "end": end.astimezone(zone).isoformat()}
        for start, end in found
    ]
    return web.json_response({"timezone": zone_name, "slots": shown})


class SlotsQuery(BaseModel):
    confidant_id: str = Field(min_length=1, max_length=64)
    type_id: str = Field(min_length=1, max_length=64)
    timezone: str | None = Field(None, max_length=64)  # shown in this zone (IANA)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/slots",
        slots,
        "Free slots (?confidant_id=&type_id=), from the cache, never from CalDAV.",
        query=SlotsQuery,
        roles=BOOKERS,
        scope="mine",
    ),
]

"""Booking's HTTP API for confidants and their working hours, and appointment types."""

from __future__ import annotations

from datetime import UTC

from aiohttp import web
from pymongo.errors import DuplicateKeyError

from services.booking.api.models import (
    ConfidantCreate,
    ConfidantUpdate,
    Hours,
    TypeCreate,
    TypeView,
)
from services.booking.state import BOOKING, Booking
from services.booking.store.collections import CONFIDANTS
from services.booking.store.documents import (
    APPOINTMENT_TYPE,
    CONFIDANT,
    HOURS,
    Confidant,
    ConfidantView,
    appointment_types,
    confidant_view,
    confidants,
    type_view,
)
from shared.auth import Forbidden, Principal, Role, authorize
from shared.errors import Conflict, invalid, not_found
from shared.http import Endpoint, answers, principal, read_body, require
from shared.listing import PageQuery, find_page, list_of, listed, page_of
from shared.outbox import HIDDEN


def caller(request: web.Request, roles: list[Role]) -> Principal:
    """Who calls, for acts on behalf of a case: an employee token reaches its own case."""
    who = principal(request)
    authorize(who, roles, case_id=who.case_id)
    return who


async def get_confidant(booking: Booking, confidant_id: str) -> Confidant:
    doc = await confidants(booking.db).find_one({"_id": confidant_id}, HIDDEN)
    if doc is None:
        raise not_found("confidant")
    return doc


def confidant_or_admin(request: web.Request, confidant_id: str) -> Principal:
    who = require(request, ["admin", "confidant"])
    if who.role == "confidant" and who.sub != confidant_id:
        raise Forbidden("a confidant manages only their own profile")
    return who


@answers(ConfidantView)
async def create_confidant(request: web.Request) -> web.Response:
    given = (await read_body(request, ConfidantCreate)).model_dump()
    booking = request.app[BOOKING]
    doc = CONFIDANT.validate_python(
        {"_id": given.pop("id"), **given, "hours": None, "created_at": booking.clock.now()}
    )
    try:
        await confidants(booking.db).insert_one(doc)
    except DuplicateKeyError:
        raise Conflict("that confidant exists", {"id": "in use"}) from None
    return web.json_response(confidant_view(doc), status=201)


@answers(ConfidantView)
async def read_confidant(request: web.Request) -> web.Response:
    who = principal(request)
    confidant_id = request.match_info["confidant_id"]
    doc = await confidants(request.app[BOOKING].db).find_one({"_id": confidant_id}, HIDDEN)
    # Others' confidants and none at all answer alike: a 404.
    if (
        doc is None
        or (who.role in ("employee", "org_admin") and not set(doc.get("org_ids", [])) & who.orgs)
        or (who.role == "confidant" and who.sub != confidant_id)
    ):
        raise not_found("confidant")
    private = who.role == "admin" or (who.role == "confidant" and who.sub == confidant_id)
    return web.json_response(confidant_view(doc, private=private))


@answers(ConfidantView)
async def update_confidant(request: web.Request) -> web.Response:
    confidant_id = request.match_info["confidant_id"]
    who = confidant_or_admin(request, confidant_id)
    body = await read_body(request, ConfidantUpdate)
    # What was sent; null only clears what may be empty (a bio; no holidays at all).
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in ("bio", "holidays")
    }
    if who.role != "admin":
        changes.pop("org_ids", None)  # which organisations: the office decides
    booking = request.app[BOOKING]
    if changes and not await booking.update_with_events(
        CONFIDANTS, {"_id": confidant_id}, {"$set": changes}, []
    ):
        raise not_found("confidant")
    return web.json_response(confidant_view(await get_confidant(booking, confidant_id)))


@answers(ConfidantView)
async def set_hours(request: web.Request) -> web.Response:
    confidant_id = request.match_info["confidant_id"]
    confidant_or_admin(request, confidant_id)
    body = await read_body(request, Hours)
    hours = HOURS.validate_python(
        {
            **body.model_dump(mode="json"),
            "absences": [
                {"start": a.start.astimezone(UTC), "end": a.end.astimezone(UTC)}
                for a in body.absences
            ],
        }
    )
    booking = request.app[BOOKING]
    if not await booking.update_with_events(
        CONFIDANTS, {"_id": confidant_id}, {"$set": {"hours": hours}}, []
    ):
        raise not_found("confidant")
    return web.json_response(confidant_view(await get_confidant(booking, confidant_id)))


@answers(TypeView)
async def create_type(request: web.Request) -> web.Response:
    given = (await read_body(request, TypeCreate)).model_dump()
    doc = APPOINTMENT_TYPE.validate_python({"_id": given.pop("id"), **given})
    try:
        await appointment_types(request.app[BOOKING].db).insert_one(doc)
    except DuplicateKeyError:
        raise Conflict("that type exists", {"id": "in use"}) from None
    return web.json_response(type_view(doc), status=201)


@answers(TypeView)
async def update_type(request: web.Request) -> web.Response:
    """Change a type as a whole (its id stays): what is booked already keeps its time."""
    given = (await read_body(request, TypeCreate)).model_dump()
    type_id = request.match_info["type_id"]
    if given.pop("id") != type_id:
        raise invalid("id", "the type's own id")
    doc = APPOINTMENT_TYPE.validate_python({"_id": type_id, **given})
    changed = await appointment_types(request.app[BOOKING].db).update_one(
        {"_id": type_id}, {"$set": given}
    )
    if changed.matched_count == 0:
        raise not_found("appointment type")
    return web.json_response(type_view(doc))


@answers(list_of(TypeView))
async def list_types(request: web.Request) -> web.Response:
    caller(request, EVERYONE)
    page = page_of(request)
    types, following = await find_page(appointment_types(request.app[BOOKING].db), {}, page, "_id")
    return listed(types, following, type_view)


EVERYONE: list[Role] = ["admin", "confidant", "employee", "org_admin"]


# Who may see free slots: not an employer, for slots vanishing tell when someone booked.
BOOKERS: list[Role] = ["admin", "confidant", "employee", "org_admin"]


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/confidants",
        create_confidant,
        "Add a confidant.",
        roles=["admin"],
        body=ConfidantCreate,
        status=201,
    ),
    Endpoint(
        "GET",
        "/v1/confidants/{confidant_id}",
        read_confidant,
        "A confidant's profile.",
        roles=EVERYONE,
        scope="own",
    ),
    Endpoint(
        "PATCH",
        "/v1/confidants/{confidant_id}",
        update_confidant,
        "Change a profile (admin, or the confidant).",
        roles=["admin", "confidant"],
        body=ConfidantUpdate,
        scope="own",
    ),
    Endpoint(
        "PUT",
        "/v1/confidants/{confidant_id}/hours",
        set_hours,
        "Working hours, date overrides and absences.",
        roles=["admin", "confidant"],
        body=Hours,
        scope="own",
    ),
    Endpoint(
        "POST",
        "/v1/appointment-types",
        create_type,
        "Add an appointment type.",
        roles=["admin"],
        body=TypeCreate,
        status=201,
    ),
    Endpoint(
        "PUT",
        "/v1/appointment-types/{type_id:[A-Za-z0-9_-]{1,64}}",
        update_type,
        "Change an appointment type.",
        roles=["admin"],
        body=TypeCreate,
    ),
    Endpoint(
        "GET",
        "/v1/appointment-types",
        list_types,
        "The appointment types.",
        query=PageQuery,
        roles=EVERYONE,
    ),
]

"""The organisation's own work entered by hand (``domain.activities``): the confidant or the
office lists, adds and removes it; billing counts it as the organisation's work."""

from __future__ import annotations

from aiohttp import web
from typing_extensions import TypedDict

from services.reporting.domain.activities import ActivityInput, record, remove
from services.reporting.state import REPORTING
from services.reporting.store.documents import Activity, ActivityKind, activities
from shared.auth import Role
from shared.http import Endpoint, answers, read_body, require
from shared.listing import find_page, list_of, listed, page_of

ORG = "{org_id:[A-Za-z0-9_-]{1,64}}"
ROLES: list[Role] = ["admin", "confidant"]


class ActivityView(TypedDict):
    id: str
    kind: ActivityKind
    day: str
    minutes: int
    travel_minutes: int
    km: float


def activity_view(doc: Activity) -> ActivityView:
    return {
        "id": doc["_id"],
        "kind": doc["kind"],
        "day": doc["day"],
        "minutes": doc["minutes"],
        "travel_minutes": doc["travel_minutes"],
        "km": doc["km"],
    }


@answers(list_of(ActivityView))
async def list_activities(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, ROLES, org_id=org_id)
    collection = activities(request.app[REPORTING].db)
    found, following = await find_page(
        collection, {"org_id": org_id}, page_of(request), "day", descending=True
    )
    return listed(found, following, activity_view)


@answers(ActivityView)
async def add_activity(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, ROLES, org_id=org_id)
    body = await read_body(request, ActivityInput)
    r = request.app[REPORTING]
    doc = await record(r, org_id, body, r.clock.now())
    return web.json_response(activity_view(doc), status=201)


async def delete_activity(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, ROLES, org_id=org_id)
    await remove(request.app[REPORTING], org_id, request.match_info["activity_id"])
    return web.Response(status=204)


ENDPOINTS = [
    Endpoint(
        "GET",
        f"/v1/orgs/{ORG}/activities",
        list_activities,
        "The organisation's own work entered by hand, newest first.",
        roles=ROLES,
        scope="org",
    ),
    Endpoint(
        "POST",
        f"/v1/orgs/{ORG}/activities",
        add_activity,
        "Enter work for the organisation itself (an introduction, the yearly report).",
        roles=ROLES,
        body=ActivityInput,
        status=201,
        scope="org",
    ),
    Endpoint(
        "DELETE",
        f"/v1/orgs/{ORG}/activities/{{activity_id:[0-9a-f]{{24}}}}",
        delete_activity,
        "Remove an entry, unless its month is invoiced.",
        roles=ROLES,
        scope="org",
        status=204,
    ),
]

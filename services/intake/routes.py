"""Intake's HTTP API."""

from __future__ import annotations

from aiohttp import web

from shared.http import Endpoint, not_found, require
from shared.service import MONGO

from .store import TIMELINE


async def case_timeline(request: web.Request) -> web.Response:
    case_id = request.match_info["case_id"]
    entries = await (
        request.app[MONGO].db[TIMELINE].find({"case_id": case_id}).sort("occurred_at", 1)
    ).to_list(500)
    # An unknown case and a case of another organisation look the same: 404 after the
    # role check, so ids of other organisations reveal nothing.
    org_id = entries[0]["org_id"] if entries else None
    require(request, ["admin", "confidant", "employee"], org_id=org_id or "-", case_id=case_id)
    if not entries:
        raise not_found("case")
    return web.json_response(
        {
            "case_id": case_id,
            "entries": [
                {
                    "type": e["type"],
                    "appointment_id": e["appointment_id"],
                    "occurred_at": e["occurred_at"].isoformat(),
                }
                for e in entries
            ],
        }
    )


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/cases/{case_id}/timeline",
        case_timeline,
        "Appointments of a case, oldest first.",
        roles=["admin", "confidant", "employee"],
    ),
]

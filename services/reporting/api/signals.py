"""Reporting's HTTP API for trend signals: proposed by the rules, confirmed or dismissed by a
confidant, and shown to the organisation once raised."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, Self

from aiohttp import web
from pydantic import Field, model_validator

from services.reporting.api.reports import READERS, STAFF, org_list
from services.reporting.domain.signals import decide, propose, write_own
from services.reporting.state import REPORTING
from services.reporting.store.documents import Proposed, SignalView, signal_view, signals
from shared.db import Query
from shared.errors import Conflict, not_found
from shared.event_schemas import Category
from shared.http import Body, Endpoint, answers, principal, read_body, require
from shared.listing import PageQuery, list_of


class SignalConfirm(Body):
    decision: Literal["raise", "dismiss"]
    # The confidant's words to the organisation with a raised signal (about the trend,
    # never about a person or a case).
    note: str | None = Field(None, max_length=1000)


@answers(Proposed)
async def propose_signals(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    r = request.app[REPORTING]
    made = await propose(r, org_id)
    docs = signals(r.db).find({"org_id": org_id})
    return web.json_response({"items": [signal_view(d) async for d in docs], "new": len(made)})


class OwnSignal(Body):
    """A confidant's own signal: about a category or a department (one of them), over a
    window of at most a year that has begun."""

    category: Category | None = None
    department_index: int | None = Field(None, ge=0, le=1000)
    window_start: date
    window_end: date

    @model_validator(mode="after")
    def one_subject(self) -> Self:
        if (self.category is None) == (self.department_index is None):
            raise ValueError("name a category or a department_index (one of them)")
        if not self.window_start <= self.window_end <= self.window_start + timedelta(days=366):
            raise ValueError("window_end: after window_start, within a year")
        return self


@answers(SignalView)
async def write_signal(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    who = require(request, org_id=org_id)
    body = await read_body(request, OwnSignal)
    r = request.app[REPORTING]
    window = (body.window_start, body.window_end)
    doc = await write_own(r, org_id, who.sub, window, body.category, body.department_index)
    return web.json_response(signal_view(doc), status=201)


@answers(list_of(SignalView))
async def list_signals(request: web.Request) -> web.Response:
    r = request.app[REPORTING]
    return await org_list(request, signals(r.db), "proposed_at", "raised", signal_view)


@answers(SignalView)
async def decide_signal(request: web.Request) -> web.Response:
    r = request.app[REPORTING]
    who = require(request)
    # Looked up only among what the caller reaches: someone else's signal and none at all
    # answer alike.
    query: Query = {"_id": request.match_info["signal_id"]}
    if who.role != "admin":
        query["org_id"] = {"$in": sorted(who.orgs)}
    doc = await signals(r.db).find_one(query)
    if doc is None:
        raise not_found("signal")
    body = await read_body(request, SignalConfirm)
    if doc["status"] != "proposed":
        raise Conflict(f"the signal is {doc['status']} already")
    await decide(r, doc, body.decision, body.note, principal(request).sub)
    updated = await signals(r.db).find_one({"_id": doc["_id"]})
    if updated is None:
        raise not_found("signal")
    return web.json_response(signal_view(updated))


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/orgs/{org_id}/signals/propose",
        propose_signals,
        "Look for trends; new ones are proposed.",
        roles=STAFF,
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/signals",
        list_signals,
        "Signals (org_admin: raised only).",
        query=PageQuery,
        roles=READERS,
        scope="org",
    ),
    Endpoint(
        "POST",
        "/v1/orgs/{org_id}/signals",
        write_signal,
        "A confidant's own signal (a category or a department over a window), proposed like "
        "the rules' ones; refused when fewer than k reports fit it.",
        roles=STAFF,
        body=OwnSignal,
        status=201,
        scope="org",
    ),
    Endpoint(
        "POST",
        "/v1/signals/{signal_id}/decision",
        decide_signal,
        "Raise or dismiss a proposed signal.",
        roles=STAFF,
        body=SignalConfirm,
        scope="org",
    ),
]

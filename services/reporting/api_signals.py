"""Reporting's HTTP API for trend signals: proposed by the rules, confirmed or dismissed by a
confidant, and shown to the organisation once raised."""

from __future__ import annotations

import secrets
from typing import Literal

from aiohttp import web
from pydantic import Field
from pymongo.errors import DuplicateKeyError

from shared.db import Query
from shared.event_schemas import SignalRaised
from shared.events import new_event
from shared.http import (
    ApiError,
    Body,
    Endpoint,
    not_found,
    principal,
    read_body,
    require,
)

from . import signals as rules
from .api import READERS, STAFF, org_list
from .collections import SIGNALS
from .documents import Signal, SignalKey, signal_keys, signal_view, signals
from .queries import disclosure_rules, org_cases
from .state import REPORTING


class SignalConfirm(Body):
    decision: Literal["raise", "dismiss"]
    # The confidant's words to the organisation with a raised signal (about the trend,
    # never about a person or a case).
    note: str | None = Field(None, max_length=1000)


async def propose_signals(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, STAFF, org_id=org_id)
    r = request.app[REPORTING]
    k, _ = await disclosure_rules(r, org_id)
    now = r.clock.now()
    found = rules.detect(await org_cases(r, org_id), now, k)
    made = []
    for proposal in found:
        # Proposed once per trend and day: the claim is keyed so. The signal's own id is
        # random, so no one can guess it and ask whether a trend was ever proposed.
        claim: SignalKey = {
            "_id": f"{org_id}-{proposal.key}",
            "signal_id": secrets.token_urlsafe(16),
        }
        try:
            await signal_keys(r.db).insert_one(claim)
        except DuplicateKeyError:
            earlier = await signal_keys(r.db).find_one({"_id": claim["_id"]})
            if earlier is None or await signals(r.db).find_one({"_id": earlier["signal_id"]}):
                continue
            claim = earlier  # claimed by a process that stopped before it stored the signal
        doc: Signal = {
            "_id": claim["signal_id"],
            "org_id": org_id,
            "status": "proposed",
            "proposed_at": now,
            "rule": proposal.rule,
            "category": proposal.category,
            "department_index": proposal.department_index,
            "window_end": proposal.window_end,
        }
        try:
            await signals(r.db).insert_one(doc)
        except DuplicateKeyError:
            continue  # another instance finished the same claim
        made.append(doc)
    docs = signals(r.db).find({"org_id": org_id})
    return web.json_response({"items": [signal_view(d) async for d in docs], "new": len(made)})


async def list_signals(request: web.Request) -> web.Response:
    r = request.app[REPORTING]
    return await org_list(request, signals(r.db), "proposed_at", "raised", signal_view)


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
        raise ApiError(409, "conflict", f"the signal is {doc['status']} already")
    events = []
    status = "dismissed"
    if body.decision == "raise":
        status = "raised"
        events.append(
            new_event(
                SignalRaised,
                {
                    "signal_id": doc["_id"],
                    "rule": doc["rule"],
                    "category": doc.get("category"),
                    "department_index": doc.get("department_index"),
                },
                source="reporting",
                org_id=doc["org_id"],
            )
        )
    if not await r.update_with_events(
        SIGNALS,
        {"_id": doc["_id"], "status": "proposed"},
        {
            "$set": {
                "status": status,
                "decided_at": r.clock.now(),
                "decided_by": principal(request).sub,
                "note": body.note,
            }
        },
        events,
    ):
        raise ApiError(409, "conflict", "the signal was decided meanwhile")
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
        roles=READERS,
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

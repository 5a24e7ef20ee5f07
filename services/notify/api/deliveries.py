"""Notify's HTTP API: the delivery log (admin) and each organisation's webhooks."""

from __future__ import annotations

import secrets
from typing import Literal

from aiohttp import web
from pydantic import Field

from services.notify.channels import webhooks as hooks
from services.notify.state import NOTIFY, Notify
from services.notify.store.collections import DELIVERIES, WEBHOOKS
from services.notify.store.documents import (
    Delivery,
    DeliveryView,
    NewWebhook,
    Retried,
    Webhook,
    WebhookView,
    deliveries,
    delivery_view,
    merged,
    outcomes,
    webhook_view,
    webhooks,
)
from shared.db import Query
from shared.errors import Conflict, invalid, not_found
from shared.http import Body, Endpoint, answers, read_body, read_query, require
from shared.listing import PageQuery, cursor_after, find_page, keyset, list_of, listed, page_of

Status = Literal["pending", "sending", "sent", "failed", "dead", "skipped", "cancelled"]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]
MAX_WEBHOOKS = 10


class WebhookCreate(Body):
    url: str = Field(min_length=8, max_length=2000)
    events: list[Literal["reporting.report.ready", "reporting.signal.raised"]] = Field(
        min_length=1, max_length=2
    )


class DeliveriesQuery(PageQuery):
    status: Status | None = None
    org_id: str | None = Field(None, min_length=1, max_length=64)


@answers(list_of(DeliveryView))
async def list_deliveries(request: web.Request) -> web.Response:
    asked = read_query(request, DeliveriesQuery)
    status = asked.status
    page = page_of(request)
    query: Query = {}
    if asked.org_id:
        query["org_id"] = asked.org_id
    n = request.app[NOTIFY]
    found = (
        deliveries(n.db)
        .find(keyset(query, page, "created_at", descending=True), {"context": 0})
        .sort([("created_at", -1), ("_id", -1)])
    )
    items: list[Delivery] = []
    # A delivery's state is its document and, once it has ended, its outcome: read a batch
    # of deliveries at a time with their outcomes, until one more than a page matches.
    batch: list[Delivery] = []
    async for doc in found:
        batch.append(doc)
        if len(batch) == 200:
            items += await _matching(n, batch, status)
            batch = []
            if len(items) > page.limit:
                break
    if batch and len(items) <= page.limit:
        items += await _matching(n, batch, status)
    following = (
        cursor_after(items[page.limit - 1], "created_at") if len(items) > page.limit else None
    )
    return listed(items[: page.limit], following, delivery_view)


async def _matching(n: Notify, page: list[Delivery], status: str | None) -> list[Delivery]:
    ids = [d["_id"] for d in page]
    ended = {o["_id"]: o async for o in outcomes(n.db).find({"_id": {"$in": ids}})}
    current = [merged(d, ended.get(d["_id"])) for d in page]
    return [d for d in current if status is None or d["status"] == status]


@answers(Retried)
async def retry_delivery(request: web.Request) -> web.Response:
    """Send a failed or dead delivery again, after the cause was fixed."""
    n = request.app[NOTIFY]
    delivery_id = request.match_info["delivery_id"]
    if await n.db[DELIVERIES].find_one({"_id": delivery_id}, {"_id": 1}) is None:
        raise not_found("delivery")
    outcome = await outcomes(n.db).find_one({"_id": delivery_id})
    if outcome is None or outcome["status"] not in ("failed", "dead"):
        raise Conflict("only a failed or dead delivery can be retried")
    now = n.clock.now()
    async with n.locks.hold(DELIVERIES, delivery_id):
        await n.db[DELIVERIES].update_one(
            {"_id": delivery_id},
            {
                "$set": {
                    "status": "pending",
                    "planned_here": False,
                    "due_at": now,
                    "attempts": 0,
                    "updated_at": now,
                }
            },
        )
    await outcomes(n.db).delete_one({"_id": delivery_id, "status": outcome["status"]})
    n.enqueue([delivery_id])
    return web.json_response({"id": delivery_id, "status": "pending"})


@answers(list_of(WebhookView))
async def list_webhooks(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    page = page_of(request)
    query = {"org_id": org_id, "active": True}
    found, following = await find_page(webhooks(request.app[NOTIFY].db), query, page, "created_at")
    return listed(found, following, webhook_view)


@answers(NewWebhook)
async def create_webhook(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    n = request.app[NOTIFY]
    body = await read_body(request, WebhookCreate)
    problem = hooks.url_problem(body.url, n.settings.webhook_allow_private)
    if problem:
        raise invalid("url", problem)
    if await n.db[WEBHOOKS].count_documents({"org_id": org_id, "active": True}) >= MAX_WEBHOOKS:
        raise Conflict(f"an organisation has at most {MAX_WEBHOOKS} webhooks")
    webhook_id = secrets.token_hex(12)
    secret = hooks.new_secret()
    doc: Webhook = {
        "_id": webhook_id,
        "org_id": org_id,
        "url": body.url,
        "events": sorted(set(body.events)),
        "secret": n.cipher.seal(secret, doc_id=webhook_id, field="secret"),
        "active": True,
        "created_at": n.clock.now(),
    }
    await webhooks(n.db).insert_one(doc)
    # The secret is shown this once; what is stored is sealed.
    return web.json_response({**webhook_view(doc), "secret": secret}, status=201)


async def delete_webhook(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    n = request.app[NOTIFY]
    webhook_id = request.match_info["webhook_id"]
    async with n.locks.hold(WEBHOOKS, webhook_id):
        result = await n.db[WEBHOOKS].update_one(
            {"_id": webhook_id, "org_id": org_id, "active": True},
            {"$set": {"active": False, "removed_at": n.clock.now()}},
        )
    if result.matched_count == 0:
        raise not_found("webhook")
    return web.Response(status=204)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/deliveries",
        list_deliveries,
        "The delivery log, newest first: ?status=&org_id=&limit=.",
        query=DeliveriesQuery,
        roles=["admin"],
    ),
    Endpoint(
        "POST",
        "/v1/deliveries/{delivery_id}/retry",
        retry_delivery,
        "Send a failed or dead delivery again.",
        roles=["admin"],
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/webhooks",
        list_webhooks,
        "The organisation's webhooks.",
        query=PageQuery,
        roles=["admin", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "POST",
        "/v1/orgs/{org_id}/webhooks",
        create_webhook,
        "Add a webhook; the answer shows its signing secret, once.",
        roles=["admin", "org_admin"],
        body=WebhookCreate,
        status=201,
        scope="org",
    ),
    Endpoint(
        "DELETE",
        "/v1/orgs/{org_id}/webhooks/{webhook_id}",
        delete_webhook,
        "Remove a webhook.",
        roles=["admin", "org_admin"],
        status=204,
        scope="org",
    ),
]

"""The routes every service has: ``/healthz``, ``/readyz``, ``/metrics`` and
``/openapi.json``."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from shared.http.openapi import openapi_document
from shared.http.table import (
    ENDPOINTS,
    METRICS,
    METRICS_TOKEN,
    READY_CHECKS,
    READY_NOTES,
    SERVICE_NAME,
    ApiError,
    Endpoint,
)
from shared.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

# -- the routes every service has ------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": request.app[SERVICE_NAME]})


async def readyz(request: web.Request) -> web.Response:
    checks = {name: await check() for name, check in request.app[READY_CHECKS].items()}
    ready = all(checks.values())
    notes = {name: text for name, note in request.app[READY_NOTES].items() if (text := note())}
    return web.json_response(
        {"status": "ready" if ready else "unready", "checks": checks, "notes": notes},
        status=200 if ready else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    # Counts reveal activity (new reports per minute): only for the scraper that holds the
    # token. Without a token set, the metrics are not served at all.
    expected = request.app.get(METRICS_TOKEN, "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected:
        raise ApiError(404, "not_found", "metrics are off (set METRICS_TOKEN)")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        raise ApiError(
            401,
            "unauthorized",
            "the metrics token is required",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def openapi(request: web.Request) -> web.Response:
    endpoints: list[Endpoint] = request.app[ENDPOINTS]
    return web.json_response(openapi_document(request.app[SERVICE_NAME], endpoints))


BASE_ENDPOINTS = (
    Endpoint("GET", "/healthz", healthz, "Liveness: the process answers."),
    Endpoint("GET", "/readyz", readyz, "Readiness: the database and NATS answer."),
    Endpoint("GET", "/metrics", metrics, "Prometheus metrics, for the `METRICS_TOKEN` bearer."),
    Endpoint("GET", "/openapi.json", openapi, "This document."),
)

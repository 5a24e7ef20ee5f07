"""What every request passes: a request id, metrics and one access-log line; the security
headers; tracing; and the one error shape, with the domain's errors answered by kind."""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web
from nats.errors import Error as NatsError
from opentelemetry.trace import SpanKind
from pymongo.errors import ConnectionFailure

from shared.auth import AuthError, Forbidden
from shared.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    Throttled,
    Unavailable,
    UpstreamFailed,
)
from shared.http.table import (
    METRICS,
    REQUEST_ID,
    REQUEST_ID_HEADER,
    SERVICE_NAME,
    ApiError,
    HandlerFn,
)
from shared.tracing import context_of, tracer

log = logging.getLogger(__name__)

DOMAIN_STATUS: dict[type[DomainError], int] = {
    Invalid: 422,
    NotFound: 404,
    Conflict: 409,
    Throttled: 429,
    Unavailable: 503,
    UpstreamFailed: 502,
}


def domain_status(exc: DomainError) -> int:
    return next(s for kind, s in DOMAIN_STATUS.items() if isinstance(exc, kind))


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


@web.middleware
async def request_context(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
    """Request id, metrics and one access-log line (route pattern, never the raw path)."""
    request_id = _request_id(request.headers.get(REQUEST_ID_HEADER))
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
    except web.HTTPException as exc:
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        route = _route(request)
        elapsed = time.perf_counter() - started
        metrics = request.app[METRICS]
        metrics.http_requests(request.method, route, str(status)).inc()
        metrics.http_latency(request.method, route).observe(elapsed)
        if route not in ("/healthz", "/readyz", "/metrics"):
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 1),
                },
            )
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


# What a page may load, unless its handler says otherwise: only this origin's script, style
# and API (a page calls only its own service), and it may not be framed.
# Trusted Types: no page may hand a string to a DOM sink that runs code (innerHTML, a
# script's URL, a worker's); the one policy, "vertrouwd", lets shared/static/sealed.js
# start the crypto worker from its own address and nothing else (issue 26).
HTML_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "require-trusted-types-for 'script'; trusted-types vertrouwd"
)


@web.middleware
async def security_headers(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
    """The same headers on every answer, so no route can forget them: nothing is cached
    (answers carry case content, codes and tokens; only the static files may be), nothing is
    sniffed or sent on as a referrer, and no HTML answer can be framed."""
    response = await handler(request)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not request.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    if response.content_type == "text/html":
        policy = headers.get("Content-Security-Policy")
        if policy is None:
            headers["Content-Security-Policy"] = HTML_POLICY
        elif "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
        headers.setdefault("X-Frame-Options", "DENY")
    return response


@web.middleware
async def tracing(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
    """A server span per request, continuing the caller's trace (W3C ``traceparent``).
    Named by method and route pattern, never the path: paths hold ids."""
    route = _route(request)
    with tracer(request.app[SERVICE_NAME]).start_as_current_span(
        f"{request.method} {route}",
        context=context_of(request.headers),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": request.method, "http.route": route},
    ) as span:
        response = await handler(request)
        span.set_attribute("http.response.status_code", response.status)
        return response


@web.middleware
async def errors(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
    """Every failure leaves in the one error shape; internals never leave at all."""
    try:
        return await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.code, exc.message, exc.fields)
        response.headers.update(exc.headers)
        return response
    except DomainError as exc:
        response = error_response(domain_status(exc), exc.kind, exc.message, exc.fields)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AuthError as exc:
        response = error_response(401, "unauthorized", str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="vertrouwd"'
        return response
    except Forbidden as exc:
        return error_response(403, "forbidden", str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = exc.reason
        if exc.status == 405:
            message = f"method {request.method} is not allowed here"
        elif exc.status == 404:
            message = "no such resource"
        elif exc.status == 413:
            message = "the request body is too large"
        response = error_response(exc.status, code, message)
        for header in ("Allow", REQUEST_ID_HEADER):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        return response
    except (ConnectionFailure, NatsError) as exc:
        # The database or NATS is away: say so, and when to try again. Nothing was stored
        # half-way that the caller cannot get back (writes are single-document, and new
        # reports take an Idempotency-Key).
        log.warning(
            "dependency unavailable",
            extra={"request_id": request.get(REQUEST_ID), "error": type(exc).__name__},
        )
        response = error_response(
            503, "unavailable", "the service cannot reach its database or bus; try again"
        )
        response.headers["Retry-After"] = "5"
        return response
    except Exception:
        log.exception(
            "unhandled error",
            extra={"request_id": request.get(REQUEST_ID), "route": _route(request)},
        )
        return error_response(
            500, "internal", f"internal error, request id {request.get(REQUEST_ID)}"
        )


def _request_id(given: str | None) -> str:
    # Accept a caller's id only if it is a plain token: it ends up in our logs.
    if given and len(given) <= 64 and all(c.isalnum() or c in "-_." for c in given):
        return given
    return uuid.uuid4().hex


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "<unmatched>"

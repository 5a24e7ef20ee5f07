"""HTTP conventions shared by the four services.

One error shape, ``{"error": {"code", "message", "fields"}}``; a request id on every answer;
``/healthz``, ``/readyz``, ``/metrics`` and ``/openapi.json``; typed JSON bodies; and the one
way a handler asks who is calling.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any, Literal, TypeVar

from aiohttp import web
from nats.errors import Error as NatsError
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ConfigDict, ValidationError
from pymongo.errors import ConnectionFailure

from shared.auth import AuthError, Forbidden, KeySet, Principal, Role, authorize
from shared.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    Throttled,
    Unavailable,
    UpstreamFailed,
)
from shared.metrics import CONTENT_TYPE, Metrics
from shared.tracing import context_of, tracer

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
HandlerFn = Callable[[web.Request], Awaitable[web.StreamResponse]]
ReadyCheck = Callable[[], Awaitable[bool]]
REQUEST_ID_HEADER = "X-Request-Id"
IPNetwork = IPv4Network | IPv6Network


@dataclass(frozen=True)
class AuthConfig:
    keys: KeySet
    audience: str
    issuer: str


Scope = Literal["any", "mine", "org", "case", "own"]
SCOPES: dict[Scope, str] = {
    "any": "whatever the role allows",
    "mine": "lists only what the caller reaches",
    "org": "the caller's own organisation(s)",
    "case": "the employee's own case; the confidant it is assigned to",
    "own": "a confidant their own; others within their organisation",
}


@dataclass(frozen=True)
class Endpoint:
    """A route and what the OpenAPI document says of it."""

    method: str
    path: str
    handler: HandlerFn
    summary: str
    roles: Sequence[Role] | None = None  # None: public
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None  # its fields are the query parameters
    response: type[BaseModel] | None = None
    status: int = 200
    # Within the role, what the caller reaches (the docs' access table is made from this):
    # "org" (their organisation's), "case" (an employee's own case), "own" (a confidant's own
    # profile, agenda or calendar), "any" (whatever the role allows). Enforced in the
    # handler through ``require``; the role itself is enforced before the handler runs.
    scope: Scope = "any"


METRICS = web.AppKey("metrics", Metrics)
AUTH = web.AppKey("auth", AuthConfig)
READY_CHECKS = web.AppKey("ready_checks", dict[str, ReadyCheck])
# What readyz says beside its checks without being unready for it (a stream the operator
# made with other replicas than asked): a name and the words, or None.
READY_NOTES = web.AppKey("ready_notes", dict[str, Callable[[], str | None]])
ENDPOINTS = web.AppKey("endpoints", list[Endpoint])
SERVICE_NAME = web.AppKey("service_name", str)
REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
ROUTE_ROLES = web.RequestKey("route_roles", tuple[Role, ...])
METRICS_TOKEN = web.AppKey("metrics_token", str)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


class Body(BaseModel):
    """The base of every request body: unknown fields refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# The domain's errors as HTTP answers: decided here, once, by kind.
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
HTML_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
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


# -- request bodies and auth ---------------------------------------------------------------


async def read_body(request: web.Request, model: type[M]) -> M:
    """Parse a JSON body into ``model``: 415, 400 or 422 with the fields that are wrong."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        raw = json.loads(await request.read())
    except UnicodeDecodeError:
        raise ApiError(400, "malformed_json", "the body is not valid UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "invalid", "the request has invalid fields", _fields(exc)) from None


def read_query(request: web.Request, model: type[M]) -> M:
    """The query parameters as ``model`` (declared on the route, so the OpenAPI document and
    its fuzzing know them): a 422 naming each parameter that is wrong."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise ApiError(422, "invalid", "the request has invalid parameters", _fields(exc)) from None


def _fields(exc: ValidationError) -> dict[str, str]:
    # The message of each error, never the input value: it may be personal data.
    return {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}


def principal(request: web.Request) -> Principal:
    if PRINCIPAL in request:
        return request[PRINCIPAL]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("a bearer token is required")
    auth = request.app[AUTH]
    found = auth.keys.verify(token.strip(), audience=auth.audience, issuer=auth.issuer)
    request[PRINCIPAL] = found
    return found


def require(
    request: web.Request,
    roles: Iterable[Role] | None = None,
    *,
    org_id: str | None = None,
    case_id: str | None = None,
) -> Principal:
    """Who is calling, checked against role, organisation and case: the one helper. The
    roles are the route table's unless a handler narrows them (never widens: the table was
    checked before the handler ran)."""
    found = principal(request)
    if roles is None:
        roles = request.get(ROUTE_ROLES, ())
    authorize(found, roles, org_id=org_id, case_id=case_id)
    return found


def idempotency_key(request: web.Request) -> str | None:
    """The caller's ``Idempotency-Key``: the same key, the same answer (a retry after a lost
    answer never makes a second thing)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 100 or not all(c.isalnum() or c in "-_." for c in key):
        raise ApiError(400, "bad_request", "Idempotency-Key: 1 to 100 letters, digits, - _ .")
    return key


def guarded(endpoint: Endpoint) -> HandlerFn:
    """The handler behind the route table's role check: a caller whose role the table does
    not list is refused before the handler runs, so before anything is looked up (the same
    answer whether the thing asked for exists or not)."""
    if endpoint.roles is None:
        return endpoint.handler
    roles = tuple(endpoint.roles)
    handler = endpoint.handler

    async def checked(request: web.Request) -> web.StreamResponse:
        found = principal(request)
        if found.role not in roles:
            raise Forbidden("this role may not do this")
        request[ROUTE_ROLES] = roles
        return await handler(request)

    return checked


def client_address(request: web.Request, trusted: Sequence[IPNetwork]) -> str:
    """The client's address, as nginx's realip module finds it with ``real_ip_recursive``:
    ``X-Forwarded-For`` is believed only when the connection comes from one of our own
    proxies (``trusted``), and then read from the right, past every address that is one of
    ours; the first that is not is the client. Anything further left was written by the
    client and proves nothing. A connection from anywhere else (another container, a
    misrouted port) is its own peer address, whatever its headers say."""
    peer = request.remote or "unknown"
    if not _within(peer, trusted):
        return peer
    entries = [
        entry.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for entry in header.split(",")
        if entry.strip()
    ]
    for entry in reversed(entries):
        if not _within(entry, trusted):
            return entry[:64]
    return entries[0][:64] if entries else peer


def proxy_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks; a ValueError names what is not one."""
    return tuple(ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _within(address: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        found = ip_address(address)
    except ValueError:
        return False  # not an address at all: nobody of ours wrote it
    return any(found in network for network in networks)


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


def add_endpoints(app: web.Application, endpoints: Iterable[Endpoint]) -> None:
    for endpoint in endpoints:
        app.router.add_route(endpoint.method, endpoint.path, guarded(endpoint))
        app[ENDPOINTS].append(endpoint)


def openapi_document(service: str, endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    error_schema = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["code", "message", "fields"],
            }
        },
    }
    schemas: dict[str, Any] = {"Error": error_schema}
    paths: dict[str, Any] = {}
    for ep in endpoints:
        operation: dict[str, Any] = {
            "summary": ep.summary,
            "operationId": re.sub(
                r"\W+", "_", f"{ep.method.lower()}_{openapi_path(ep.path)}"
            ).strip("_"),
            "responses": {
                str(ep.status): {"description": "success"},
                "default": {
                    "description": "error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        if ep.roles is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = (
                "Roles: " + ", ".join(ep.roles) + f". Reaches: {SCOPES[ep.scope]}."
            )
        if ep.body is not None:
            _add_schema(schemas, ep.body)
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{ep.body.__name__}"}
                    }
                },
            }
        if ep.response is not None:
            _add_schema(schemas, ep.response)
            operation["responses"][str(ep.status)]["content"] = {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{ep.response.__name__}"}
                }
            }
        path = openapi_path(ep.path)
        parameters = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in re.findall(r"{(\w+)}", path)
        ]
        if ep.query is not None:
            fields = ep.query.model_json_schema()
            required = set(fields.get("required", ()))
            parameters += [
                {"name": name, "in": "query", "required": name in required, "schema": schema}
                for name, schema in fields["properties"].items()
            ]
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(path, {})[ep.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Vertrouwd {service}", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def openapi_path(path: str) -> str:
    """aiohttp's route path as OpenAPI writes it: ``{id:[0-9a-f]{24}}`` becomes ``{id}``."""
    out, depth, skipping = [], 0, False
    for char in path:
        if char == "{":
            depth += 1
            if depth > 1:
                continue
        elif char == "}":
            depth -= 1
            if depth > 0:
                continue
            skipping = False
        elif char == ":" and depth == 1:
            skipping = True
            continue
        if not skipping:
            out.append(char)
    return "".join(out)


def access_table(service: str, endpoints: Iterable[Endpoint]) -> str:
    """Who may call what, in Markdown: made from the same route table that the code enforces,
    so the docs cannot say otherwise."""
    lines = [
        f"### {service}",
        "",
        "| method | path | what | roles | reaches |",
        "|---|---|---|---|---|",
    ]
    for ep in endpoints:
        roles, reaches = ("no token", "-") if ep.roles is None else (", ".join(ep.roles), "")
        reaches = reaches or SCOPES[ep.scope]
        what = ep.summary.replace("|", "\\|")  # a bar would end the cell
        lines.append(f"| {ep.method} | `{openapi_path(ep.path)}` | {what} | {roles} | {reaches} |")
    return "\n".join(lines) + "\n"


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))  # nested models become components of their own
    schemas[model.__name__] = schema

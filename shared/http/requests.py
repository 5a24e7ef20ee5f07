"""What a request carries: its JSON body and query as models (422 naming what is wrong), who
is calling (the one ``require``), its Idempotency-Key; and the route table's role check
before a handler runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from shared.auth import AuthError, Forbidden, Principal, Role, authorize
from shared.http.table import (
    AUTH,
    CHECK_ANSWERS,
    ENDPOINTS,
    PRINCIPAL,
    ROUTE_ROLES,
    ApiError,
    Endpoint,
    HandlerFn,
    M,
)

log = logging.getLogger(__name__)

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


def add_endpoints(app: web.Application, endpoints: Iterable[Endpoint]) -> None:
    for endpoint in endpoints:
        handler = guarded(endpoint)
        if app.get(CHECK_ANSWERS) and endpoint.answer is not None:
            handler = answering(endpoint, handler)
        app.router.add_route(endpoint.method, endpoint.path, handler)
        app[ENDPOINTS].append(endpoint)


def answering(endpoint: Endpoint, handler: HandlerFn) -> HandlerFn:
    """The handler, its every success checked against the answer its route declares (the
    tests run so: a declaration that says otherwise than the code fails the first test that
    meets it, instead of misleading whoever reads the OpenAPI document)."""
    shape = TypeAdapter(endpoint.answer)

    async def checked(request: web.Request) -> web.StreamResponse:
        answer = await handler(request)
        body = answer.body if isinstance(answer, web.Response) else None
        json = answer.content_type == "application/json"
        if json and answer.status < 300 and isinstance(body, bytes) and body:
            try:
                shape.validate_json(body)
            except ValidationError as exc:
                raise RuntimeError(f"{endpoint.method} {endpoint.path}: {exc}") from None
        return answer

    return checked

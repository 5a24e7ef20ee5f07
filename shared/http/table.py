"""The route table's types (``Endpoint``: a route, who may call it and what the OpenAPI
document says of it), the keys an app and a request carry, the error an HTTP layer raises
(``ApiError``) and the base of every request body."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import (
    Any,
    Literal,
    NotRequired,
    Required,
    TypeVar,
    get_args,
    get_origin,
    get_type_hints,
)

import typing_extensions
from aiohttp import web
from pydantic import BaseModel, create_model

from shared.auth import KeySet, Principal, Role
from shared.metrics import Metrics
from shared.wire import Body as Body
from shared.wire import Moment as Moment
from shared.wire import in_range as in_range

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
    # What a success answers: a pydantic model or a TypedDict (a list: list_of(...)); or,
    # for an answer that is not JSON, its media type (an answer of 204 has none).
    response: Any = None
    media: str | None = None
    status: int = 200
    # Within the role, what the caller reaches (the docs' access table is made from this):
    # "org" (their organisation's), "case" (an employee's own case), "own" (a confidant's own
    # profile, agenda or calendar), "any" (whatever the role allows). Enforced in the
    # handler through ``require``; the role itself is enforced before the handler runs.
    scope: Scope = "any"

    @property
    def answer(self) -> Any:
        """What a success answers: the route's ``response``, else its handler's ``@answers``."""
        return self.response if self.response is not None else getattr(self.handler, ANSWER, None)


ANSWER = "__answer__"
H = TypeVar("H", bound=Callable[..., Any])


def answers(kind: Any) -> Callable[[H], H]:
    """Declares, beside a handler, what it answers on success: a pydantic model or a
    TypedDict (a list: ``list_of(...)``). Its route's OpenAPI document shows it, and the
    tests check every answer against it (``CHECK_ANSWERS``)."""

    def mark(handler: H) -> H:
        setattr(handler, ANSWER, kind)
        return handler

    return mark


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
CHECK_ANSWERS = web.AppKey("check_answers", bool)


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


QUALIFIERS = (Required, NotRequired, typing_extensions.Required, typing_extensions.NotRequired)


def picked(
    name: str,
    shape: type,
    fields: Mapping[str, Any],
    *,
    rename: Mapping[str, str] | None = None,
    partial: bool = False,
) -> type[Body]:
    """A request body whose fields are picked from a stored document's type (a TypedDict),
    each with the type and constraints the document declares: the entity is declared once,
    where it is stored. ``fields`` maps each field to its default (``...``: required);
    ``rename`` gives a field another name in the API (``_id``: ``id``); ``partial`` makes
    every field optional, absent meaning "leave it" (a change)."""
    hints = get_type_hints(shape, include_extras=True)
    spec: dict[str, Any] = {}
    for field, default in fields.items():
        kind = hints[field]
        if get_origin(kind) in QUALIFIERS:  # Required[...]: the document's, not the body's
            kind = get_args(kind)[0]
        spec[(rename or {}).get(field, field)] = (kind | None, None) if partial else (kind, default)
    made: type[Body] = create_model(name, __base__=Body, **spec)
    return made


# The domain's errors as HTTP answers: decided here, once, by kind.

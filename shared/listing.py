"""One list shape for every list endpoint: ``{"items": [...], "next": cursor | null}``,
asked for with ``?limit=`` (default 100, at most 1000) and ``?cursor=`` (the ``next`` of
the page before; opaque to the caller).

Pages are keyset pages: sorted by one field and ``_id``, each page starting after the last
item of the one before, so an item added or removed meanwhile never shifts what comes next
(an offset would show one twice or skip one). The cursor holds that last item's sort value
and id, base64url of JSON; anything else sent as a cursor is a 422.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field
from pymongo.asynchronous.collection import AsyncCollection
from typing_extensions import TypedDict  # generic TypedDicts that pydantic reads

from shared.db import Doc
from shared.errors import invalid
from shared.http.requests import read_query

T = TypeVar("T")
DEFAULT_LIMIT = 100
MOST = 1000


class PageQuery(BaseModel):
    """A list's query: ``?limit=`` (1 to 1000) and ``?cursor=`` (the ``next`` of the page
    before). Declared on every list route, so its OpenAPI document names them."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MOST)
    cursor: str | None = Field(None, min_length=1, max_length=1000)


@dataclass(frozen=True)
class Page:
    limit: int
    after: tuple[Any, str] | None  # (sort value, _id) of the last item before this page


def page_of(request: web.Request, default: int = DEFAULT_LIMIT) -> Page:
    """``?limit=`` and ``?cursor=`` of a list request, checked (a 422 naming the one that
    is wrong)."""
    asked = read_query(request, PageQuery)
    limit = asked.limit if "limit" in request.query else default
    return Page(limit, None if asked.cursor is None else _decode(asked.cursor))


def _encode(value: Any, doc_id: str) -> str:
    kind, plain = (
        ("t", value.astimezone(UTC).isoformat())
        if isinstance(value, datetime)
        else (
            "v",
            value,
        )
    )
    raw = json.dumps([kind, plain, doc_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(cursor: str) -> tuple[Any, str]:
    try:
        if len(cursor) > 400:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, doc_id = json.loads(raw)
        if kind == "t":
            value = datetime.fromisoformat(value)
        elif kind != "v" or not isinstance(value, str | int | float):
            raise ValueError
        if not isinstance(doc_id, str):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise invalid("cursor", "not a cursor this list gave: start from the first page") from None
    return value, doc_id


def keyset(
    query: Mapping[str, Any], page: Page, sort: str, *, descending: bool = False
) -> dict[str, Any]:
    """``query`` narrowed to what comes after the page's cursor. Its equalities stay at the
    top level, where FerretDB pushes them down to an index (inside ``$and`` it would not)."""
    if page.after is None:
        return dict(query)
    value, doc_id = page.after
    beyond = "$lt" if descending else "$gt"
    after = [{sort: {beyond: value}}, {sort: value, "_id": {beyond: doc_id}}]
    if "$or" in query:
        return {"$and": [dict(query), {"$or": after}]}
    return {**query, "$or": after}


def cursor_after(doc: Mapping[str, Any], sort: str) -> str:
    """The cursor of the page that starts after ``doc``."""
    return _encode(doc[sort], str(doc["_id"]))


async def find_page(
    collection: AsyncCollection[Doc],
    query: Mapping[str, Any],
    page: Page,
    sort: str,
    *,
    descending: bool = False,
    projection: Mapping[str, Any] | None = None,
) -> tuple[list[Doc], str | None]:
    """One page of ``query`` sorted by ``sort`` (a field every matching document has, as a
    string, number or time) and ``_id``; and the cursor of the next page (None: the last)."""
    order = -1 if descending else 1
    found = (
        await collection.find(keyset(query, page, sort, descending=descending), projection)
        .sort([(sort, order), ("_id", order)])
        .limit(page.limit + 1)
        .to_list(page.limit + 1)
    )
    items = found[: page.limit]
    return items, cursor_after(items[-1], sort) if len(found) > page.limit else None


class Listed(TypedDict, Generic[T]):
    """The one list answer, as a route declares it: ``response=Listed[Appointment]``."""

    items: list[T]
    next: str | None


def list_of(item: Any) -> Any:
    """What a list route answers, for its route table: ``response=list_of(Appointment)``
    (the item a TypedDict or a model, made or declared)."""
    return Listed[item]


def listed(
    items: list[Doc], next_cursor: str | None, view: Callable[[Doc], Mapping[str, Any]]
) -> web.Response:
    """The one list answer."""
    return web.json_response({"items": [view(item) for item in items], "next": next_cursor})

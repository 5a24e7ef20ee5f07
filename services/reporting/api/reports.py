"""Reporting's HTTP API: reports (draft, review, publish, read in four formats), usage
statements, per-organisation disclosure settings, and trend signals."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, model_validator
from pymongo.asynchronous.collection import AsyncCollection
from typing_extensions import TypedDict

from services.reporting.domain.reports import draft, publish
from services.reporting.formats import report as formats
from services.reporting.state import REPORTING
from services.reporting.store.collections import REPORTS, SETTINGS
from services.reporting.store.documents import Report, org_names, report_view, reports
from shared.auth import Forbidden, Role, authorize
from shared.db import Doc, Query
from shared.errors import Conflict, Invalid, invalid, not_found
from shared.http import Body, Endpoint, answers, principal, read_body, read_query, require
from shared.listing import PageQuery, find_page, list_of, listed, page_of
from shared.text import Locale

STAFF: list[Role] = ["admin", "confidant"]


READERS: list[Role] = ["admin", "confidant", "org_admin"]


# 2000-01 to 2099-12: a date can be made of either end (year 0 or 9999 cannot), so a period
# is refused before anything is claimed or numbered.
MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


class ReportCreate(Body):
    kind: Literal["yearly", "usage"] = "yearly"
    year: int | None = Field(None, ge=2000, le=2100)
    period_from: str | None = Field(None, pattern=MONTH.pattern)  # "2026-01"
    period_to: str | None = Field(None, pattern=MONTH.pattern)  # "2026-12", inclusive

    @model_validator(mode="after")
    def one_period(self) -> ReportCreate:
        if (self.year is None) == (self.period_from is None or self.period_to is None):
            raise ValueError("give either year, or period_from and period_to")
        return self

    def months(self) -> tuple[int, int]:
        if self.period_from and self.period_to:
            return month_span(self.period_from, self.period_to)
        year = self.year or 0  # one_period holds: without both months, a year
        return year * 12, (year + 1) * 12


def month_span(first: str, last: str) -> tuple[int, int]:
    """The months [start, end) from "2026-01" to "2026-03" inclusive; 422 if it runs back."""
    start, end = _month(first), _month(last) + 1
    if end <= start:
        raise Invalid("the period ends before it starts", {"period_to": "before period_from"})
    return start, end


class Advice(Body):
    nl: str | None = Field(None, max_length=5000)
    en: str | None = Field(None, max_length=5000)


class Disclosure(Body):
    k: int = Field(ge=3, le=100)
    min_cases: int = Field(ge=1, le=10000)


def _month(text: str) -> int:
    found = MONTH.match(text)
    if found is None:  # (the models check the form; a caller that did not gets a 422)
        raise invalid("period", "a month like 2026-01")
    return int(found.group(1)) * 12 + int(found.group(2)) - 1


@answers(formats.ReportView)
async def create_report(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    who = require(request, org_id=org_id)
    body = await read_body(request, ReportCreate)
    start, end = body.months()
    doc = await draft(request.app[REPORTING], org_id, body.kind, start, end, who.sub)
    return web.json_response(report_view(doc), status=201)


async def load_report(request: web.Request, roles: list[Role]) -> Report:
    """The report, if the caller may see it; a 404 otherwise, whatever the reason (an
    org_admin learns nothing of drafts or of other organisations' reports)."""
    who = principal(request)
    if who.role not in roles:
        raise Forbidden("this role may not do this")
    doc = await reports(request.app[REPORTING].db).find_one(
        {"_id": request.match_info["report_id"]}
    )
    if doc is None:
        raise not_found("report")
    try:
        authorize(who, roles, org_id=doc["org_id"])
    except Forbidden:
        raise not_found("report") from None
    if who.role == "org_admin" and doc["status"] != "published":
        raise not_found("report")
    return doc


@answers(formats.ReportView)
async def get_report(request: web.Request) -> web.StreamResponse:
    doc = await load_report(request, READERS)
    asked = read_query(request, ReportQuery)
    lang, fmt = asked.lang, asked.format
    shown = report_view(doc)
    headers = {"Cache-Control": "no-store"}
    if fmt == "json":
        return web.json_response(shown, headers=headers)
    if fmt == "csv":
        return web.Response(
            text=formats.to_csv(shown, lang), content_type="text/csv", headers=headers
        )
    if fmt == "html":
        return web.Response(
            text=formats.to_html(shown, lang),
            content_type="text/html",
            headers={
                **headers,
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            },
        )
    return web.Response(
        body=formats.to_pdf(shown, lang), content_type="application/pdf", headers=headers
    )


class OrgNamed(TypedDict):
    id: str
    name: str
    departments: list[str]


class DisclosureSet(TypedDict):
    org_id: str
    k: int
    min_cases: int


@answers(OrgNamed)
async def read_org(request: web.Request) -> web.Response:
    """The organisation as reports name it: its name and departments (from intake's
    events; until one came, its id stands for its name)."""
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    doc = await org_names(request.app[REPORTING].db).find_one({"_id": org_id})
    name, departments = (doc.get("name"), doc.get("departments", [])) if doc else (None, [])
    return web.json_response({"id": org_id, "name": name or org_id, "departments": departments})


async def org_list(
    request: web.Request,
    collection: AsyncCollection[Doc],
    sort: str,
    shown: str,
    view: Callable[[Doc], Mapping[str, Any]],
) -> web.Response:
    """An organisation's reports or signals, newest first; its own admins see only those
    with status ``shown`` (published, raised)."""
    org_id = request.match_info["org_id"]
    who = require(request, org_id=org_id)
    query: Query = {"org_id": org_id}
    if who.role == "org_admin":
        query["status"] = shown
    found, following = await find_page(collection, query, page_of(request), sort, descending=True)
    return listed(found, following, view)


@answers(list_of(formats.ReportView))
async def list_reports(request: web.Request) -> web.Response:
    r = request.app[REPORTING]
    return await org_list(request, reports(r.db), "created_at", "published", report_view)


@answers(formats.ReportView)
async def set_advice(request: web.Request) -> web.Response:
    doc = await load_report(request, STAFF)
    if doc["status"] != "draft":
        raise Conflict("a published report does not change")
    advice = await read_body(request, Advice)
    r = request.app[REPORTING]
    await r.update(
        REPORTS,
        {"_id": doc["_id"]},
        {"$set": {"advice": advice.model_dump(exclude_none=True), "updated_at": r.clock.now()}},
    )
    updated = await reports(r.db).find_one({"_id": doc["_id"]})
    if updated is None:
        raise not_found("report")
    return web.json_response(report_view(updated))


@answers(formats.ReportView)
async def publish_report(request: web.Request) -> web.Response:
    doc = await load_report(request, STAFF)
    if doc["status"] != "draft":
        raise Conflict("the report is published already")
    r = request.app[REPORTING]
    await publish(r, doc, principal(request).sub)
    updated = await reports(r.db).find_one({"_id": doc["_id"]})
    if updated is None:
        raise not_found("report")
    return web.json_response(report_view(updated))


@answers(DisclosureSet)
async def set_disclosure(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    body = await read_body(request, Disclosure)
    await request.app[REPORTING].update(
        SETTINGS, {"_id": org_id}, {"$set": body.model_dump()}, upsert=True
    )
    return web.json_response({"org_id": org_id, **body.model_dump()})


class ReportQuery(BaseModel):
    format: Literal["json", "csv", "html", "pdf"] = "json"
    lang: Locale = "nl"


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}",
        read_org,
        "The organisation's name and departments, as reports name them.",
        roles=READERS,
        scope="org",
    ),
    Endpoint(
        "POST",
        "/v1/orgs/{org_id}/reports",
        create_report,
        "Make a draft report (yearly or usage) for a year or months.",
        roles=STAFF,
        body=ReportCreate,
        status=201,
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/reports",
        list_reports,
        "The organisation's reports (org_admin: published only).",
        query=PageQuery,
        roles=READERS,
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/reports/{report_id}",
        get_report,
        "A report: ?format=json|csv|html|pdf&lang=nl|en.",
        query=ReportQuery,
        roles=READERS,
        scope="org",
    ),
    Endpoint(
        "PUT",
        "/v1/reports/{report_id}/advice",
        set_advice,
        "The confidant's advice, while a draft.",
        roles=STAFF,
        body=Advice,
        scope="org",
    ),
    Endpoint(
        "POST",
        "/v1/reports/{report_id}/publish",
        publish_report,
        "Publish after review; tells the organisation.",
        roles=STAFF,
        scope="org",
    ),
    Endpoint(
        "PUT",
        "/v1/orgs/{org_id}/disclosure",
        set_disclosure,
        "k and the minimum number of cases for an organisation.",
        roles=["admin"],
        body=Disclosure,
    ),
]

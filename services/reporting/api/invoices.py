"""Contracts and invoices: what each organisation pays, invoiced per period from the same
tallies the reports count, as a PDF and a Peppol UBL e-invoice.

An invoice is made once and never changes; a correction is a credit note for all of it
(made once as well), after which its period is invoiced again. Invoices of an organisation
follow each other without a gap, and a period whose lines would tell a count below k is
billed as one line with its amount only, so that no invoice tells the organisation a count
a report would hide.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from services.reporting.api.reports import MONTH, month_span
from services.reporting.domain.invoices import credit, issue, lines_of, statement
from services.reporting.domain.projection import first_day, last_day
from services.reporting.formats.invoice import to_pdf, to_ubl
from services.reporting.state import REPORTING
from services.reporting.store.documents import (
    Contract,
    CreditNote,
    CreditNoteView,
    Invoice,
    InvoiceView,
    Statement,
    credit_notes,
    invoice_view,
    invoices,
    read_contract,
    write_contract,
)
from shared.errors import Conflict, Invalid, not_found
from shared.http import Body, Endpoint, answers, read_body, read_query, require
from shared.listing import PageQuery, find_page, list_of, listed, page_of


class InvoiceCreate(Body):
    period_from: str = Field(pattern=MONTH.pattern)  # "2026-01"
    period_to: str = Field(pattern=MONTH.pattern)  # "2026-03", inclusive


@answers(Contract)
async def put_contract(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    contract = await read_body(request, Contract)
    r = request.app[REPORTING]
    await write_contract(r.db, org_id, contract, r.clock.now())
    return web.json_response(contract.model_dump(mode="json"))


@answers(Contract)
async def get_contract(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    contract = await read_contract(request.app[REPORTING].db, org_id)
    if contract is None:
        raise not_found("contract")
    return web.json_response(contract.model_dump(mode="json"))


@answers(Statement)
async def usage_statement(request: web.Request) -> web.Response:
    """The usage statement with quantities and amounts of any period, before (or without)
    an invoice: what an invoice of those months would say."""
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    period = read_query(request, InvoiceCreate)
    start, end = month_span(period.period_from, period.period_to)
    r = request.app[REPORTING]
    contract = await read_contract(r.db, org_id)
    if contract is None:
        raise Conflict("this organisation has no contract yet")
    amounts = await statement(r, org_id, contract, start, end, r.clock.now())
    return web.json_response(
        {
            "period_start": first_day(start).isoformat(),
            "period_end": last_day(end).isoformat(),
            "currency": "EUR",
            "lines": lines_of(amounts),
            "net": str(amounts.net),
            "vat_percent": str(amounts.vat_percent),
            "vat": str(amounts.vat),
            "gross": str(amounts.gross),
        }
    )


@answers(InvoiceView)
async def create_invoice(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    body = await read_body(request, InvoiceCreate)
    start, end = month_span(body.period_from, body.period_to)
    now = request.app[REPORTING].clock.now()
    if end > now.year * 12 + now.month - 1:
        raise Invalid("only a period that has ended is invoiced", {"period_to": "not ended yet"})
    doc = await issue(request.app[REPORTING], org_id, start, end, now)
    return web.json_response(invoice_view(doc), status=201)


@answers(list_of(InvoiceView))
async def list_invoices(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    page = page_of(request)
    collection = invoices(request.app[REPORTING].db)
    found, following = await find_page(
        collection, {"org_id": org_id}, page, "start", descending=True
    )
    return listed(found, following, invoice_view)


@answers(InvoiceView)
async def get_invoice(request: web.Request) -> web.Response:
    who = require(request)
    doc = await invoices(request.app[REPORTING].db).find_one(
        {"_id": request.match_info["invoice_id"]}
    )
    # Another organisation's invoice and none at all answer alike.
    if doc is None or (who.role != "admin" and doc["org_id"] not in who.orgs):
        raise not_found("invoice")
    return document(request, doc, "factuur" if doc["locale"] == "nl" else "invoice")


class InvoiceQuery(BaseModel):
    format: Literal["json", "pdf", "ubl"] = "json"


def document(request: web.Request, doc: Invoice | CreditNote, kind: str) -> web.Response:
    """An invoice or a credit note in the format asked: JSON, the PDF, or the UBL e-invoice
    (a file named for its kind and number)."""
    fmt = read_query(request, InvoiceQuery).format
    headers = {"Cache-Control": "no-store"}
    if fmt == "json":
        return web.json_response(invoice_view(doc), headers=headers)
    name = f"{kind}-{doc['number']}"
    if fmt == "pdf":
        headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return web.Response(body=to_pdf(doc), content_type="application/pdf", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}.xml"'
    return web.Response(body=to_ubl(doc), content_type="application/xml", headers=headers)


class CreditCreate(Body):
    reason: str = Field(min_length=3, max_length=300)  # printed, and in the e-invoice


@answers(CreditNoteView)
async def credit_invoice(request: web.Request) -> web.Response:
    """Correct an issued invoice: a credit note for all of it, with the reason. The invoice
    stays as it was; its period can then be invoiced again."""
    require(request)
    r = request.app[REPORTING]
    doc = await invoices(r.db).find_one({"_id": request.match_info["invoice_id"]})
    if doc is None:
        raise not_found("invoice")
    body = await read_body(request, CreditCreate)
    note = await credit(r, doc, body.reason, r.clock.now())
    return web.json_response(invoice_view(note), status=201)


@answers(list_of(CreditNoteView))
async def list_credit_notes(request: web.Request) -> web.Response:
    org_id = request.match_info["org_id"]
    require(request, org_id=org_id)
    collection = credit_notes(request.app[REPORTING].db)
    found, following = await find_page(
        collection, {"org_id": org_id}, page_of(request), "start", descending=True
    )
    return listed(found, following, invoice_view)


@answers(CreditNoteView)
async def get_credit_note(request: web.Request) -> web.Response:
    who = require(request)
    doc = await credit_notes(request.app[REPORTING].db).find_one(
        {"_id": request.match_info["credit_note_id"]}
    )
    # Another organisation's credit note and none at all answer alike.
    if doc is None or (who.role != "admin" and doc["org_id"] not in who.orgs):
        raise not_found("credit note")
    return document(request, doc, "creditnota" if doc["locale"] == "nl" else "credit-note")


ENDPOINTS = [
    Endpoint(
        "PUT",
        "/v1/orgs/{org_id}/contract",
        put_contract,
        "The organisation's contract: who pays, where, and the prices.",
        roles=["admin"],
        body=Contract,
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/contract",
        get_contract,
        "The organisation's contract.",
        roles=["admin", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/costs",
        usage_statement,
        "A usage statement with quantities and amounts: ?period_from=&period_to= (YYYY-MM).",
        query=InvoiceCreate,
        roles=["admin", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "POST",
        "/v1/orgs/{org_id}/invoices",
        create_invoice,
        "Invoice a period (after the last one, with at least k cases or none).",
        roles=["admin"],
        body=InvoiceCreate,
        status=201,
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/invoices",
        list_invoices,
        "The organisation's invoices.",
        query=PageQuery,
        roles=["admin", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/invoices/{invoice_id}",
        get_invoice,
        "One invoice: ?format=json, pdf, or ubl (Peppol BIS Billing 3.0).",
        query=InvoiceQuery,
        roles=["admin", "org_admin"],
    ),
    Endpoint(
        "POST",
        "/v1/invoices/{invoice_id}/credit-note",
        credit_invoice,
        "Credit an issued invoice in full, with the reason (once); then invoice its period again.",
        roles=["admin"],
        body=CreditCreate,
        status=201,
    ),
    Endpoint(
        "GET",
        "/v1/orgs/{org_id}/credit-notes",
        list_credit_notes,
        "The organisation's credit notes.",
        query=PageQuery,
        roles=["admin", "org_admin"],
        scope="org",
    ),
    Endpoint(
        "GET",
        "/v1/credit-notes/{credit_note_id}",
        get_credit_note,
        "One credit note: ?format=json, pdf, or ubl (Peppol BIS Billing 3.0).",
        query=InvoiceQuery,
        roles=["admin", "org_admin"],
    ),
]

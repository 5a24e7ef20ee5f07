"""What reporting stores, as types, and how the API shows it.

Nothing here can hold personal data: a case is ids, enumerations, months and counts
(``projection.FIELDS``); a report holds what is shown, never the true counts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import (
    Annotated,
    Literal,
    NotRequired,
    Required,  # pydantic validates TypedDicts from here on 3.11
    Self,
)

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from pymongo.asynchronous.database import AsyncDatabase
from typing_extensions import TypedDict

from services.reporting.domain.disclosure import Release, Shown, Table
from services.reporting.formats import report as formats
from services.reporting.store.collections import (
    ACTIVITIES,
    CASES,
    CONTRACTS,
    CREDIT_NOTES,
    INVOICE_CLAIMS,
    INVOICES,
    ORGS,
    REPORTS,
    SETTINGS,
    SIGNAL_KEYS,
    SIGNALS,
    TALLIES,
)
from shared.db import Document, TypedCollection
from shared.events import Envelope
from shared.outbox import HIDDEN, Staged
from shared.text import Locale
from shared.wire import Json, jsonable

# -- the projection and the tallies -----------------------------------------------------------


class RawEvent(TypedDict, total=False):
    """An event as JSON (``Envelope.model_dump(mode="json")``), as the projection folds it:
    a rebuild folds the whole stream, and checking every schema again would be most of its
    time (each was checked when published)."""

    id: str
    type: str
    occurred_at: str
    org_id: str | None
    data: Json


RAW_EVENT = TypeAdapter(RawEvent)


def raw(event: Envelope) -> RawEvent:
    return RAW_EVENT.validate_python(event.model_dump(mode="json"))


class Conversation(TypedDict, total=False):
    mode: str | None
    month: int | None
    cancelled: bool
    minutes: int  # as booked
    meeting: str  # "case", or "organisation": the organisation's own meeting with the firm
    # As the confidant confirmed it took place (what billing counts, over the booked length).
    held_minutes: int
    km: float
    travel_minutes: int
    held_at: str


class WorkMonth(TypedDict):
    hours: float
    at: str


class Entry(TypedDict):
    """One (month, key) -> value of a tally change; subdocuments, not pairs: FerretDB
    stores no nested arrays."""

    m: int
    k: str
    v: float


class Pending(TypedDict):
    id: str  # the event's: the mark that makes a second application a no-op
    diff: list[Entry]


class CaseFacts(TypedDict, total=False):
    """One case, without personal data; its fields are ``projection.FIELDS``."""

    _id: Required[str]
    org_id: str | None
    category: str
    subtype: str | None
    channel: str
    reporter_role: str
    anonymous: bool
    department: int | None
    opened_at: str  # times as the events gave them (ISO 8601 with offset)
    opened: int  # months: year * 12 + month - 1
    acknowledge_by: str | None
    feedback_by: str | None
    acknowledged_at: str | None
    closed_at: str | None
    closed: int | None
    outcome: str | None
    referral: str | None
    hours: float
    hours_at: str
    work: dict[str, WorkMonth]  # month -> the hours logged as they stood at its end
    category_at: str
    conversations: dict[str, Conversation]  # appointment id -> what it counts as
    counted: list[Entry]  # what the case adds to the tallies
    pending: Pending  # a change to the tallies not applied yet
    rev: int


class Tally(TypedDict, total=False):
    _id: Required[str]  # "<org>|<month>"
    org_id: str
    month: int
    n: dict[str, float]  # "population|dimension|value" -> count
    applied: dict[str, datetime]  # marks: change id -> when (consumer.MARKS)
    rev: int


class OrgNames(TypedDict, total=False):
    _id: Required[str]
    name: str
    departments: list[str]
    at: datetime


class OrgRules(TypedDict, total=False):
    _id: Required[str]
    k: int
    min_cases: int


# -- reports and signals ----------------------------------------------------------------------


StoredTable = formats.PublishedTable
Previous = formats.Earlier


class StoredSubTotal(TypedDict):
    population: str
    start: int
    end: int
    shown: Shown


class StoredRelease(TypedDict):
    start: int
    end: int
    totals: dict[str, Shown]
    tables: list[StoredTable]
    sub_totals: list[StoredSubTotal]


class Report(Staged, total=False):
    _id: Required[str]
    org_id: str
    org_name: str
    firm: str
    kind: Literal["yearly", "usage"]
    status: Literal["draft", "published"]
    k: int
    release: StoredRelease
    hours: float
    previous: Previous | None
    advice: dict[str, str]  # locale -> the confidant's words
    created_by: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime
    published_by: str


class SignalFacts(TypedDict, total=False):
    """What a trend signal says: a category or a department, never a person."""

    org_id: str
    status: Literal["proposed", "raised", "dismissed"]
    rule: Literal["department_cluster", "category_rise", "confidant"]
    category: str | None
    department_index: int | None
    window_start: str  # a confidant's own signal: the window it is about
    window_end: str
    proposed_by: str  # a confidant's own signal: who wrote it
    decided_by: str
    note: str | None


class Signal(SignalFacts, Staged, total=False):
    _id: Required[str]
    proposed_at: datetime
    decided_at: datetime


class SignalView(SignalFacts, total=False):
    """A signal as the API answers it (times as ISO 8601)."""

    id: Required[str]
    proposed_at: str
    decided_at: str


class Proposed(TypedDict):
    items: list[SignalView]
    new: int  # how many of them were proposed just now


class SignalKey(TypedDict):
    _id: str  # "<org>-<rule>-<what>-<day>"
    signal_id: str


# -- contracts and invoices -------------------------------------------------------------------


class Address(TypedDict, total=False):
    """Where an organisation or the firm is, as an invoice names it (EN 16931)."""

    street: str
    postcode: str
    city: str
    country: str  # ISO 3166, two letters
    kvk: str | None  # the Chamber of Commerce number (Peppol scheme 0106)
    oin: str | None  # a Dutch public body's OIN (Peppol scheme 0190)
    vat_id: str | None


Money = Annotated[Decimal, Field(ge=0, le=100000, max_digits=10, decimal_places=2)]


class Prices(BaseModel):
    """What a contract charges (EUR, before VAT): all that pricing reads of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The confidant's time: conversations at their real length, case work, the
    # organisation's own work (its meetings with the firm, the yearly report, sessions).
    hourly_rate: Money
    # Travel per visit as the confidant confirmed it: a fee, or the kilometres there and
    # back; and travel time at its own rate (0: not billed).
    travel: Literal["none", "per_visit", "per_km"] = "none"
    travel_per_visit: Money = Decimal(0)
    rate_per_km: Decimal = Field(Decimal(0), ge=0, le=10, max_digits=5, decimal_places=2)
    travel_hourly_rate: Money = Decimal(0)
    administration: Literal["none", "per_case", "per_month"] = "none"
    administration_fee: Money = Decimal(0)
    subscription_per_month: Money = Decimal(0)  # a fixed amount per month, whatever happens
    vat_percent: Decimal = Field(Decimal(21), ge=0, le=100, max_digits=5, decimal_places=2)
    # EN 16931's VAT categories: S standard rate (above 0), Z zero rated, E exempt (with the
    # reason the law gives, printed and in the e-invoice).
    vat_category: Literal["S", "Z", "E"] = "S"
    vat_exemption_reason: str | None = Field(None, min_length=3, max_length=300)

    @model_validator(mode="after")
    def vat_fits_its_category(self) -> Self:
        if self.vat_category == "S" and self.vat_percent <= 0:
            raise ValueError("vat_percent: the standard rate is above 0 (use Z or E for none)")
        if self.vat_category != "S" and self.vat_percent != 0:
            raise ValueError(f"vat_percent: category {self.vat_category} has no VAT (0)")
        if (self.vat_category == "E") != (self.vat_exemption_reason is not None):
            raise ValueError("vat_exemption_reason: given for, and only for, category E")
        return self


class Contract(Prices):
    """An organisation's contract, declared once: what the API takes and answers, what is
    stored (amounts as decimal strings, ``model_dump(mode="json")``) and, as ``Prices``,
    what pricing reads. Who pays and where is what the invoice names as its buyer."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    legal_name: str = Field(min_length=1, max_length=200)
    street: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field("NL", pattern=r"^[A-Z]{2}$")  # ISO 3166
    # Who the buyer is, for the e-invoice's address and legal identifier: a company's
    # Chamber of Commerce number, a public body's OIN, or (abroad, say) only a VAT number.
    kvk: str | None = Field(None, pattern=r"^[0-9]{8}$")  # Peppol scheme 0106
    oin: str | None = Field(None, pattern=r"^[0-9]{20}$")  # Peppol scheme 0190
    vat_id: str | None = Field(None, pattern=r"^[A-Z]{2}[0-9A-Z]{2,18}$")
    buyer_reference: str = Field(min_length=1, max_length=100)  # their order or cost centre
    locale: Locale = "nl"
    # The client's cycle: when the contract runs, and when it is evaluated with the client
    # (the office is reminded on that day).
    starts_on: date | None = None
    ends_on: date | None = None
    evaluate_on: date | None = None

    @model_validator(mode="after")
    def identified(self) -> Self:
        if not (self.kvk or self.oin or self.vat_id):
            raise ValueError("kvk, oin or vat_id: how the buyer is known (at least one)")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on: on or after starts_on")
        return self

    def runs_over(self, first: date, last: date) -> bool:
        """Whether the contract runs over some of the days [first, last]."""
        began = self.starts_on is None or self.starts_on <= last
        return began and (self.ends_on is None or first <= self.ends_on)


async def read_contract(db: AsyncDatabase[Document], org_id: str) -> Contract | None:
    # (what is kept beside the contract: when it was written, the evaluation told, the outbox)
    found = await db[CONTRACTS].find_one(
        {"_id": org_id},
        {"_id": 0, "updated_at": 0, "evaluation_told": 0, **HIDDEN},
    )
    if found is None:
        return None
    # Written before billing followed the real work: a fixed conversation length and one
    # distance for every visit, which the confidant's confirmations replace.
    for gone in ("conversation_minutes", "distance_km"):
        found.pop(gone, None)
    return Contract.model_validate(found)


async def write_contract(
    db: AsyncDatabase[Document], org_id: str, contract: Contract, now: datetime
) -> None:
    stored = {**contract.model_dump(mode="json"), "updated_at": now}
    await db[CONTRACTS].update_one({"_id": org_id}, {"$set": stored}, upsert=True)


class Party(Address, total=False):
    """The seller or the buyer of an invoice."""

    name: str
    org_name: str
    iban: str
    email: str
    reference: str


class Line(TypedDict):
    code: str
    quantity: str
    unit: str
    price: str
    amount: str


class Invoice(TypedDict, total=False):
    _id: Required[str]
    org_id: str
    number: str
    start: int
    end: int
    period_start: str
    period_end: str
    issue_date: str
    due_date: str
    payment_days: int
    currency: str
    locale: Locale
    seller: Party
    buyer: Party
    lines: list[Line]
    net: str
    vat_percent: str
    vat_category: Literal["S", "Z", "E"]
    vat_exemption_reason: str | None
    vat: str
    gross: str
    created_at: datetime


class Statement(TypedDict):
    """What a period costs, before or without an invoice (amounts as exact decimal strings)."""

    period_start: str
    period_end: str
    currency: str
    lines: list[Line]
    net: str
    vat_percent: str
    vat: str
    gross: str


class InvoiceView(Statement):
    """An invoice as the API answers it: the statement of its period, issued."""

    id: str
    org_id: str
    number: str
    start: int
    end: int
    issue_date: str
    due_date: str
    payment_days: int
    locale: Locale
    seller: Party
    buyer: Party
    created_at: str
    vat_category: NotRequired[Literal["S", "Z", "E"]]
    vat_exemption_reason: NotRequired[str | None]


ActivityKind = Literal["introduction", "evaluation", "session", "yearly_report", "other"]


class Activity(TypedDict):
    """Work for the organisation itself, not for a case: entered by the confidant or the
    office (a meeting booked through the organisation's page counts by itself)."""

    _id: str
    org_id: str
    kind: ActivityKind
    day: str  # ISO date
    month: int  # as projection.month_of counts months
    minutes: int
    travel_minutes: int
    km: float  # there and back
    created_at: datetime


class CreditNote(Invoice, total=False):
    """A correction of an issued invoice: all of it credited, with the reason (the invoice
    itself never changes). Its ``_id`` is the invoice's: one credit note per invoice."""

    invoice_number: str
    invoice_date: str
    reason: str


class InvoiceClaim(TypedDict, total=False):
    # "<org>|<start month>" for a period (and "|<n>" after n credit notes of it),
    # "credit|<invoice>" for a credit note, or the number for a number
    _id: Required[str]
    invoice_id: str
    number: str
    year: int
    credit_year: int
    at: datetime


cases = TypedCollection(CASES, CaseFacts)
tallies = TypedCollection(TALLIES, Tally)
org_names = TypedCollection(ORGS, OrgNames)
org_rules = TypedCollection(SETTINGS, OrgRules)
reports = TypedCollection(REPORTS, Report)
signals = TypedCollection(SIGNALS, Signal)
signal_keys = TypedCollection(SIGNAL_KEYS, SignalKey)
invoices = TypedCollection(INVOICES, Invoice)
invoice_claims = TypedCollection(INVOICE_CLAIMS, InvoiceClaim)
credit_notes = TypedCollection(CREDIT_NOTES, CreditNote)
activities = TypedCollection(ACTIVITIES, Activity)


# -- releases as stored -----------------------------------------------------------------------


def release_doc(release: Release) -> StoredRelease:
    return {
        "start": release.start,
        "end": release.end,
        "totals": dict(release.totals),
        "tables": [
            {"population": t.population, "dimension": t.dimension, "cells": dict(t.cells)}
            for t in release.tables
        ],
        "sub_totals": [
            {"population": p, "start": s, "end": e, "shown": v}
            for (p, s, e), v in release.sub_totals.items()
        ],
    }


def release_from(doc: StoredRelease) -> Release:
    return Release(
        doc["start"],
        doc["end"],
        doc["totals"],
        [Table(t["population"], t["dimension"], t["cells"]) for t in doc["tables"]],
        {(s["population"], s["start"], s["end"]): s["shown"] for s in doc["sub_totals"]},
    )


# -- views ------------------------------------------------------------------------------------


def report_view(doc: Report) -> formats.ReportView:
    release = doc["release"]
    quarters = [
        {"label": f"Q{(s['start'] % 12) // 3 + 1}", "shown": s["shown"]}
        for s in release["sub_totals"]
    ]
    populations_shown = {t["population"] for t in release["tables"]}
    found: formats.ReportView = jsonable(
        {
            "id": doc["_id"],
            "org_id": doc["org_id"],
            "kind": doc["kind"],
            "status": doc["status"],
            "start": release["start"],
            "end": release["end"],
            "period_from": formats.month_name(release["start"]),
            "period_to": formats.month_name(release["end"] - 1),
            "k": doc["k"],
            "totals": release["totals"],
            "tables": release["tables"],
            "quarters": quarters,
            "hours": doc.get("hours")
            if "closed" in populations_shown or doc["kind"] == "usage"
            else None,
            "advice": doc.get("advice") or {},
            "previous": doc.get("previous"),
            # Who it is about and from, as they were named when it was drafted.
            "org_name": doc.get("org_name") or doc["org_id"],
            "firm": doc.get("firm") or "",
            "created_at": doc["created_at"],
            "published_at": doc.get("published_at"),
        }
    )
    return found


def _with_id(doc: Signal | Invoice) -> Json:
    # (the outbox is the service's bookkeeping, not the signal's)
    hidden = ("_id", *HIDDEN)
    shown: Json = jsonable({k: v for k, v in doc.items() if k not in hidden} | {"id": doc["_id"]})
    return shown


def signal_view(doc: Signal) -> Json:
    return _with_id(doc)


def invoice_view(doc: Invoice) -> Json:
    return _with_id(doc)


class CreditNoteView(InvoiceView):
    invoice_number: str
    invoice_date: str
    reason: str

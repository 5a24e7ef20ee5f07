"""Making an invoice: its period claimed, its number given, its amounts from the tallies
under the contract, and the invoice stored once.

Invoices of an organisation follow each other without a gap; the period's start is claimed
with an insert, so of two requests for it one makes the invoice, whichever instance they
reach, and a number is claimed the same way, so no two invoices share one and none is lost
when an attempt dies between its claim and its invoice (the next attempt takes it over).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from services.reporting.domain.activities import in_period, usage_of
from services.reporting.domain.pricing import Bill, Usage, bill
from services.reporting.domain.projection import first_day, last_day
from services.reporting.domain.tally import count, sums
from services.reporting.state import Reporting
from services.reporting.store.documents import (
    Contract,
    CreditNote,
    Invoice,
    InvoiceClaim,
    Line,
    credit_notes,
    invoice_claims,
    invoices,
    org_names,
    read_contract,
)
from services.reporting.store.queries import disclosure_rules, month_tallies
from shared.errors import Conflict


async def next_start(r: Reporting, org_id: str) -> int | None:
    """Where the organisation's next invoice must begin (None: its first, anywhere): after
    the latest one, or where it began if a credit note corrected it (its replacement)."""
    last = await invoices(r.db).find({"org_id": org_id}).sort("end", -1).limit(1).to_list(1)
    if not last:
        return None
    credited = await credit_notes(r.db).find_one({"_id": last[0]["_id"]}, {"_id": 1})
    return int(last[0]["start" if credited else "end"])


# How long a claimed period may wait for its invoice before the claim counts as left by an
# attempt that died (the database went away between the claim and the invoice).
CLAIM_STALE = timedelta(seconds=30)


async def claim_period(
    r: Reporting, org_id: str, start: int, now: datetime
) -> tuple[str, str | None, str]:
    """Claim the period's start for one invoice: (its id, its number if one was given).
    Of two made at once, one wins; an attempt that died after its claim is taken over
    (with its id and number, so no number is lost), never blocks the period for good."""
    # A period invoiced again after a credit note is a new claim: "<org>|<start>|<n>".
    corrected = await credit_notes(r.db).count_documents({"org_id": org_id, "start": start})
    claim_id = f"{org_id}|{start}" + (f"|{corrected}" if corrected else "")
    invoice_id = secrets.token_hex(12)
    try:
        claim: InvoiceClaim = {"_id": claim_id, "invoice_id": invoice_id, "at": now}
        await invoice_claims(r.db).insert_one(claim)
        return invoice_id, None, claim_id
    except DuplicateKeyError:
        pass
    earlier = await invoice_claims(r.db).find_one({"_id": claim_id})
    at = earlier.get("at") if earlier else None
    left = at is not None and now - at.replace(tzinfo=UTC) > CLAIM_STALE
    if (
        earlier is None
        or not left
        or await invoices(r.db).find_one({"_id": earlier["invoice_id"]}, {"_id": 1})
    ):
        raise Conflict("an invoice for this period is being made")
    return str(earlier["invoice_id"]), earlier.get("number"), claim_id


async def number_of(r: Reporting, year: int, invoice_id: str, *, credit: bool = False) -> str:
    """The next invoice (or credit note, ``CN-``) number of the year, claimed with an insert
    (one winner per number, whichever instance asks): each series without a gap."""
    series = "credit_year" if credit else "year"
    n = await invoice_claims(r.db).count_documents({series: year}) + 1
    while True:
        number = f"{'CN-' if credit else ''}{year}-{n:04d}"
        try:
            claim: InvoiceClaim = {"_id": number, "invoice_id": invoice_id}
            claim[series] = year  # type: ignore[literal-required]
            await invoice_claims(r.db).insert_one(claim)
            return number
        except DuplicateKeyError:
            n += 1


async def statement(
    r: Reporting, org_id: str, contract: Contract, start: int, end: int, now: datetime
) -> Bill:
    """What the months [start, end) cost: from the tallies, under the contract; one line
    for all of it when its quantities would tell a count below k."""
    found = await month_tallies(r, org_id)
    counts, _ = count(found, start, end, now)
    entered = usage_of(await in_period(r, org_id, start, end))
    k, _ = await disclosure_rules(r, org_id)
    return bill(contract, Usage.of(counts, sums(found, start, end), entered), k)


def lines_of(amounts: Bill) -> list[Line]:
    return [
        {
            "code": line.code,
            "quantity": str(line.quantity),
            "unit": line.unit,
            "price": str(line.price),
            "amount": str(line.amount),
        }
        for line in amounts.lines
    ]


async def issue(r: Reporting, org_id: str, start: int, end: int, now: datetime) -> Invoice:
    """Invoice the months [start, end) under the organisation's contract: a 409 without a
    contract, for a period that does not follow the last invoice, one with 1 to k-1 cases,
    or one being invoiced by another request."""
    contract = await read_contract(r.db, org_id)
    if contract is None:
        raise Conflict("this organisation has no contract yet")
    expected = await next_start(r, org_id)
    if expected is not None and start != expected:
        month = f"{expected // 12}-{expected % 12 + 1:02d}"
        raise Conflict(
            f"invoices follow each other: the next one starts in {month}", {"period_from": month}
        )
    if not contract.runs_over(first_day(start), last_day(end)):
        raise Conflict(
            "the contract does not run in this period", {"period_from": "outside the contract"}
        )
    amounts = await statement(r, org_id, contract, start, end, now)
    settings = r.settings
    issued = now.date()
    invoice_id, number, claim_id = await claim_period(r, org_id, start, now)
    if number is None:
        number = await number_of(r, issued.year, invoice_id)
        await invoice_claims(r.db).update_one({"_id": claim_id}, {"$set": {"number": number}})
    named = await org_names(r.db).find_one({"_id": org_id})
    doc: Invoice = {
        "_id": invoice_id,
        "org_id": org_id,
        "number": number,
        "start": start,
        "end": end,
        "period_start": first_day(start).isoformat(),
        "period_end": last_day(end).isoformat(),
        "issue_date": issued.isoformat(),
        "due_date": (issued + timedelta(days=settings.payment_days)).isoformat(),
        "payment_days": settings.payment_days,
        "currency": "EUR",
        "locale": contract.locale,
        "seller": {
            "name": settings.firm_name,
            "street": settings.firm_street,
            "postcode": settings.firm_postcode,
            "city": settings.firm_city,
            "country": settings.firm_country,
            "kvk": settings.firm_kvk,
            "vat_id": settings.firm_vat_id,
            "iban": settings.firm_iban,
            "email": settings.firm_email,
        },
        "buyer": {
            "name": contract.legal_name,
            "org_name": (named.get("name") if named else None) or org_id,
            "street": contract.street,
            "postcode": contract.postcode,
            "city": contract.city,
            "country": contract.country,
            "kvk": contract.kvk,
            "oin": contract.oin,
            "vat_id": contract.vat_id,
            "reference": contract.buyer_reference,
        },
        # Quantities for the whole period, never per case or per date.
        "lines": lines_of(amounts),
        "net": str(amounts.net),
        "vat_percent": str(amounts.vat_percent),
        "vat_category": contract.vat_category,
        "vat_exemption_reason": contract.vat_exemption_reason,
        "vat": str(amounts.vat),
        "gross": str(amounts.gross),
        "created_at": now,
    }
    try:
        await invoices(r.db).insert_one(doc)
    except DuplicateKeyError:  # two took over the same dead attempt: the other one won
        raise Conflict("an invoice for this period is being made") from None
    return doc


async def credit(r: Reporting, invoice: Invoice, reason: str, now: datetime) -> CreditNote:
    """Credit an issued invoice in full, with the reason: a credit note of its own number,
    made once (its claim is an insert keyed on the invoice, taken over if an attempt died);
    the invoice never changes, and its period can be invoiced again."""
    claim_id = f"credit|{invoice['_id']}"
    try:
        await invoice_claims(r.db).insert_one(
            {"_id": claim_id, "invoice_id": invoice["_id"], "at": now}
        )
        number = None
    except DuplicateKeyError:
        earlier = await invoice_claims(r.db).find_one({"_id": claim_id})
        at = earlier.get("at") if earlier else None
        done = await credit_notes(r.db).find_one({"_id": invoice["_id"]}, {"_id": 1})
        if done is not None:
            raise Conflict("this invoice was credited already") from None
        if earlier is None or at is None or now - at.replace(tzinfo=UTC) <= CLAIM_STALE:
            raise Conflict("a credit note for this invoice is being made") from None
        number = earlier.get("number")
    if number is None:
        number = await number_of(r, now.year, invoice["_id"], credit=True)
        await invoice_claims(r.db).update_one({"_id": claim_id}, {"$set": {"number": number}})
    issued = now.date()
    note: CreditNote = {
        **invoice,
        "number": number,
        "issue_date": issued.isoformat(),
        "due_date": issued.isoformat(),
        "invoice_number": invoice["number"],
        "invoice_date": invoice["issue_date"],
        "reason": reason,
        "created_at": now,
    }
    try:
        await credit_notes(r.db).insert_one(note)
    except DuplicateKeyError:
        raise Conflict("this invoice was credited already") from None
    return note

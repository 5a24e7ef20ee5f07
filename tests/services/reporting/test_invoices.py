"""Invoices through reporting's API: a contract, periods invoiced one after the other, the
PDF, and the UBL e-invoice checked against OASIS's UBL 2.1 schema and the Peppol BIS Billing
3.0 rules it must meet; nothing on it that a report would hide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from services.reporting.domain.counts import CATEGORIES
from services.reporting.domain.tally import tally
from services.reporting.formats.invoice import CAC, CBC
from services.reporting.state import REPORTING
from services.reporting.store.documents import CaseFacts, Invoice
from tests.conftest import StartService
from tests.peppol.validate import fatal
from tests.services.reporting.test_formats import pdf_text
from tests.services.reporting.test_reports import Client, bearer

XSD = Path(__file__).resolve().parents[3] / ".cache/ubl/xsd-2.1/maindoc/UBL-Invoice-2.1.xsd"
NS = {"cac": CAC, "cbc": CBC, "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"}
CONTRACT = {
    "legal_name": "Stichting Zorggroep Noord",
    "street": "Grote Markt 1",
    "postcode": "8011 LW",
    "city": "Zwolle",
    "kvk": "87654321",
    "vat_id": "NL001234567B01",
    "buyer_reference": "PO-2027-118",
    "hourly_rate": "95.00",
    "travel": "per_km",
    "rate_per_km": "0.23",
    "administration": "per_case",
    "administration_fee": "25.00",
    "vat_percent": "21",
}


def months_ago(n: int) -> int:
    now = datetime.now(UTC)
    return now.year * 12 + now.month - 1 - n


def label(month: int) -> str:
    return f"{month // 12}-{month % 12 + 1:02d}"


async def cases_in(reporting: Client, org: str, per_month: dict[int, int]) -> None:
    """The tallies of closed cases, each with 1.5 hours of work and one conversation of an
    hour on location, 2 x 32.5 km away (as the confidant confirmed it)."""
    cases: list[CaseFacts] = [
        {
            "_id": f"case-{month}-{i}",
            "category": CATEGORIES[i % 3],
            "channel": "web",
            "reporter_role": "employee",
            "opened": month,
            "closed": month,
            "outcome": "advice",
            "hours": 1.5,
            "work": {str(month): {"hours": 1.5, "at": "2026-01-01T00:00:00+00:00"}},
            "conversations": {
                f"a{month}-{i}": {
                    "mode": "on_location",
                    "month": month,
                    "minutes": 60,
                    "km": 65.0,
                    "travel_minutes": 0,
                    "held_minutes": 60,
                }
            },
        }
        for month, n in per_month.items()
        for i in range(n)
    ]
    assert reporting.app is not None
    db = reporting.app[REPORTING].db
    await db["tallies"].insert_many(
        [{"_id": f"{org}|{m}", "org_id": org, "month": m, "n": v} for m, v in tally(cases).items()]
    )


@pytest.fixture
def schema() -> etree.XMLSchema:
    if not XSD.exists():
        pytest.fail("the UBL 2.1 schemas are missing: 'make test' fetches them (make ubl-schemas)")
    return etree.XMLSchema(etree.parse(str(XSD)))


def peppol_problems(doc: Any) -> list[str]:
    """What Peppol BIS Billing 3.0's own rules (EN 16931 and Peppol's, with the Dutch ones)
    find fatally wrong with an invoice: the Schematron rules, run by Saxon."""
    return [str(f) for f in fatal(etree.tostring(doc))]


async def test_a_contract_then_periods_invoiced_in_turn_as_pdf_and_peppol_ubl(
    start_service: StartService, token: Callable[..., str], schema: etree.XMLSchema
) -> None:
    reporting = await start_service("reporting", REPORTING_K="3", REPORTING_FIRM_NAME="VP Noord")
    org = "org-noord"
    admin = bearer(token("admin", "reporting"))
    hr = bearer(token("org_admin", "reporting", org_id=org))
    other_hr = bearer(token("org_admin", "reporting", org_id="org-elders"))
    first, second, third = months_ago(4), months_ago(3), months_ago(2)
    await cases_in(reporting, org, {first: 5, second: 2, third: 4})

    no_contract = await reporting.post(
        f"/v1/orgs/{org}/invoices",
        headers=admin,
        json={"period_from": label(first), "period_to": label(first)},
    )
    assert no_contract.status == 409
    for wrong, field in [
        ({**CONTRACT, "kvk": "123"}, "kvk"),
        ({**CONTRACT, "hourly_rate": "-1"}, "hourly_rate"),
        ({**CONTRACT, "travel": "by_rocket"}, "travel"),
        ({k: v for k, v in CONTRACT.items() if k != "legal_name"}, "legal_name"),
    ]:
        refused = await reporting.put(f"/v1/orgs/{org}/contract", headers=admin, json=wrong)
        assert refused.status == 422 and field in (await refused.json())["error"]["fields"]
    assert (
        await reporting.put(f"/v1/orgs/{org}/contract", headers=hr, json=CONTRACT)
    ).status == 403
    # A contract that ends before the first period invoices nothing of it.
    ended = {**CONTRACT, "starts_on": "2020-01-01", "ends_on": "2020-12-31"}
    assert (
        await reporting.put(f"/v1/orgs/{org}/contract", headers=admin, json=ended)
    ).status == 200
    outside = await reporting.post(
        f"/v1/orgs/{org}/invoices",
        headers=admin,
        json={"period_from": label(first), "period_to": label(first)},
    )
    assert outside.status == 409 and "does not run" in await outside.text()
    backwards = {**CONTRACT, "starts_on": "2027-01-01", "ends_on": "2026-01-01"}
    refused = await reporting.put(f"/v1/orgs/{org}/contract", headers=admin, json=backwards)
    assert refused.status == 422
    made = await reporting.put(f"/v1/orgs/{org}/contract", headers=admin, json=CONTRACT)
    assert made.status == 200, await made.text()
    assert (await (await reporting.get(f"/v1/orgs/{org}/contract", headers=hr)).json())[
        "hourly_rate"
    ] == "95.00"

    async def invoice(start: int, end: int) -> Any:
        return await reporting.post(
            f"/v1/orgs/{org}/invoices",
            headers=admin,
            json={"period_from": label(start), "period_to": label(end)},
        )

    # The usage statement with amounts, for any period, before an invoice is made.
    costs = f"/v1/orgs/{org}/costs?period_from={label(first)}&period_to={label(first)}"
    preview = await reporting.get(costs, headers=hr)
    assert preview.status == 200, await preview.text()
    assert (await preview.json())["gross"] == "1678.57"
    assert (await reporting.get(costs, headers=other_hr)).status == 403
    alone_costs = f"/v1/orgs/{org}/costs?period_from={label(second)}&period_to={label(second)}"
    alone_preview = await (await reporting.get(alone_costs, headers=hr)).json()
    assert [line["code"] for line in alone_preview["lines"]] == ["services"]  # 2 cases < k
    bad = await reporting.get(f"/v1/orgs/{org}/costs?period_from=gisteren", headers=hr)
    assert bad.status == 422
    # Months no date can be made of (year 0, or a period that runs into year 10000) are a
    # clean 422 naming the field, before anything is claimed or numbered.
    for far_month in ("0000-01", "9999-12"):
        far = await reporting.get(
            f"/v1/orgs/{org}/costs?period_from={label(first)}&period_to={far_month}", headers=hr
        )
        assert far.status == 422 and "period_to" in (await far.json())["error"]["fields"]
        never = await reporting.post(
            f"/v1/orgs/{org}/invoices",
            headers=admin,
            json={"period_from": far_month, "period_to": far_month},
        )
        assert never.status == 422, await never.text()
        assert "period_from" in (await never.json())["error"]["fields"]
    assert reporting.app is not None
    assert await reporting.app[REPORTING].db["invoice_claims"].count_documents({}) == 0
    assert await reporting.app[REPORTING].db["invoices"].count_documents({}) == 0

    # An attempt that claimed the period and died before its invoice was stored: while its
    # claim is fresh the period is being made; once stale, the next attempt takes it over.
    assert reporting.app is not None
    claims = reporting.app[REPORTING].db["invoice_claims"]
    dead = {"_id": f"{org}|{first}", "invoice_id": "a" * 24, "at": datetime.now(UTC)}
    await claims.insert_one(dead)
    busy = await invoice(first, first)
    assert busy.status == 409 and "being made" in (await busy.json())["error"]["message"]
    reporting.app[REPORTING].clock.move(timedelta(minutes=2))  # the claim grows stale

    one = await invoice(first, first)
    assert one.status == 201, await one.text()
    made_one = await one.json()
    assert made_one["id"] == "a" * 24  # the dead attempt's, so nothing it claimed is lost
    # 5 cases x 1.5 h and 5 conversations of an hour at 95.00 (712.50 + 475.00), 5 visits
    # of 2 x 32.5 km at 0.23 (74.75), 5 x 25.00 administration (125.00); 21 % VAT.
    assert made_one["net"] == "1387.25" and made_one["vat"] == "291.32"
    assert made_one["gross"] == "1678.57"
    # The next period has two cases (k = 3): invoiced all the same, as one line of its
    # amount, no quantity telling how many; the one after it has four, line by line.
    gap = await invoice(third, third)
    assert gap.status == 409 and (await gap.json())["error"]["fields"] == {
        "period_from": label(second)
    }
    alone = await invoice(second, second)
    assert alone.status == 201, await alone.text()
    small = await alone.json()
    assert [(line["code"], line["quantity"]) for line in small["lines"]] == [("services", "1")]
    assert small["lines"][0]["amount"] == small["net"]
    small_ubl = await (
        await reporting.get(f"/v1/invoices/{small['id']}?format=ubl", headers=hr)
    ).read()
    assert [str(f) for f in fatal(small_ubl)] == []
    assert "Diensten" in pdf_text(
        await (await reporting.get(f"/v1/invoices/{small['id']}?format=pdf", headers=hr)).read()
    )
    together = await invoice(third, third)
    assert together.status == 201, await together.text()
    both = await together.json()
    assert {line["code"]: line["quantity"] for line in both["lines"]}["administration_cases"] == "4"
    assert both["number"].endswith("0003") and made_one["number"].endswith("0001")

    # What the organisation's admin reads: their invoices, as PDF and as UBL; no one else's.
    listed = await (await reporting.get(f"/v1/orgs/{org}/invoices", headers=hr)).json()
    assert [i["number"] for i in listed["items"]] == [
        both["number"],
        small["number"],
        made_one["number"],
    ]
    assert (await reporting.get(f"/v1/orgs/{org}/invoices", headers=other_hr)).status == 403
    url = f"/v1/invoices/{both['id']}"
    assert (await reporting.get(url, headers=other_hr)).status == 404
    pdf = await (await reporting.get(f"{url}?format=pdf", headers=hr)).read()
    assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 595.28 841.89]" in pdf
    words = pdf_text(pdf)
    assert "Factuur" in words and "Stichting Zorggroep Noord" in words and "Pagina 1 van" in words
    ubl = await reporting.get(f"{url}?format=ubl", headers=hr)
    assert ubl.content_type == "application/xml"
    doc = etree.fromstring(await ubl.read())
    schema.assertValid(doc)  # OASIS UBL 2.1
    assert peppol_problems(doc) == []
    # Nothing per case or per day: three kinds of cost, no dates but the period's and the
    # invoice's own.
    dates = {d.text for d in doc.iter() if d.tag.endswith("Date")}
    assert dates == {both["issue_date"], both["due_date"], both["period_start"], both["period_end"]}
    assert len(doc.xpath("cac:InvoiceLine", namespaces=NS)) == len(both["lines"]) <= 4
    assert (await reporting.get(f"{url}?format=doc", headers=hr)).status == 422

    # A correction: a credit note for all of the invoice, once, with the reason; the invoice
    # stays as it was, and its period is invoiced again.
    credit = f"/v1/invoices/{both['id']}/credit-note"
    assert (await reporting.post(credit, headers=hr, json={"reason": "te veel"})).status == 403
    assert (await reporting.post(credit, headers=admin, json={})).status == 422
    noted = await reporting.post(
        credit, headers=admin, json={"reason": "Verkeerd uurtarief gerekend"}
    )
    assert noted.status == 201, await noted.text()
    note = await noted.json()
    assert note["number"].startswith("CN-") and note["invoice_number"] == both["number"]
    assert note["gross"] == both["gross"] and note["lines"] == both["lines"]
    again = await reporting.post(credit, headers=admin, json={"reason": "nog eens"})
    assert again.status == 409
    unchanged = await (await reporting.get(url, headers=hr)).json()
    same = {k: v for k, v in both.items() if k != "created_at"}  # (stored to the millisecond)
    assert {k: v for k, v in unchanged.items() if k != "created_at"} == same
    credit_ubl = await (
        await reporting.get(f"/v1/credit-notes/{note['id']}?format=ubl", headers=hr)
    ).read()
    credit_schema = etree.XMLSchema(etree.parse(str(XSD.with_name("UBL-CreditNote-2.1.xsd"))))
    credit_schema.assertValid(etree.fromstring(credit_ubl))
    assert [str(f) for f in fatal(credit_ubl)] == []
    credit_pdf = await (
        await reporting.get(f"/v1/credit-notes/{note['id']}?format=pdf", headers=hr)
    ).read()
    assert "Creditnota" in pdf_text(credit_pdf) and "Verkeerd uurtarief" in pdf_text(credit_pdf)
    assert (await reporting.get(f"/v1/credit-notes/{note['id']}", headers=other_hr)).status == 404
    notes = await (await reporting.get(f"/v1/orgs/{org}/credit-notes", headers=hr)).json()
    assert [n["number"] for n in notes["items"]] == [note["number"]]
    redone = await invoice(third, third)
    assert redone.status == 201, await redone.text()
    assert (await redone.json())["number"].endswith("0004")


def test_the_checks_find_what_is_wrong(schema: etree.XMLSchema) -> None:
    """The schema and the rules are not a formality: a broken invoice fails both."""
    from services.reporting.formats.invoice import to_ubl

    good: Invoice = {
        "_id": "a" * 24,
        "number": "2027-0001",
        "issue_date": "2027-01-05",
        "due_date": "2027-02-04",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "payment_days": 30,
        "currency": "EUR",
        "locale": "en",
        "vat_percent": "21",
        "seller": {
            "name": "VP",
            "street": "S 1",
            "postcode": "1",
            "city": "Z",
            "country": "NL",
            "kvk": "12345678",
            "vat_id": "NL000099998B57",
            "iban": "NL91ABNA0417164300",
        },
        "buyer": {
            "name": "B",
            "street": "S 2",
            "postcode": "2",
            "city": "Z",
            "country": "NL",
            "kvk": "87654321",
            "reference": "PO-1",
        },
        "lines": [
            {
                "code": "case_work",
                "quantity": "2",
                "unit": "HUR",
                "price": "10.00",
                "amount": "20.00",
            }
        ],
        "net": "20.00",
        "vat": "4.20",
        "gross": "24.20",
    }
    fine = etree.fromstring(to_ubl(good))
    schema.assertValid(fine)
    assert peppol_problems(fine) == []
    wrong_sum = etree.fromstring(to_ubl({**good, "gross": "25.00"}))
    assert "BR-CO-15" in " ".join(peppol_problems(wrong_sum))
    date_element = fine.find(f"{{{CBC}}}IssueDate")
    assert date_element is not None
    date_element.text = "5 January 2027"
    assert not schema.validate(fine)


GOOD: Invoice = {
    "_id": "b" * 24,
    "number": "2027-0002",
    "issue_date": "2027-01-05",
    "due_date": "2027-02-04",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "payment_days": 30,
    "currency": "EUR",
    "locale": "nl",
    "vat_percent": "21",
    "vat_category": "S",
    "vat_exemption_reason": None,
    "seller": {
        "name": "VP",
        "street": "S 1",
        "postcode": "1234 AB",
        "city": "Zwolle",
        "country": "NL",
        "kvk": "12345678",
        "vat_id": "NL000099998B57",
        "iban": "NL91ABNA0417164300",
    },
    "buyer": {
        "name": "Gemeente Zwolle",
        "street": "Grote Kerkplein 15",
        "postcode": "8011 PK",
        "city": "Zwolle",
        "country": "NL",
        "kvk": "87654321",
        "reference": "PO-1",
    },
    "lines": [
        {"code": "case_work", "quantity": "2", "unit": "HUR", "price": "10.00", "amount": "20.00"}
    ],
    "net": "20.00",
    "vat": "4.20",
    "gross": "24.20",
}


@pytest.mark.parametrize(
    ("vat", "buyer"),
    [
        ({}, {}),  # 21 %, a company by its KvK number
        ({"vat_percent": "9", "vat": "1.80", "gross": "21.80"}, {}),  # the reduced rate
        (  # zero rated
            {"vat_category": "Z", "vat_percent": "0", "vat": "0.00", "gross": "20.00"},
            {},
        ),
        (  # exempt, with the law's reason
            {
                "vat_category": "E",
                "vat_percent": "0",
                "vat": "0.00",
                "gross": "20.00",
                "vat_exemption_reason": "Vrijgesteld op grond van artikel 11 Wet OB",
            },
            {},
        ),
        ({}, {"kvk": None, "oin": "00000001001172773000"}),  # a public body by its OIN
        ({}, {"kvk": None, "vat_id": "BE0123456749", "country": "BE"}),  # only a VAT number
    ],
    ids=["S21", "S9", "Z", "E", "OIN", "VAT-only"],
)
def test_every_vat_category_and_kind_of_buyer_passes_peppols_rules(
    vat: dict[str, Any], buyer: dict[str, Any], schema: etree.XMLSchema
) -> None:
    from services.reporting.formats.invoice import to_pdf, to_ubl

    invoice: Invoice = {**GOOD, **vat, "buyer": {**GOOD["buyer"], **buyer}}  # type: ignore[typeddict-item]
    document = to_ubl(invoice)
    schema.assertValid(etree.fromstring(document))
    assert [str(f) for f in fatal(document)] == []
    words = pdf_text(to_pdf(invoice))
    if invoice.get("vat_category") == "E":
        assert "Vrijgesteld van btw: Vrijgesteld op grond van artikel 11" in words
    if invoice.get("vat_category") == "Z":
        assert "Btw 0% " in words and "nultarief" in words


def test_a_standard_rate_of_nought_is_what_the_rules_refuse_and_the_contract_too() -> None:
    from services.reporting.formats.invoice import to_ubl
    from services.reporting.store.documents import Contract

    zero_as_s = {**GOOD, "vat_percent": "0", "vat": "0.00", "gross": "20.00"}
    assert "BR-S-05" in {f.rule for f in fatal(to_ubl(zero_as_s))}  # type: ignore[arg-type]
    terms = dict(CONTRACT)
    for wrong in (
        {"vat_percent": "0"},  # S at 0 %
        {"vat_category": "Z"},  # Z at 21 %
        {"vat_category": "E", "vat_percent": "0"},  # E without its reason
        {"vat_exemption_reason": "art. 11"},  # a reason without E
        {"kvk": None, "vat_id": None},  # a buyer known by nothing
    ):
        with pytest.raises(ValueError):
            Contract.model_validate({**terms, **wrong})
    assert Contract.model_validate({**terms, "kvk": None, "oin": "00000001001172773000"}).oin


async def test_the_organisations_own_work_is_entered_billed_and_closed_once_invoiced(
    start_service: StartService, token: Callable[..., str]
) -> None:
    reporting = await start_service("reporting", REPORTING_K="3")
    org = "org-noord"
    admin = bearer(token("admin", "reporting"))
    anna = bearer(token("confidant", "reporting", sub="c-anna", orgs=[org]))
    bram = bearer(token("confidant", "reporting", sub="c-bram", orgs=["org-elders"]))
    hr = bearer(token("org_admin", "reporting", org_id=org))
    month = months_ago(1)
    await cases_in(reporting, org, {month: 4})
    contract = {**CONTRACT, "travel_hourly_rate": "40.00", "subscription_per_month": "150.00"}
    assert (
        await reporting.put(f"/v1/orgs/{org}/contract", headers=admin, json=contract)
    ).status == 200
    day = f"{label(month)}-15"
    entry = {"kind": "yearly_report", "day": day, "minutes": 150}
    work = f"/v1/orgs/{org}/activities"
    made = await reporting.post(work, headers=anna, json=entry)
    assert made.status == 201, await made.text()
    visit = {"kind": "introduction", "day": day, "minutes": 90, "km": 30.0, "travel_minutes": 45}
    assert (await reporting.post(work, headers=admin, json=visit)).status == 201
    for wrong, field in [
        ({**entry, "kind": "lunch"}, "kind"),
        ({**entry, "minutes": 0}, "minutes"),
        ({**entry, "day": "2999-01-01"}, "day"),
    ]:
        refused = await reporting.post(work, headers=anna, json=wrong)
        assert refused.status == 422 and field in (await refused.json())["error"]["fields"]
    assert (await reporting.post(work, headers=bram, json=entry)).status == 403
    assert (await reporting.post(work, headers=hr, json=entry)).status == 403
    listed = await (await reporting.get(work, headers=anna)).json()
    assert sorted(a["kind"] for a in listed["items"]) == ["introduction", "yearly_report"]

    costs = f"/v1/orgs/{org}/costs?period_from={label(month)}&period_to={label(month)}"
    lines = {
        line["code"]: line
        for line in (await (await reporting.get(costs, headers=hr)).json())["lines"]
    }
    assert lines["organisation_work"]["quantity"] == "4.00"  # 150 + 90 minutes
    assert lines["travel_time"]["quantity"] == "0.75" and lines["travel_time"]["amount"] == "30.00"
    assert lines["travel_km"]["quantity"] == "290.0"  # 4 visits x 65 km, and the 30 km
    assert lines["subscription"]["amount"] == "150.00"

    invoice = await reporting.post(
        f"/v1/orgs/{org}/invoices",
        headers=admin,
        json={"period_from": label(month), "period_to": label(month)},
    )
    assert invoice.status == 201, await invoice.text()
    issued = await invoice.json()
    # An invoiced month takes no more work and gives none back, until a credit note.
    late = await reporting.post(work, headers=anna, json=entry)
    assert late.status == 409 and "invoiced" in (await late.json())["error"]["message"]
    first = listed["items"][0]["id"]
    assert (await reporting.delete(f"{work}/{first}", headers=anna)).status == 409
    credited = await reporting.post(
        f"/v1/invoices/{issued['id']}/credit-note", headers=admin, json={"reason": "wrong hours"}
    )
    assert credited.status == 201, await credited.text()
    assert (await reporting.delete(f"{work}/{first}", headers=anna)).status == 204
    assert (await reporting.delete(f"{work}/{first}", headers=anna)).status == 404

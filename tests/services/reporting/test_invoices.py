"""Invoices through reporting's API: a contract, periods invoiced one after the other, the
PDF, and the UBL e-invoice checked against OASIS's UBL 2.1 schema and the Peppol BIS Billing
3.0 rules it must meet; nothing on it that a report would hide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from services.reporting.domain.counts import CATEGORIES
from services.reporting.domain.tally import tally
from services.reporting.formats.invoice import CAC, CBC, CUSTOMIZATION, PROFILE
from services.reporting.state import REPORTING
from services.reporting.store.documents import CaseFacts, Invoice
from tests.conftest import StartService
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
    "distance_km": "32.5",
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
    """The tallies of closed cases, each with 1.5 hours and one conversation on location."""
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
            "conversations": {f"a{month}-{i}": {"mode": "on_location", "month": month}},
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
    """The Peppol BIS Billing 3.0 (and Dutch CIUS) rules an invoice of ours must meet."""

    def one(path: str) -> list[Any]:
        found: list[Any] = doc.xpath(path, namespaces=NS)
        return found

    def text(path: str) -> str:
        return str((one(path) or [""])[0])

    problems = []
    required = [
        "cbc:CustomizationID",
        "cbc:ProfileID",
        "cbc:ID",
        "cbc:IssueDate",
        "cbc:DueDate",
        "cbc:InvoiceTypeCode",
        "cbc:DocumentCurrencyCode",
        "cbc:BuyerReference",
        "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID/@schemeID",
        "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:StreetName",
        "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:CityName",
        "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:PostalZone",
        "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
        "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
        "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0106']",
        "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID",
        "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0106']",
        "cac:PaymentMeans/cbc:PaymentMeansCode",
        "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
        "cac:TaxTotal/cbc:TaxAmount/@currencyID",
        "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent",
        "cac:LegalMonetaryTotal/cbc:PayableAmount",
        "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cac:TaxScheme/cbc:ID",
    ]
    problems += [f"missing {path}" for path in required if not one(path)]
    if text("cbc:CustomizationID/text()") != CUSTOMIZATION:
        problems.append("not the Peppol BIS Billing 3.0 customization")
    if text("cbc:ProfileID/text()") != PROFILE:
        problems.append("not the billing profile")
    lines = sum(Decimal(v) for v in one("cac:InvoiceLine/cbc:LineExtensionAmount/text()"))
    net = Decimal(text("cac:LegalMonetaryTotal/cbc:LineExtensionAmount/text()"))
    exclusive = Decimal(text("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount/text()"))
    inclusive = Decimal(text("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount/text()"))
    vat = Decimal(text("cac:TaxTotal/cbc:TaxAmount/text()"))
    if lines != net:
        problems.append("BR-CO-10: the lines do not add up")
    if exclusive + vat != inclusive:
        problems.append("BR-CO-15: TaxInclusiveAmount is not TaxExclusiveAmount plus VAT")
    for quantity, price, amount in zip(
        one("cac:InvoiceLine/cbc:InvoicedQuantity/text()"),
        one("cac:InvoiceLine/cac:Price/cbc:PriceAmount/text()"),
        one("cac:InvoiceLine/cbc:LineExtensionAmount/text()"),
        strict=True,
    ):
        if (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01")) != Decimal(amount):
            problems.append(f"a line's amount is not quantity x price: {quantity} x {price}")
    return problems


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
    assert (await reporting.get(alone_costs, headers=hr)).status == 409
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
    # The next period has two cases: not on its own (k = 3), but with the one after it.
    alone = await invoice(second, second)
    assert alone.status == 409 and (await alone.json())["error"]["code"] == "too_few_cases"
    gap = await invoice(third, third)
    assert gap.status == 409 and (await gap.json())["error"]["fields"] == {
        "period_from": label(second)
    }
    together = await invoice(second, third)
    assert together.status == 201, await together.text()
    both = await together.json()
    assert {line["code"]: line["quantity"] for line in both["lines"]}["administration_cases"] == "6"
    assert both["number"].endswith("0002") and made_one["number"].endswith("0001")

    # What the organisation's admin reads: their invoices, as PDF and as UBL; no one else's.
    listed = await (await reporting.get(f"/v1/orgs/{org}/invoices", headers=hr)).json()
    assert [i["number"] for i in listed["items"]] == [both["number"], made_one["number"]]
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

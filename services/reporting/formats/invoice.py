"""An invoice as the organisation receives it: a PDF to read, and a UBL 2.1 e-invoice in the
Peppol BIS Billing 3.0 profile (the Dutch public sector's and many accounting packages'
format) to book. Both from the stored invoice document, which the API made once. Pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from fpdf import FPDF
from lxml import etree

from services.reporting.formats.report import latin
from services.reporting.store.documents import CreditNote, Invoice, Party
from shared.messages import N_, Texts

UBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
KVK = "0106"  # the ISO 6523 scheme of the Dutch Chamber of Commerce number (Peppol EAS)
OIN = "0190"  # a Dutch public body's OIN (Digikoppeling), the Dutch government's Peppol ID
# The Peppol EAS codes of VAT numbers, by country (the buyer known only by one).
VAT_SCHEMES = {
    "AT": "9914", "BE": "9925", "DE": "9930", "DK": "0198", "ES": "9920", "FR": "9957",
    "IE": "9935", "IT": "0211", "LU": "9938", "NL": "9944", "PT": "9946", "SE": "9955",
}  # fmt: skip

TEXT = Texts(
    {
        "invoice": N_("Invoice"),
        "credit_note": N_("Credit note"),
        "credits": N_("Credits invoice"),
        "reason": N_("Reason"),
        "refund": N_("We pay this amount back to you."),
        "number": N_("Invoice number"),
        "date": N_("Invoice date"),
        "due": N_("Due by"),
        "period": N_("Period"),
        "to": N_("To"),
        "reference": N_("Your reference"),
        "description": N_("Description"),
        "quantity": N_("Quantity"),
        "price": N_("Price"),
        "amount": N_("Amount"),
        "net": N_("Total excluding VAT"),
        "vat": N_("VAT"),
        "vat_zero": N_("VAT 0% (zero rated)"),
        "vat_exempt": N_("Exempt from VAT: %(reason)s"),
        "gross": N_("Amount due"),
        "pay": N_("Please pay to"),
        "privacy": N_(
            "This invoice gives numbers for the whole period only: no report, no person and no "
            "date of a conversation."
        ),
        "case_work": N_("Confidant's hours: handling reports"),
        "conversations": N_("Confidant's hours: conversations"),
        "organisation_work": N_(
            "Confidant's hours for the organisation: meetings, sessions, the yearly report"
        ),
        "travel_time": N_("Travel time"),
        "subscription": N_("Subscription, per month"),
        "travel_visits": N_("Travel, per visit"),
        "travel_km": N_("Travel, kilometres (there and back)"),
        "administration_cases": N_("Administration, per report"),
        "administration_months": N_("Administration, per month"),
        "services": N_("Confidant's services in this period"),
        "page": N_("Page"),
        "of": N_("of"),
    }
)


# The units' words beside a quantity (UN/ECE Recommendation 20 codes).
UNITS = Texts(
    {
        "HUR": N_("h"),
        "KMT": N_("km"),
        "MON": N_("months"),
    }
)


def _amount(value: str | Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _quantity(value: str | Decimal) -> str:
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _el(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    ns, _, name = tag.partition(":")
    element = etree.SubElement(parent, f"{{{CAC if ns == 'cac' else CBC}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def identifiers(who: Party) -> tuple[tuple[str, str], tuple[str, str] | None]:
    """Where the e-invoice goes (the Peppol address: scheme, value) and the legal registration
    (a KvK or OIN number; none for a party known only by its VAT number)."""
    if who.get("oin"):
        legal = (OIN, str(who["oin"]))
    elif who.get("kvk"):
        legal = (KVK, str(who["kvk"]))
    else:
        vat = str(who.get("vat_id") or "")
        scheme = VAT_SCHEMES.get(vat[:2])
        if scheme is None:
            raise ValueError(f"no Peppol scheme for the VAT number {vat!r}")
        return (scheme, vat), None
    return legal, legal


def _party(parent: Any, who: Party, *, supplier: bool) -> None:
    party = _el(parent, "cac:Party")
    endpoint, legal_id = identifiers(who)
    _el(party, "cbc:EndpointID", endpoint[1], schemeID=endpoint[0])
    name = _el(party, "cac:PartyName")
    _el(name, "cbc:Name", who["name"])
    address = _el(party, "cac:PostalAddress")
    _el(address, "cbc:StreetName", who["street"])
    _el(address, "cbc:CityName", who["city"])
    _el(address, "cbc:PostalZone", who["postcode"])
    country = _el(address, "cac:Country")
    _el(country, "cbc:IdentificationCode", who["country"])
    if who.get("vat_id"):
        scheme = _el(party, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", who["vat_id"])
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(party, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", who["name"])
    if legal_id is not None:
        _el(legal, "cbc:CompanyID", legal_id[1], schemeID=legal_id[0])
    if supplier and who.get("email"):
        _el(_el(party, "cac:Contact"), "cbc:ElectronicMail", who["email"])


def to_ubl(invoice: Invoice | CreditNote) -> bytes:
    """The invoice (or credit note) as UBL 2.1 XML in the Peppol BIS Billing 3.0 profile
    (EN 16931). A credit note credits the invoice it names, line for line."""
    cur = invoice["currency"]
    credit = "invoice_number" in invoice
    ns = UBL_CREDIT if credit else UBL
    root = etree.Element(
        f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: ns, "cac": CAC, "cbc": CBC}
    )
    _el(root, "cbc:CustomizationID", CUSTOMIZATION)
    _el(root, "cbc:ProfileID", PROFILE)
    _el(root, "cbc:ID", invoice["number"])
    _el(root, "cbc:IssueDate", invoice["issue_date"])
    if credit:
        _el(root, "cbc:CreditNoteTypeCode", "381")  # a credit note
        _el(root, "cbc:Note", str(invoice.get("reason", "")))
    else:
        _el(root, "cbc:DueDate", invoice["due_date"])
        _el(root, "cbc:InvoiceTypeCode", "380")  # a commercial invoice
    _el(root, "cbc:DocumentCurrencyCode", cur)
    _el(root, "cbc:BuyerReference", invoice["buyer"]["reference"])
    period = _el(root, "cac:InvoicePeriod")
    _el(period, "cbc:StartDate", invoice["period_start"])
    _el(period, "cbc:EndDate", invoice["period_end"])
    if credit:  # the invoice it corrects (NL-R-001)
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", str(invoice.get("invoice_number")))
        _el(reference, "cbc:IssueDate", str(invoice.get("invoice_date")))
    _party(_el(root, "cac:AccountingSupplierParty"), invoice["seller"], supplier=True)
    _party(_el(root, "cac:AccountingCustomerParty"), invoice["buyer"], supplier=False)
    if not credit:  # the firm pays a credit back itself
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", "58")  # SEPA credit transfer
        _el(means, "cbc:PaymentID", invoice["number"])
        _el(_el(means, "cac:PayeeFinancialAccount"), "cbc:ID", invoice["seller"]["iban"])
    _el(_el(root, "cac:PaymentTerms"), "cbc:Note", f"{invoice['payment_days']} days net")
    tax = _el(root, "cac:TaxTotal")
    _el(tax, "cbc:TaxAmount", _amount(invoice["vat"]), currencyID=cur)
    subtotal = _el(tax, "cac:TaxSubtotal")
    _el(subtotal, "cbc:TaxableAmount", _amount(invoice["net"]), currencyID=cur)
    _el(subtotal, "cbc:TaxAmount", _amount(invoice["vat"]), currencyID=cur)
    category = _el(subtotal, "cac:TaxCategory")
    code = invoice.get("vat_category", "S")  # (invoices made before categories: standard)
    _el(category, "cbc:ID", code)
    _el(category, "cbc:Percent", _quantity(invoice["vat_percent"]))
    if code == "E":  # exempt: the reason the law gives (BR-E-10)
        _el(category, "cbc:TaxExemptionReason", invoice.get("vat_exemption_reason") or "")
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")
    total = _el(root, "cac:LegalMonetaryTotal")
    _el(total, "cbc:LineExtensionAmount", _amount(invoice["net"]), currencyID=cur)
    _el(total, "cbc:TaxExclusiveAmount", _amount(invoice["net"]), currencyID=cur)
    _el(total, "cbc:TaxInclusiveAmount", _amount(invoice["gross"]), currencyID=cur)
    _el(total, "cbc:PayableAmount", _amount(invoice["gross"]), currencyID=cur)
    for i, line in enumerate(invoice["lines"], start=1):
        row = _el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        _el(row, "cbc:ID", str(i))
        quantity = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
        _el(row, quantity, _quantity(line["quantity"]), unitCode=line["unit"])
        _el(row, "cbc:LineExtensionAmount", _amount(line["amount"]), currencyID=cur)
        item = _el(row, "cac:Item")
        _el(item, "cbc:Name", TEXT[invoice["locale"]][line["code"]])
        tax_category = _el(item, "cac:ClassifiedTaxCategory")
        _el(tax_category, "cbc:ID", code)
        _el(tax_category, "cbc:Percent", _quantity(invoice["vat_percent"]))
        _el(_el(tax_category, "cac:TaxScheme"), "cbc:ID", "VAT")
        _el(_el(row, "cac:Price"), "cbc:PriceAmount", _amount(line["price"]), currencyID=cur)
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return body


def to_pdf(invoice: Invoice | CreditNote) -> bytes:
    """The invoice to read: A4, the firm and the organisation, the period, one line per kind
    of cost, VAT and the total, where to pay, page numbers."""
    lang = invoice["locale"]
    t = TEXT[lang]
    seller, buyer = invoice["seller"], invoice["buyer"]

    def eur(value: str | Decimal) -> str:
        return latin(format_currency(Decimal(value), invoice["currency"], locale=lang))

    def day(value: str) -> str:
        return format_date(date.fromisoformat(value), "d MMMM y", locale=lang)

    class Page(FPDF):
        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("helvetica", size=8)
            self.cell(0, 8, f"{t['page']} {self.page_no()} {t['of']} {{nb}}", align="C")

    pdf = Page(format="A4")
    pdf.alias_nb_pages()
    credit = "invoice_number" in invoice
    title = t["credit_note"] if credit else t["invoice"]
    pdf.set_title(latin(f"{title} {invoice['number']}"))
    pdf.set_author(latin(seller["name"]))
    pdf.set_lang(lang)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 9, latin(seller["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=9)
    for text in (
        seller["street"],
        f"{seller['postcode']} {seller['city']}",
        f"KvK {seller['kvk']}" + (f" - {seller['vat_id']}" if seller.get("vat_id") else ""),
    ):
        pdf.cell(0, 5, latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    about = (
        [
            (
                t["credits"],
                f"{invoice.get('invoice_number')}, {day(str(invoice.get('invoice_date')))}",
            ),
            (t["reason"], str(invoice.get("reason"))),
        ]
        if credit
        else [(t["due"], day(invoice["due_date"]))]
    )
    for label, value in (
        (t["number"], invoice["number"]),
        (t["date"], day(invoice["issue_date"])),
        *about,
        (t["period"], f"{day(invoice['period_start'])} - {day(invoice['period_end'])}"),
        (t["to"], f"{buyer['name']}, {buyer['street']}, {buyer['postcode']} {buyer['city']}"),
        (t["reference"], buyer["reference"]),
    ):
        pdf.cell(45, 6, latin(label))
        pdf.cell(0, 6, latin(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 10)
    widths = (90, 25, 30, 35)
    for width, head in zip(
        widths, (t["description"], t["quantity"], t["price"], t["amount"]), strict=True
    ):
        pdf.cell(width, 7, latin(head), border="B", align="L" if width == 90 else "R")
    pdf.ln(7)
    pdf.set_font("helvetica", size=10)
    for line in invoice["lines"]:
        quantity = format_decimal(Decimal(line["quantity"]), locale=lang)
        pdf.cell(widths[0], 6, latin(t[line["code"]]))
        unit = UNITS[lang].get(line["unit"], "")
        pdf.cell(widths[1], 6, latin(f"{quantity} {unit}".strip()), align="R")
        pdf.cell(widths[2], 6, eur(line["price"]), align="R")
        pdf.cell(widths[3], 6, eur(line["amount"]), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    vat_label = {
        "Z": t["vat_zero"],
        "E": t["vat_exempt"] % {"reason": invoice.get("vat_exemption_reason") or ""},
    }.get(
        invoice.get("vat_category", "S"),
        f"{t['vat']} {format_decimal(Decimal(invoice['vat_percent']), locale=lang)}%",
    )
    for label, value, bold in (
        (t["net"], invoice["net"], False),
        (vat_label, invoice["vat"], False),
        (t["gross"], invoice["gross"], True),
    ):
        pdf.set_font("helvetica", "B" if bold else "", 10)
        pdf.cell(sum(widths[:3]), 6, latin(label), align="R")
        pdf.cell(widths[3], 6, eur(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("helvetica", size=9)
    pdf.multi_cell(
        0,
        5,
        latin(
            t["refund"]
            if credit
            else f"{t['pay']} {seller['iban']} ({seller['name']}), {invoice['number']}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.multi_cell(0, 5, latin(t["privacy"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

"""A report in JSON, CSV, HTML (with charts as inline SVG, no outside request) and PDF,
in Dutch or English."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from babel.dates import format_date
from fpdf import FPDF
from typing_extensions import TypedDict  # pydantic reads it (the API declares ReportView)

from shared.messages import N_, Texts, translate
from shared.taxonomy import CATEGORIES, REFERRALS
from shared.text import Locale, locale_of

LABELS = Texts(
    {
        "cases": N_("Reports"),
        "closed": N_("Closed reports"),
        "conversations": N_("Conversations"),
        "whistleblower": N_("Whistleblower reports"),
        "category": N_("Kind of report"),
        "channel": N_("Channel"),
        "reporter_role": N_("Reporter"),
        "outcome": N_("Outcome"),
        "referral_kind": N_("Referred to"),
        "mode": N_("Form"),
        "acknowledgement": N_("Acknowledged in time"),
        "feedback": N_("Feedback in time"),
        "quarter": N_("Quarter"),
        "hours": N_("Hours"),
        "total": N_("Total"),
        "advice": N_("The confidant's advice"),
        "published_on": N_("Published on"),
        "draft": N_("Draft, not yet published"),
        "key_figures": N_("Key figures"),
        "this_period": N_("This period"),
        "by_phone": N_("By phone"),
        "yearly": N_("Yearly report"),
        "usage": N_("Usage statement"),
        "previous": N_("Previous year"),
        **CATEGORIES.source,
        "web": N_("Website"),
        "email": N_("E-mail"),
        "whatsapp": N_("WhatsApp"),
        "phone": N_("Phone"),
        "in_person": N_("In person"),
        "letter": N_("Letter"),
        "employee": N_("Employee"),
        "manager": N_("Manager"),
        "hr": N_("HR"),
        "listening_ear": N_("Listening ear"),
        "advice_outcome": N_("Advice"),
        "referral": N_("Referral"),
        "mediation": N_("Mediation"),
        "formal_complaint_support": N_("Support with a formal complaint"),
        "whistleblower_report": N_("Whistleblower report"),
        "online": N_("Online"),
        "on_location": N_("On location"),
        "walk": N_("Walk"),
        "met": N_("In time"),
        "missed": N_("Late"),
        "open": N_("Still open"),
    }
)


def name(key: str, lang: Locale, dimension: str = "") -> str:
    labels = LABELS[lang]
    if dimension == "referral":
        return REFERRALS[lang].get(key, key)
    if key == "referral" and dimension == "":
        return labels["referral_kind"]
    if dimension == "outcome" and key == "advice":
        key = "advice_outcome"
    if dimension == "mode" and key == "phone":
        key = "by_phone"
    return labels.get(key, key)


def month_name(month: int) -> str:
    return f"{month // 12}-{month % 12 + 1:02d}"


def _month_words(month: int, lang: Locale) -> str:
    return format_date(date(month // 12, month % 12 + 1, 1), "MMMM y", locale=lang)


def explain(k: int, lang: Locale) -> str:
    """Disclosure control in one plain sentence."""
    said = N_(
        "So that no one can be recognised, numbers from 1 to {below} are shown as "
        '"< {k}", and a number that could otherwise be worked out from the others as "x".'
    )
    return translate(said, locale_of(lang)).format(below=k - 1, k=k)


Shown = int | str  # a count as published: exact, "< k" or "x"


class PublishedTable(TypedDict):
    population: str
    dimension: str
    cells: dict[str, Shown]


class Quarter(TypedDict):
    label: str
    shown: Shown


class Earlier(TypedDict):
    """Last year's report of the same kind, as it was published: its column beside ours."""

    period_from: str
    totals: dict[str, Shown]
    tables: list[PublishedTable]


class ReportView(TypedDict):
    """A report as the API shows it and as the formats below draw it (times as ISO text)."""

    id: str
    org_id: str
    kind: str
    status: str
    start: int
    end: int
    period_from: str
    period_to: str
    k: int
    totals: dict[str, Shown]
    tables: list[PublishedTable]
    quarters: list[Quarter]
    hours: float | None
    advice: dict[str, str]
    previous: Earlier | None
    org_name: str
    firm: str
    created_at: str
    published_at: str | None


@dataclass(frozen=True)
class Line:
    label: str
    shown: Shown | float  # a count, or hours
    before: Shown | None = None  # the same figure a year earlier, as it was published


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line]
    chart: bool = True


@dataclass(frozen=True)
class Outline:
    """What a report says, in order, in one language: HTML and PDF draw the same."""

    title: str
    organisation: str
    firm: str
    period: str
    status: str  # "published on …" or "draft"
    figures: Section  # the totals (and hours), beside last year's
    sections: list[Section]
    advice: str | None
    note: str  # the disclosure sentence
    before_label: str | None  # the column of last year's figures, if there is one


def outline(view: ReportView, lang: Locale) -> Outline:
    labels = LABELS[lang]
    previous = view.get("previous") or None
    before_totals = previous["totals"] if previous else {}
    before_tables = {
        (t["population"], t["dimension"]): t["cells"]
        for t in (previous["tables"] if previous else [])
    }
    figures = [
        Line(name(p, lang), n, before_totals.get(p) if previous else None)
        for p, n in view["totals"].items()
    ]
    hours = view.get("hours")
    if hours is not None:
        figures.append(Line(labels["hours"], hours))
    sections = []
    if view.get("quarters"):
        lines = [Line(q["label"], q["shown"]) for q in view["quarters"]]
        sections.append(Section(f"{labels['cases']}: {labels['quarter']}", lines))
    for t in view["tables"]:
        before = before_tables.get((t["population"], t["dimension"]), {})
        lines = [
            Line(name(value, lang, t["dimension"]), shown, before.get(value) if before else None)
            for value, shown in t["cells"].items()
        ]
        title = f"{name(t['population'], lang)}: {name(t['dimension'], lang)}"
        sections.append(Section(title, lines))
    published = view.get("published_at")
    status = (
        f"{labels['published_on']} "
        + format_date(datetime.fromisoformat(published).date(), "d MMMM y", locale=lang)
        if published
        else labels["draft"]
    )
    period = f"{_month_words(view['start'], lang)} - {_month_words(view['end'] - 1, lang)}"
    return Outline(
        title=f"{labels[view['kind']]} {period}",
        organisation=view.get("org_name") or view["org_id"],
        firm=view.get("firm") or "",
        period=period,
        status=status,
        figures=Section(labels["key_figures"], figures, chart=False),
        sections=sections,
        advice=(view.get("advice") or {}).get(lang),
        note=explain(int(view["k"]), lang),
        before_label=labels["previous"] if previous else None,
    )


def rows(view: ReportView, lang: Locale) -> list[tuple[str, str, str, str, str]]:
    """(section, breakdown, value, shown, last year): the report as one flat table."""
    doc = outline(view, lang)
    out = [
        (doc.figures.title, line.label, "", str(line.shown), _text(line.before))
        for line in doc.figures.lines
    ]
    for section in doc.sections:
        head, _, breakdown = section.title.partition(": ")
        out += [
            (head, breakdown, line.label, str(line.shown), _text(line.before))
            for line in section.lines
        ]
    return out


def _text(value: Shown | None) -> str:
    return "" if value is None else str(value)


def to_csv(view: ReportView, lang: Locale) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "breakdown", "value", "count", "previous_year"])
    writer.writerows(rows(view, lang))
    return buffer.getvalue()


def _bars(section: Section) -> str:
    """A horizontal bar chart (SVG, no outside request); hidden counts get no bar, only
    their label. The table below it holds the same numbers for screen readers."""
    numbers = [line.shown for line in section.lines if isinstance(line.shown, int)]
    top = max(numbers or [1]) or 1
    height = 22 * len(section.lines) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="520" height="{height}" '
        f'viewBox="0 0 520 {height}" role="img" aria-hidden="true">'
    ]
    for i, line in enumerate(section.lines):
        y = 5 + i * 22
        width = int(300 * line.shown / top) if isinstance(line.shown, int) else 0
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="13">{escape(line.label)}</text>'
            f'<rect x="190" y="{y + 3}" width="{width}" height="15" fill="#2f6f8f"/>'
            f'<text x="{196 + width}" y="{y + 15}" font-size="13">{escape(str(line.shown))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(section: Section, before: str | None, lang: Locale) -> str:
    head = f'<th scope="col">{escape(LABELS[lang]["this_period"])}</th>'
    if before:
        head += f'<th scope="col">{escape(before)}</th>'
    body = "".join(
        f'<tr><th scope="row">{escape(line.label)}</th><td>{escape(str(line.shown))}</td>'
        + (f"<td>{escape(_text(line.before))}</td>" if before else "")
        + "</tr>"
        for line in section.lines
    )
    return f"<table><thead><tr><td></td>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(view: ReportView, lang: Locale) -> str:
    doc = outline(view, lang)
    body = [
        f"<header><p>{escape(doc.firm)}</p><h1>{escape(doc.title)}</h1>"
        f"<p><strong>{escape(doc.organisation)}</strong>. {escape(doc.status)}.</p></header>",
        f"<h2>{escape(doc.figures.title)}</h2>{_table(doc.figures, doc.before_label, lang)}",
    ]
    for section in doc.sections:
        before = (
            doc.before_label if any(line.before is not None for line in section.lines) else None
        )
        body.append(
            f"<section><h2>{escape(section.title)}</h2>{_bars(section)}"
            f"{_table(section, before, lang)}</section>"
        )
    if doc.advice:
        body.append(f"<h2>{escape(LABELS[lang]['advice'])}</h2><p>{escape(doc.advice)}</p>")
    body.append(f"<p><small>{escape(doc.note)}</small></p>")
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(doc.title)} - {escape(doc.organisation)}</title>"
        "<style>body{font-family:sans-serif;max-width:44em;margin:2em auto;padding:0 1em;"
        "color:#1b1b1b}th{text-align:left;padding-right:2em;font-weight:normal}"
        "thead th{font-weight:600}td{text-align:right;padding-left:1em}"
        "svg{max-width:100%;height:auto}header p:first-child{color:#4a5568}</style>"
        "</head><body>" + "".join(body) + "</body></html>"
    )


def latin(text: str) -> str:
    """The PDF's core fonts are Latin-1: the few other characters reports and invoices
    have (dashes, the euro sign), written out; anything else becomes "?"."""
    for char, instead in (("\u2013", "-"), ("\u2014", "-"), ("\u20ac", "EUR ")):
        text = text.replace(char, instead)
    return text.encode("latin-1", "replace").decode("latin-1")


class _Report(FPDF):
    """A4 pages with the firm and organisation above and the page number below."""

    def __init__(self, doc: Outline, lang: Locale) -> None:
        super().__init__(format="A4")
        self.doc = doc
        self.lang = lang
        self.alias_nb_pages()
        self.set_title(latin(f"{doc.title} - {doc.organisation}"))
        self.set_author(latin(doc.firm))
        self.set_lang(lang)
        self.set_auto_page_break(auto=True, margin=18)

    def header(self) -> None:
        self.set_font("helvetica", size=8)
        self.set_text_color(74, 85, 104)
        self.cell(0, 6, latin(f"{self.doc.firm} - {self.doc.organisation}"), align="R")
        self.ln(8)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("helvetica", size=8)
        word = translate(N_("Page"), locale_of(self.lang))
        of = translate(N_("of"), locale_of(self.lang))
        self.cell(0, 8, f"{word} {self.page_no()} {of} {{nb}}", align="C")


def _pdf_section(pdf: _Report, section: Section, before: str | None) -> None:
    needed = 14 + 6 * len(section.lines)
    if pdf.get_y() + needed > pdf.h - 20:
        pdf.add_page()
    pdf.start_section(latin(section.title))  # a bookmark in the outline
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(0, 8, latin(section.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=9)
    numbers = [line.shown for line in section.lines if isinstance(line.shown, int)]
    top = max(numbers or [1]) or 1
    for line in section.lines:
        y = pdf.get_y()
        pdf.cell(62, 6, latin(line.label))
        if section.chart and isinstance(line.shown, int) and line.shown:
            pdf.set_fill_color(47, 111, 143)
            pdf.rect(pdf.l_margin + 64, y + 1.2, 70 * line.shown / top, 3.6, style="F")
        pdf.set_x(pdf.l_margin + 138)
        pdf.cell(20, 6, latin(str(line.shown)), align="R")
        if before:
            pdf.cell(28, 6, latin(_text(line.before)), align="R")
        pdf.ln(6)
    pdf.ln(3)


def to_pdf(view: ReportView, lang: Locale) -> bytes:
    """A4, vector bars, page numbers and bookmarks. (fpdf2 writes no tagged PDF; the HTML
    is the accessible form, and the PDF names its language and title.)"""
    doc = outline(view, lang)
    pdf = _Report(doc, lang)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.multi_cell(0, 9, latin(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.cell(0, 7, latin(f"{doc.organisation}. {doc.status}."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if doc.before_label:
        pdf.set_font("helvetica", "B", 9)
        pdf.set_x(pdf.l_margin + 138)
        pdf.cell(20, 6, latin(LABELS[lang]["this_period"]), align="R")
        pdf.cell(28, 6, latin(doc.before_label), align="R", new_x="LMARGIN", new_y="NEXT")
    _pdf_section(pdf, doc.figures, doc.before_label)
    for section in doc.sections:
        before = (
            doc.before_label if any(line.before is not None for line in section.lines) else None
        )
        _pdf_section(pdf, section, before)
    if doc.advice:
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 8, latin(LABELS[lang]["advice"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        pdf.multi_cell(0, 5, latin(doc.advice), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font("helvetica", size=8)
    pdf.multi_cell(0, 4, latin(doc.note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

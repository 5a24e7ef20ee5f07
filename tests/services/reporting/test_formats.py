"""A report as an organisation reads it: named, dated, its figures beside last year's, every
table as a chart and as numbers, disclosure control in one sentence; in HTML, PDF and CSV."""

from __future__ import annotations

import csv
import io
import re
import zlib

from services.reporting.formats.report import ReportView, outline, to_csv, to_html, to_pdf

VIEW: ReportView = {
    "id": "r1",
    "org_id": "org-1",
    "org_name": "Zorggroep Noord",
    "firm": "Vertrouwenspersonen Noord",
    "kind": "yearly",
    "status": "published",
    "start": 2026 * 12,
    "end": 2027 * 12,
    "period_from": "januari 2026",
    "period_to": "december 2026",
    "k": 3,
    "totals": {"cases": 12, "closed": 5, "conversations": 4, "whistleblower": "< 3"},
    "tables": [
        {
            "population": "cases",
            "dimension": "category",
            "cells": {"pesten": 6, "intimidatie": 4, "discriminatie": "< 3", "anders": "x"},
        },
        {"population": "closed", "dimension": "outcome", "cells": {"advice": 3, "referral": "< 3"}},
    ],
    "quarters": [{"label": "Q1", "shown": 3}, {"label": "Q2", "shown": 9}],
    "hours": 7.5,
    "advice": {"nl": "Investeer in teamgesprekken.", "en": "Invest in team talks."},
    "previous": {
        "period_from": "2025-01",
        "totals": {"cases": 9, "closed": 4, "conversations": "< 3", "whistleblower": 0},
        "tables": [
            {"population": "cases", "dimension": "category", "cells": {"pesten": 5, "anders": 4}}
        ],
    },
    "created_at": "2027-01-10T10:00:00+00:00",
    "published_at": "2027-01-15T10:00:00+00:00",
}


def pdf_text(pdf: bytes) -> str:
    """The text drawing operations of every (compressed) content stream."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "\n".join(out)


def test_the_outline_names_dates_and_compares() -> None:
    doc = outline(VIEW, "nl")
    assert doc.title == "Jaarrapportage januari 2026 - december 2026"
    assert doc.organisation == "Zorggroep Noord" and doc.firm == "Vertrouwenspersonen Noord"
    assert doc.status == "Gepubliceerd op 15 januari 2027"
    figures = {line.label: (line.shown, line.before) for line in doc.figures.lines}
    assert figures["Meldingen"] == (12, 9) and figures["Gesprekken"] == (4, "< 3")
    assert figures["Uren"] == (7.5, None)
    category = next(s for s in doc.sections if s.title == "Meldingen: Soort melding")
    assert [(line.label, line.shown, line.before) for line in category.lines] == [
        ("Pesten", 6, 5),
        ("Intimidatie", 4, None),  # not in last year's table as published
        ("Discriminatie", "< 3", None),
        ("Anders", "x", 4),
    ]
    assert doc.note.startswith("Zodat niemand herkenbaar is, staan aantallen van 1 tot en met 2")
    assert outline({**VIEW, "published_at": None}, "en").status == "Draft, not yet published"
    assert outline({**VIEW, "previous": None}, "en").before_label is None


def test_html_for_a_board() -> None:
    page = to_html(VIEW, "en")
    for wanted in (
        "Yearly report January 2026 - December 2026",
        "Zorggroep Noord",
        "Vertrouwenspersonen Noord",
        "Published on 15 January 2027",
        "Key figures",
        "Previous year",
        "Invest in team talks.",
        "numbers from 1 to 2 are shown as",
    ):
        assert wanted in page, wanted
    assert page.count("<svg") == 3  # quarters, categories, outcomes
    assert '<th scope="row">Bullying</th><td>6</td><td>5</td>' in page
    assert "jargon" not in page and "< k" not in page
    assert not any(ref in page for ref in ("src=", "href=", "url(", "@import"))


def test_pdf_is_a4_with_page_numbers_and_the_same_content() -> None:
    pdf = to_pdf(VIEW, "nl")
    assert pdf.startswith(b"%PDF")
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf  # A4
    assert b"/Lang (nl)" in pdf and b"/Title" in pdf
    text = pdf_text(pdf)
    for wanted in ("Zorggroep Noord", "Gepubliceerd op 15 januari 2027", "Pagina 1 van"):
        assert wanted in text, wanted
    assert " re f" in text or " re\nf" in text or "re f" in text  # vector bars (rectangles)
    assert b"/Outlines" in pdf  # bookmarks per section


def test_csv_has_last_years_column() -> None:
    table = list(csv.reader(io.StringIO(to_csv(VIEW, "en"))))
    assert table[0] == ["section", "breakdown", "value", "count", "previous_year"]
    assert ["Reports", "Kind of report", "Bullying", "6", "5"] in table
    assert ["Key figures", "Reports", "", "12", "9"] in table

"""A report in JSON, CSV, HTML (with charts as inline SVG, no outside request) and PDF,
in Dutch or English."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

from fpdf import FPDF

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "cases": "Meldingen",
        "closed": "Afgesloten meldingen",
        "conversations": "Gesprekken",
        "whistleblower": "Klokkenluidersmeldingen",
        "category": "Soort melding",
        "channel": "Kanaal",
        "reporter_role": "Melder",
        "outcome": "Uitkomst",
        "mode": "Vorm",
        "acknowledgement": "Ontvangstbevestiging op tijd",
        "feedback": "Terugkoppeling op tijd",
        "quarter": "Kwartaal",
        "hours": "Uren",
        "total": "Totaal",
        "advice": "Advies van de vertrouwenspersoon",
        "hidden": "x = verborgen om kleinere aantallen te beschermen; < k = minder dan k",
        "yearly": "Jaarrapportage",
        "usage": "Gebruiksopgave",
        "previous": "Vorig jaar",
        "pesten": "Pesten",
        "intimidatie": "Intimidatie",
        "seksuele_intimidatie": "Seksuele intimidatie",
        "discriminatie": "Discriminatie",
        "agressie_geweld": "Agressie en geweld",
        "onveilig_gevoel": "Onveilig gevoel",
        "integriteit": "Integriteit",
        "vraag_advies": "Vraag of advies",
        "anders": "Anders",
        "web": "Website",
        "email": "E-mail",
        "whatsapp": "WhatsApp",
        "phone": "Telefoon",
        "in_person": "Persoonlijk",
        "letter": "Brief",
        "employee": "Medewerker",
        "manager": "Leidinggevende",
        "hr": "HR",
        "listening_ear": "Luisterend oor",
        "advice_outcome": "Advies",
        "referral": "Doorverwijzing",
        "mediation": "Bemiddeling",
        "formal_complaint_support": "Steun bij formele klacht",
        "whistleblower_report": "Klokkenluidersmelding",
        "online": "Online",
        "on_location": "Op locatie",
        "walk": "Wandelend",
        "met": "Op tijd",
        "missed": "Te laat",
        "open": "Nog open",
    },
    "en": {
        "cases": "Reports",
        "closed": "Closed reports",
        "conversations": "Conversations",
        "whistleblower": "Whistleblower reports",
        "category": "Kind of report",
        "channel": "Channel",
        "reporter_role": "Reporter",
        "outcome": "Outcome",
        "mode": "Form",
        "acknowledgement": "Acknowledged in time",
        "feedback": "Feedback in time",
        "quarter": "Quarter",
        "hours": "Hours",
        "total": "Total",
        "advice": "The confidant's advice",
        "hidden": "x = hidden to protect smaller counts; < k = fewer than k",
        "yearly": "Yearly report",
        "usage": "Usage statement",
        "previous": "Previous year",
        "pesten": "Bullying",
        "intimidatie": "Intimidation",
        "seksuele_intimidatie": "Sexual harassment",
        "discriminatie": "Discrimination",
        "agressie_geweld": "Aggression and violence",
        "onveilig_gevoel": "Feeling unsafe",
        "integriteit": "Integrity",
        "vraag_advies": "Question or advice",
        "anders": "Other",
        "web": "Website",
        "email": "E-mail",
        "whatsapp": "WhatsApp",
        "phone": "Phone",
        "in_person": "In person",
        "letter": "Letter",
        "employee": "Employee",
        "manager": "Manager",
        "hr": "HR",
        "listening_ear": "Listening ear",
        "advice_outcome": "Advice",
        "referral": "Referral",
        "mediation": "Mediation",
        "formal_complaint_support": "Support with a formal complaint",
        "whistleblower_report": "Whistleblower report",
        "online": "Online",
        "on_location": "On location",
        "walk": "Walk",
        "met": "In time",
        "missed": "Late",
        "open": "Still open",
    },
}


def name(key: str, lang: str, dimension: str = "") -> str:
    labels = LABELS[lang]
    if dimension == "outcome" and key == "advice":
        key = "advice_outcome"
    return labels.get(key, key)


def month_name(month: int) -> str:
    return f"{month // 12}-{month % 12 + 1:02d}"


def rows(view: dict[str, Any], lang: str) -> list[tuple[str, str, str, str]]:
    """(section, breakdown, value, shown): the report as one flat table."""
    out = [(name(p, lang), name("total", lang), "", str(n)) for p, n in view["totals"].items()]
    for q in view.get("quarters", []):
        out.append((name("cases", lang), name("quarter", lang), q["label"], str(q["shown"])))
    for t in view["tables"]:
        for value, shown in t["cells"].items():
            out.append(
                (
                    name(t["population"], lang),
                    name(t["dimension"], lang),
                    name(value, lang, t["dimension"]),
                    str(shown),
                )
            )
    if view.get("hours") is not None:
        out.append((name("closed", lang), name("hours", lang), "", str(view["hours"])))
    return out


def to_csv(view: dict[str, Any], lang: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "breakdown", "value", "count"])
    writer.writerows(rows(view, lang))
    return buffer.getvalue()


def _bars(cells: dict[str, Any], lang: str, dimension: str) -> str:
    """A horizontal bar chart; hidden cells get no bar, only their label."""
    numbers = [v for v in cells.values() if isinstance(v, int)]
    top = max(numbers or [1]) or 1
    height = 22 * len(cells) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="520" height="{height}" role="img" '
        f'aria-label="{escape(name(dimension, lang))}">'
    ]
    for i, (value, shown) in enumerate(cells.items()):
        y = 5 + i * 22
        width = int(300 * shown / top) if isinstance(shown, int) else 0
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="13">{escape(name(value, lang, dimension))}</text>'
            f'<rect x="190" y="{y + 3}" width="{width}" height="15" fill="#2f6f8f"/>'
            f'<text x="{196 + width}" y="{y + 15}" font-size="13">{escape(str(shown))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(view: dict[str, Any], lang: str) -> str:
    title = (
        f"{name(view['kind'], lang)} {month_name(view['start'])} - {month_name(view['end'] - 1)}"
    )
    body = [f"<h1>{escape(title)}</h1>"]
    body.append("<table><tbody>")
    for p, n in view["totals"].items():
        body.append(f"<tr><th>{escape(name(p, lang))}</th><td>{n}</td></tr>")
    if view.get("hours") is not None:
        body.append(f"<tr><th>{escape(name('hours', lang))}</th><td>{view['hours']}</td></tr>")
    body.append("</tbody></table>")
    if view.get("quarters"):
        cells = {q["label"]: q["shown"] for q in view["quarters"]}
        body.append(f"<h2>{escape(name('quarter', lang))}</h2>{_bars(cells, lang, 'quarter')}")
    for t in view["tables"]:
        heading = f"{name(t['population'], lang)}: {name(t['dimension'], lang)}"
        body.append(f"<h2>{escape(heading)}</h2>{_bars(t['cells'], lang, t['dimension'])}")
    advice = (view.get("advice") or {}).get(lang)
    if advice:
        body.append(f"<h2>{escape(name('advice', lang))}</h2><p>{escape(advice)}</p>")
    body.append(f"<p><small>{escape(name('hidden', lang))}</small></p>")
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:44em;margin:2em auto}"
        "th{text-align:left;padding-right:2em}</style></head><body>"
        + "".join(body)
        + "</body></html>"
    )


def to_pdf(view: dict[str, Any], lang: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    title = (
        f"{name(view['kind'], lang)} {month_name(view['start'])} - {month_name(view['end'] - 1)}"
    )
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for section, breakdown, value, shown in rows(view, lang):
        line = f"{section} - {breakdown}{': ' + value if value else ''}"
        pdf.cell(150, 6, line.encode("latin-1", "replace").decode("latin-1"))
        pdf.cell(0, 6, shown, new_x="LMARGIN", new_y="NEXT")
    advice = (view.get("advice") or {}).get(lang)
    if advice:
        pdf.ln(4)
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 8, name("advice", lang), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        pdf.multi_cell(0, 5, advice.encode("latin-1", "replace").decode("latin-1"))
    pdf.ln(4)
    pdf.cell(0, 6, name("hidden", lang), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

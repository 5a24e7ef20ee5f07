"""The employee's pages, served by intake: the organisation's page from the flyer link or QR
code (``/o/<slug>``), with the report form and the case code shown once.

Server-rendered (jinja2) and a small script that calls ``/v1/cases`` on the same origin. No
cookies (so nothing to forge across sites), no third-party request of any kind, and headers
that keep the page out of caches, referrers and frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import taxonomy
from .models import Locale
from .state import INTAKE
from .store import ORGANISATIONS, STAFF

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["j2"])
)
HEADERS = {
    # Only this origin's script and style; the page calls only this origin's API.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "intro": "Hier meldt u vertrouwelijk wat er op het werk gebeurt. Alleen de externe "
        "vertrouwenspersoon leest het; uw werkgever ziet het niet.",
        "confidants": "Uw vertrouwenspersonen",
        "form": "Melding doen",
        "category": "Waar gaat het over?",
        "role": "U bent",
        "anonymous": "Ik meld anoniem (zonder naam of contactgegevens)",
        "name": "Naam",
        "email": "E-mailadres",
        "text": "Wat is er gebeurd? (niet verplicht)",
        "mode": "Hoe wilt u het gesprek voeren?",
        "no_preference": "Geen voorkeur",
        "submit": "Melding versturen",
        "code_title": "Uw meldingscode",
        "code_help": "Bewaar deze code goed. Alleen met deze code komt u terug om berichten "
        "te lezen en een gesprek te plannen. Wij tonen hem maar één keer.",
        "saved": "Ik heb mijn code bewaard",
        "error": "De melding is niet verstuurd:",
        "other_language": "English",
        "employee": "Medewerker",
        "manager": "Leidinggevende",
        "hr": "HR",
    },
    "en": {
        "intro": "Here you report in confidence what happens at work. Only the external "
        "confidant reads it; your employer does not see it.",
        "confidants": "Your confidants",
        "form": "Make a report",
        "category": "What is it about?",
        "role": "You are",
        "anonymous": "I report anonymously (no name or contact details)",
        "name": "Name",
        "email": "E-mail address",
        "text": "What happened? (optional)",
        "mode": "How would you like to talk?",
        "no_preference": "No preference",
        "submit": "Send report",
        "code_title": "Your case code",
        "code_help": "Keep this code safe. Only with it can you come back to read messages "
        "and book a conversation. We show it once.",
        "saved": "I have saved my code",
        "error": "The report was not sent:",
        "other_language": "Nederlands",
        "employee": "Employee",
        "manager": "Manager",
        "hr": "HR",
    },
}


async def org_page(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    org = await intake.db[ORGANISATIONS].find_one({"slug": request.match_info["slug"]})
    asked = request.query.get("lang") or (org or {}).get("locale")
    locale: Locale = "en" if asked == "en" else "nl"
    if org is None:
        page = TEMPLATES.get_template("not_found.html.j2").render(locale=locale)
        return web.Response(text=page, status=404, content_type="text/html", headers=HEADERS)
    ids = org.get("confidant_ids", [])
    confidants: list[dict[str, Any]] = [
        {"name": s["display_name"], "bio": s.get("bio")}
        async for s in intake.db[STAFF].find(
            {"role": "confidant", "confidant_id": {"$in": ids}, "active": True}
        )
    ]
    page = TEMPLATES.get_template("report.html.j2").render(
        locale=locale,
        other="en" if locale == "nl" else "nl",
        t=TEXT[locale],
        org=org,
        confidants=confidants,
        catalogue=taxonomy.catalogue(locale),
    )
    return web.Response(text=page, content_type="text/html", headers=HEADERS)


def add_pages(app: web.Application) -> None:
    app.router.add_get("/o/{slug}", org_page)
    app.router.add_static("/static/", HERE / "static", append_version=False)

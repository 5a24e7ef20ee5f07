"""The organisation admin's page, served by reporting: published reports to read and
download, and the signals raised. The staff token comes in the URL fragment from the log-in
on intake, and stays in the tab's session storage."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from shared.pages import add_static, html, locale_of, templates

HERE = Path(__file__).parent
TEMPLATES = templates(HERE / "templates")
TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Rapportages van de vertrouwenspersoon",
        "reports": "Gepubliceerde rapportages",
        "signals": "Signalen",
        "none": "Nog niets.",
        "yearly": "Jaarrapportage",
        "usage": "Gebruiksopgave",
        "department_cluster": "Meerdere meldingen uit één afdeling",
        "category_rise": "Een soort melding neemt toe",
        "no_token": "Log in via de werkplek.",
    },
    "en": {
        "title": "Reports from the confidant",
        "reports": "Published reports",
        "signals": "Signals",
        "none": "Nothing yet.",
        "yearly": "Yearly report",
        "usage": "Usage statement",
        "department_cluster": "Several reports from one department",
        "category_rise": "A kind of report is rising",
        "no_token": "Log in through the workspace.",
    },
}


async def org_page(request: web.Request) -> web.Response:
    locale = locale_of(request)
    return html(TEMPLATES.get_template("org.html.j2").render(locale=locale, t=TEXT[locale]))


def add_pages(app: web.Application) -> None:
    app.router.add_get("/org", org_page)
    add_static(app, HERE / "static")

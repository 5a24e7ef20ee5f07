"""The organisation admin's page, served by reporting: published reports to read and
download, and the signals raised. The staff token comes in the URL fragment from the log-in
on intake, and stays in the tab's session storage."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.reporting.formats.report import LABELS
from services.reporting.state import REPORTING
from shared.pages import add_static, page_locale, render, templates

HERE = Path(__file__).parent.parent  # the service's folder: templates/ and static/ are beside api/
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
        "work_title": "Rapportages en signalen",
        "organisation": "Organisatie",
        "draft": "Nieuwe conceptrapportage",
        "kind": "Soort",
        "year": "Jaar",
        "make": "Concept maken",
        "all_reports": "Rapportages",
        "status_draft": "concept",
        "status_published": "gepubliceerd",
        "advice": "Advies van de vertrouwenspersoon",
        "save_advice": "Advies bewaren",
        "saved": "Bewaard.",
        "publish": "Publiceren",
        "confirm_publish": "Publiceren? De organisatie ontvangt deze rapportage en die "
        "verandert daarna niet meer.",
        "propose": "Signalen zoeken",
        "note": "Toelichting voor de organisatie",
        "raise": "Doorgeven",
        "dismiss": "Afwijzen",
        "status_proposed": "voorgesteld",
        "status_raised": "doorgegeven",
        "status_dismissed": "afgewezen",
        "failed": "Dat lukte niet",
        "intro": "Wat de externe vertrouwenspersoon uw organisatie laat weten: geanonimiseerd, "
        "nooit iets over één melding of één persoon.",
        "yearly_reports": "Jaarrapportages",
        "usage_statements": "Gebruiksopgaven",
        "invoices": "Facturen",
        "invoice": "Factuur",
        "ubl": "e-factuur (UBL)",
        "published_on": "gepubliceerd op",
        "signals_intro": "Een signaal is een trend die de vertrouwenspersoon u doorgeeft, "
        "met een toelichting.",
        "category_rise_of": "Meer meldingen over",
        "department_cluster_of": "Meerdere meldingen uit de afdeling",
        "window_until": "tot",
        "webhooks": "Koppelingen (webhooks)",
        "webhooks_intro": "Uw eigen systeem kan een bericht krijgen als er een rapportage of "
        "een signaal is. Elk bericht is ondertekend met het geheim dat u één keer ziet.",
        "webhooks_api": "Koppelingen beheert u via de API van notify.",
        "webhook_url": "Adres (https://…)",
        "webhook_events": "Bij",
        "on_report": "een nieuwe rapportage",
        "on_signal": "een nieuw signaal",
        "add_webhook": "Koppeling toevoegen",
        "remove": "Verwijderen",
        "secret": "Het geheim om berichten mee te controleren (bewaar het nu, u ziet het maar "
        "één keer)",
        "no_webhooks": "Nog geen koppelingen.",
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
        "work_title": "Reports and signals",
        "organisation": "Organisation",
        "draft": "New draft report",
        "kind": "Kind",
        "year": "Year",
        "make": "Make the draft",
        "all_reports": "Reports",
        "status_draft": "draft",
        "status_published": "published",
        "advice": "The confidant's advice",
        "save_advice": "Keep the advice",
        "saved": "Kept.",
        "publish": "Publish",
        "confirm_publish": "Publish? The organisation receives this report, and it does not "
        "change after.",
        "propose": "Look for signals",
        "note": "Note for the organisation",
        "raise": "Pass on",
        "dismiss": "Dismiss",
        "status_proposed": "proposed",
        "status_raised": "passed on",
        "status_dismissed": "dismissed",
        "failed": "That did not work",
        "intro": "What the external confidant lets your organisation know: anonymised, never "
        "anything about one report or one person.",
        "yearly_reports": "Yearly reports",
        "usage_statements": "Usage statements",
        "invoices": "Invoices",
        "invoice": "Invoice",
        "ubl": "e-invoice (UBL)",
        "published_on": "published on",
        "signals_intro": "A signal is a trend the confidant passes on to you, with a note.",
        "category_rise_of": "More reports about",
        "department_cluster_of": "Several reports from the department",
        "window_until": "until",
        "webhooks": "Connections (webhooks)",
        "webhooks_intro": "Your own system can get a message when there is a report or a "
        "signal. Each message is signed with the secret you see once.",
        "webhooks_api": "Connections are managed through notify's API.",
        "webhook_url": "Address (https://…)",
        "webhook_events": "On",
        "on_report": "a new report",
        "on_signal": "a new signal",
        "add_webhook": "Add the connection",
        "remove": "Remove",
        "secret": "The secret to check messages with (keep it now, you see it only once)",
        "no_webhooks": "No connections yet.",
    },
}


async def org_page(request: web.Request) -> web.Response:
    """The organisation admin's page: its reports and usage statements to read and
    download, the signals passed on, and its webhooks (through the front door, where
    notify's API is on the same origin)."""
    locale = page_locale(request)
    settings = request.app[REPORTING].settings
    return render(
        request,
        TEMPLATES,
        "org.html.j2",
        locale=locale,
        t=TEXT[locale],
        labels=LABELS[locale],
        notify_api="/api/notify/" if settings.suite_url else "",
    )


async def reports_page(request: web.Request) -> web.Response:
    """The confidant's (or the office's) work on reports: draft, preview, advise, publish;
    and the signals: look for them, pass them on with a note, or dismiss them."""
    locale = page_locale(request)
    return render(request, TEMPLATES, "reports.html.j2", locale=locale, t=TEXT[locale])


def add_pages(app: web.Application) -> None:
    app.router.add_get("/org", org_page)
    app.router.add_get("/reports", reports_page)
    add_static(app, "reporting", HERE / "static")

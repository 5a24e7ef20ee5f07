"""The employee's pages, served by intake: the organisation's page from the flyer link or QR
code (``/o/<slug>``), with the report form and the case code shown once.

Server-rendered (jinja2) and a small script that calls ``/v1/cases`` on the same origin. No
cookies (so nothing to forge across sites), no third-party request of any kind, and headers
that keep the page out of caches, referrers and frames.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from services.intake.api.models import Slug
from services.intake.domain import taxonomy
from services.intake.state import INTAKE
from services.intake.store import documents as docs
from shared.pages import add_static, page_locale, render, templates
from shared.text import Locale, in_language

HERE = Path(__file__).parent.parent  # the service's folder: templates/ and static/ are beside api/
SLUG = TypeAdapter(Slug)  # an organisation's slug, as the API takes it
TEMPLATES = templates(HERE / "templates")
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
        "saved_hint": "Vink dit aan als u de code heeft opgeschreven, gekopieerd of bewaard; "
        "dan ziet u de volgende stappen.",
        "copy_code": "Code kopiëren",
        "copied": "De code is gekopieerd.",
        "not_copied": "Kopiëren lukte niet: selecteer de code en kopieer hem zelf.",
        "download": "Code bewaren als bestand",
        "downloaded": "Het bestand met uw code is gedownload.",
        "file_name": "meldingscode.txt",
        "file_code": "Uw meldingscode",
        "file_back": "Kom terug op",
        "come_back": "Met deze code komt u terug op",
        "have_code": "Ik heb al een meldingscode",
        "book": "Plan een gesprek met de vertrouwenspersoon",
        "error": "De melding is niet verstuurd",
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
        "saved_hint": "Tick this once you have written down, copied or saved the code; then "
        "you see the next steps.",
        "copy_code": "Copy the code",
        "copied": "The code has been copied.",
        "not_copied": "Copying did not work: select the code and copy it yourself.",
        "download": "Save the code as a file",
        "downloaded": "The file with your code has been downloaded.",
        "file_name": "case-code.txt",
        "file_code": "Your case code",
        "file_back": "Come back at",
        "come_back": "With this code you come back at",
        "have_code": "I already have a case code",
        "book": "Book a conversation with the confidant",
        "error": "The report was not sent",
        "employee": "Employee",
        "manager": "Manager",
        "hr": "HR",
    },
}


async def org_page(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    org = await docs.organisations(intake.db).find_one({"slug": request.match_info["slug"]})
    locale = page_locale(request, (org or {}).get("locale"))
    if org is None:
        return render(request, TEMPLATES, "not_found.html.j2", 404, locale=locale)
    ids = org.get("confidant_ids", [])
    confidants: list[dict[str, str | None]] = [
        {"name": s["display_name"], "bio": in_language(s.get("bio"), locale)}
        async for s in docs.staff(intake.db).find(
            {"role": "confidant", "confidant_id": {"$in": ids}, "active": True}
        )
    ]
    return render(
        request,
        TEMPLATES,
        "report.html.j2",
        locale=locale,
        t=TEXT[locale],
        org=org,
        confidants=confidants,
        catalogue=taxonomy.catalogue(locale),
        booking_url=intake.settings.public_url(intake.settings.booking_url),
        lang_query=lang_query(locale),
        # Where a reporter comes back with the code (the front door routes it to intake too).
        case_url="/case" + lang_query(locale, org["slug"]),
    )


def lang_query(locale: Locale, org: str | None = None) -> str:
    """What keeps the language (Dutch is every page's default), and the organisation the
    reporter came through, on the next page."""
    query = {"lang": "en"} if locale == "en" else {}
    if org:
        query["org"] = org
    return "?" + urlencode(query) if query else ""


CASE_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Terug naar uw melding",
        "code": "Uw meldingscode",
        "open": "Openen",
        "messages": "Berichten",
        "none": "Nog geen berichten.",
        "you": "U",
        "confidant": "Vertrouwenspersoon",
        "automatic": "Automatisch antwoord",
        "write": "Uw bericht",
        "send": "Versturen",
        "book": "Een gesprek plannen",
        "wrong": "Deze code werkt niet.",
        "appointment": "Uw afspraak",
        "no_appointment": "Nog geen gesprek gepland.",
        "change": "Verzetten of annuleren",
        "online": "online (video)",
        "on_location": "op locatie",
        "phone": "telefonisch",
        "walk": "wandelend",
    },
    "en": {
        "title": "Back to your report",
        "code": "Your case code",
        "open": "Open",
        "messages": "Messages",
        "none": "No messages yet.",
        "you": "You",
        "confidant": "Confidant",
        "automatic": "Automatic answer",
        "write": "Your message",
        "send": "Send",
        "book": "Book a conversation",
        "wrong": "This code does not work.",
        "appointment": "Your appointment",
        "no_appointment": "No conversation booked yet.",
        "change": "Reschedule or cancel",
        "online": "online (video)",
        "on_location": "on location",
        "phone": "by phone",
        "walk": "during a walk",
    },
}


async def case_page(request: web.Request) -> web.Response:
    """Coming back with the case code: read and send messages, go on to booking."""
    locale = page_locale(request)
    settings = request.app[INTAKE].settings
    return render(
        request,
        TEMPLATES,
        "case.html.j2",
        locale=locale,
        t=CASE_TEXT[locale],
        booking_url=settings.public_url(settings.booking_url),
        # (only a slug's form is kept: the page is the same for any organisation)
        org=_slug(request.query.get("org", "")),
    )


STAFF_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Werkplek vertrouwenspersoon",
        "username": "Gebruikersnaam",
        "password": "Wachtwoord",
        "login": "Inloggen",
        "wrong": "Inloggen is niet gelukt.",
        "cases": "Mijn meldingen",
        "reference": "Referentie",
        "category": "Soort",
        "status": "Status",
        "deadline": "Termijn",
        "open": "Openen",
        "messages": "Berichten",
        "reporter": "Melder",
        "you": "U",
        "write": "Bericht aan de melder",
        "send": "Versturen",
        "none": "Geen meldingen.",
        "agenda": "Mijn afspraken en beschikbaarheid",
        "work": "Status en afronding",
        "outcome": "Uitkomst bij afsluiten",
        "referral_to": "Doorverwezen naar",
        "hours_spent": "Bestede uren",
        "save": "Opslaan",
        "saved": "Opgeslagen.",
        "notes": "Notities (alleen voor u)",
        "note": "Nieuwe notitie",
        "add_note": "Notitie bewaren",
        "no_notes": "Nog geen notities.",
        "no_messages": "Nog geen berichten.",
        "failed": "Dat lukte niet",
        "automatic": "Automatisch antwoord",
        "report": "De melding",
        "received": "Binnengekomen",
        "channel": "Via",
        "contact_pref": "Contact bij voorkeur via",
        "meeting": "Gesprek bij voorkeur",
        "department": "Afdeling",
        "role": "Melder is",
        "no_text": "(geen tekst: de melder vertelt het liever in een gesprek)",
        "show_contact": "Contactgegevens tonen",
        "hide_contact": "Contactgegevens verbergen",
        "anonymous": "Anoniem: geen contactgegevens. Antwoord via de berichten hieronder.",
        "name": "Naam",
        "email": "E-mail",
        "phone": "Telefoon",
        "ack_before": "ontvangst bevestigen vóór",
        "feedback_before": "terugkoppeling geven vóór",
        "met": "gedaan",
        "overdue": "te laat",
        "set_category": "Soort wijzigen",
        "reports_signals": "Rapportages en signalen per organisatie",
        "register": "Een melding registreren die anders binnenkwam",
        "register_intro": "Per telefoon, WhatsApp, e-mail, persoonlijk of per brief: leg de "
        "melding vast; de termijnen lopen vanaf de dag dat ze binnenkwam.",
        "organisation": "Organisatie",
        "summary": "Samenvatting",
        "reg_anonymous": "De melder blijft anoniem",
        "contact": "Contactgegevens van de melder",
        "reg_code": "De melder wil een meldcode om zelf terug te komen",
        "register_button": "Melding registreren",
        "registered": "Geregistreerd onder kenmerk",
        "code_to_pass": "Geef deze meldcode door aan de melder (wordt maar één keer getoond):",
        "filter": "Meldingen filteren",
        "show_status": "Toon status",
        "show_category": "Toon soort",
        "all_open": "Alle open",
        "all": "Alle",
        "search": "Zoek op kenmerk",
        "deadline_soonest": "eerstvolgende termijn",
        "by_email": "per e-mail",
        "delivery_pending": "wordt verstuurd",
        "delivery_sent": "verstuurd",
        "delivery_failed": "niet afgeleverd",
    },
    "en": {
        "title": "Confidant's workspace",
        "username": "User name",
        "password": "Password",
        "login": "Log in",
        "wrong": "Logging in did not work.",
        "cases": "My cases",
        "reference": "Reference",
        "category": "Kind",
        "status": "Status",
        "deadline": "Deadline",
        "open": "Open",
        "messages": "Messages",
        "reporter": "Reporter",
        "you": "You",
        "write": "Message to the reporter",
        "send": "Send",
        "none": "No cases.",
        "agenda": "My appointments and availability",
        "work": "Status and closing",
        "outcome": "Outcome when closing",
        "referral_to": "Referred to",
        "hours_spent": "Hours spent",
        "save": "Save",
        "saved": "Saved.",
        "notes": "Notes (for you only)",
        "note": "New note",
        "add_note": "Keep this note",
        "no_notes": "No notes yet.",
        "no_messages": "No messages yet.",
        "failed": "That did not work",
        "automatic": "Automatic answer",
        "report": "The report",
        "received": "Came in",
        "channel": "By",
        "contact_pref": "Preferred contact",
        "meeting": "Preferred conversation",
        "department": "Department",
        "role": "Reporter is",
        "no_text": "(no text: the reporter would rather tell it in a conversation)",
        "show_contact": "Show contact details",
        "hide_contact": "Hide contact details",
        "anonymous": "Anonymous: no contact details. Answer through the messages below.",
        "name": "Name",
        "email": "E-mail",
        "phone": "Phone",
        "ack_before": "acknowledge before",
        "feedback_before": "give feedback before",
        "met": "done",
        "overdue": "overdue",
        "set_category": "Change kind",
        "reports_signals": "Reports and signals per organisation",
        "register": "Register a report that came in another way",
        "register_intro": "By phone, WhatsApp, e-mail, in person or by letter: record the report; "
        "the deadlines run from the day it came in.",
        "organisation": "Organisation",
        "summary": "Summary",
        "reg_anonymous": "The reporter stays anonymous",
        "contact": "The reporter's contact details",
        "reg_code": "The reporter wants a case code to come back themselves",
        "register_button": "Register the report",
        "registered": "Registered under reference",
        "code_to_pass": "Pass this case code on to the reporter (shown only once):",
        "filter": "Filter cases",
        "show_status": "Show status",
        "show_category": "Show kind",
        "all_open": "All open",
        "all": "All",
        "search": "Search by reference",
        "deadline_soonest": "next deadline",
        "by_email": "by e-mail",
        "delivery_pending": "being sent",
        "delivery_sent": "sent",
        "delivery_failed": "not delivered",
    },
}


async def staff_page(request: web.Request) -> web.Response:
    """The confidant's workspace: log in; their cases; a case's messages, private notes,
    status and closing."""
    locale = page_locale(request)
    settings = request.app[INTAKE].settings
    return render(
        request,
        TEMPLATES,
        "staff.html.j2",
        locale=locale,
        t=STAFF_TEXT[locale],
        categories=taxonomy.labels(locale),
        statuses=taxonomy.labels(locale, taxonomy.STATUSES),
        outcomes=taxonomy.labels(locale, taxonomy.OUTCOMES),
        channels=taxonomy.labels(locale, taxonomy.CHANNELS),
        modes=taxonomy.labels(locale, taxonomy.MEETING_MODES),
        booking_url=settings.public_url(settings.booking_url),
        reporting_url=settings.public_url(settings.reporting_url),
    )


START_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Vertrouwd: de externe vertrouwenspersoon",
        "intro": "Hier meldt u vertrouwelijk wat er op het werk gebeurt, en werken de "
        "vertrouwenspersonen en de organisaties die hen inschakelen.",
        "employee": "Ik wil iets melden",
        "org_help": "Uw werkgever gaf u een link of QR-code (op de flyer of het intranet). "
        "Geen link bij de hand? Vul de naam van uw organisatie in zoals die in de link staat.",
        "org_label": "Organisatie (uit de link, bijvoorbeeld 'demo')",
        "org_go": "Naar de meldpagina",
        "case": "Ik heb al een meldingscode: berichten lezen of een gesprek plannen",
        "staff": "Vertrouwenspersonen",
        "workspace": "Inloggen op de werkplek: meldingen, rapportages en signalen",
        "agenda": "Mijn agenda en beschikbaarheid",
        "org": "Organisaties",
        "org_reports": "Inloggen voor jaarverslagen, signalen en meldingen van uw organisatie",
    },
    "en": {
        "title": "Vertrouwd: the external confidant",
        "intro": "Here you report in confidence what happens at work, and the confidants and "
        "the organisations that engage them do their work.",
        "employee": "I want to report something",
        "org_help": "Your employer gave you a link or QR code (on the flyer or the intranet). "
        "No link at hand? Enter your organisation's name as it is in the link.",
        "org_label": "Organisation (from the link, for example 'demo')",
        "org_go": "To the report page",
        "case": "I have a case code: read messages or book a conversation",
        "staff": "Confidants",
        "workspace": "Log in to the workspace: cases, reports and signals",
        "agenda": "My agenda and availability",
        "org": "Organisations",
        "org_reports": "Log in for your organisation's yearly reports, signals and notices",
    },
}


async def start_page(request: web.Request) -> web.Response:
    """The front door's first page: where an employee, a confidant or an organisation goes.
    It names no organisation (which firms are clients is not for the world to read)."""
    locale = page_locale(request)
    lang = "?lang=en" if locale == "en" else ""
    return render(
        request, TEMPLATES, "start.html.j2", locale=locale, t=START_TEXT[locale], lang=lang
    )


def _slug(text: str) -> str:
    try:
        return SLUG.validate_python(text)
    except ValidationError:
        return ""


async def find_org(request: web.Request) -> web.Response:
    """The start page's form: on to ``/o/<slug>`` (whose page says if there is none)."""
    try:
        slug = SLUG.validate_python(request.query.get("slug", "").strip().lower())
    except ValidationError:
        raise web.HTTPSeeOther(f"/{_lang(request)}") from None
    raise web.HTTPSeeOther(f"/o/{slug}{_lang(request)}")


def _lang(request: web.Request) -> str:
    """The query that keeps the page's language on the next one."""
    return "?lang=en" if page_locale(request) == "en" else ""


def add_pages(app: web.Application) -> None:
    app.router.add_get("/", start_page)
    app.router.add_get("/o", find_org)
    app.router.add_get("/o/{slug}", org_page)
    app.router.add_get("/case", case_page)
    app.router.add_get("/staff", staff_page)
    # A case to open at once (the link in the confidant's mails), after logging in if needed.
    app.router.add_get("/staff/cases/{case}", staff_page)
    app.router.add_get("/agenda", staff_page)  # on to booking's agenda once logged in
    add_static(app, "intake", HERE / "static")

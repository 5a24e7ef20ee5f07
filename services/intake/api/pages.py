"""The employee's pages, served by intake: the organisation's page from the flyer link or QR
code (``/o/<slug>``), with the report form and the case code shown once.

Server-rendered (jinja2) and a small script that calls ``/v1/cases`` on the same origin. No
cookies (so nothing to forge across sites), no third-party request of any kind, and headers
that keep the page out of caches, referrers and frames.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from services.intake.domain import taxonomy
from services.intake.state import INTAKE, Intake
from services.intake.store import documents as docs
from services.intake.store.documents import Slug
from shared.messages import N_, Texts
from shared.pages import Pages, page_locale
from shared.rpc import RpcError, ask
from shared.text import Locale, in_language

log = logging.getLogger(__name__)
PAGES = Pages("intake", Path(__file__).parent.parent)  # templates/, static/ beside api/
SLUG = TypeAdapter(Slug)  # an organisation's slug, as the API takes it
TEXT = Texts(
    {
        "intro": N_(
            "Here you report in confidence what happens at work. Only the external confidant "
            "reads it; your employer does not see it."
        ),
        "confidants": N_("Your confidants"),
        "form": N_("Make a report"),
        "category": N_("What is it about?"),
        "role": N_("You are"),
        "anonymous": N_("I report anonymously (no name or contact details)"),
        "name": N_("Name"),
        "email": N_("E-mail address"),
        "text": N_("What happened? (optional)"),
        "mode": N_("How would you like to talk?"),
        "no_preference": N_("No preference"),
        "submit": N_("Send report"),
        "code_title": N_("Your case code"),
        "code_help": N_(
            "Keep this code safe. Only with it can you come back to read messages and book a "
            "conversation. We show it once."
        ),
        "saved": N_("I have saved my code"),
        "saved_hint": N_(
            "Tick this once you have written down, copied or saved the code; then you see the "
            "next steps."
        ),
        "copy_code": N_("Copy the code"),
        "copied": N_("The code has been copied."),
        "not_copied": N_("Copying did not work: select the code and copy it yourself."),
        "download": N_("Save the code as a file"),
        "downloaded": N_("The file with your code has been downloaded."),
        "file_name": N_("case-code.txt"),
        "file_code": N_("Your case code"),
        "file_back": N_("Come back at"),
        "come_back": N_("With this code you come back at"),
        "have_code": N_("I already have a case code"),
        "book": N_("Book a conversation with the confidant"),
        "error": N_("The report was not sent"),
        "employee": N_("Employee"),
        "manager": N_("Manager"),
        "hr": N_("HR"),
        "department_optional": N_("Department (optional)"),
        "not_said": N_("I would rather not say"),
        "department_hint": N_(
            "Only counted together with at least a few other reports; never shown on its own."
        ),
        "ways": N_("Other ways to reach a confidant"),
        "ways_intro": N_("You can also report or ask for a conversation this way:"),
        "way_whatsapp": N_("WhatsApp"),
        "way_email": N_("E-mail"),
        "way_phone": N_("Call"),
        "languages": N_("Speaks"),
        "choose": N_("Confidant of your choice"),
        "anyone": N_("No preference"),
        "scope_title": N_("What a confidant does not handle"),
        "anonymity_title": N_("How anonymity works"),
        "anonymity": N_(
            "You do not have to give your name. Without it you get a case code: with it you "
            "read the confidant's messages and book a conversation. Your employer never sees "
            "who reported what; reports to the organisation only give numbers, never fewer "
            "than a few cases at a time."
        ),
    }
)


async def org_page(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    org = await docs.organisations(intake.db).find_one({"slug": request.match_info["slug"]})
    locale = page_locale(request, org.get("locale") if org else None)
    if org is None:
        return PAGES.show(request, "not_found.html.j2", status=404, locale=locale)
    return PAGES.show(
        request,
        "report.html.j2",
        TEXT,
        locale=locale,
        org=org,
        confidants=await confidants_of(intake, org, locale),
        ways=ways_in(org),
        catalogue=taxonomy.catalogue(locale),
        booking_url=intake.settings.public_url(intake.settings.booking_url),
        lang_query=lang_query(locale),
        # Where a reporter comes back with the code (the front door routes it to intake too).
        case_url="/case" + lang_query(locale, org["slug"]),
    )


def ways_in(org: docs.Organisation) -> dict[str, str]:
    """The ways in the organisation's admin set, as links: WhatsApp (wa.me takes the number
    in digits only), the mailbox, the phone."""
    ways: dict[str, str] = {}
    if org.get("whatsapp_number"):
        ways["whatsapp"] = "https://wa.me/" + re.sub(r"\D", "", str(org["whatsapp_number"]))
    if org.get("mailbox"):
        ways["email"] = "mailto:" + org["mailbox"]["address"]
    if org.get("phone_number"):
        ways["phone"] = "tel:" + re.sub(r"[^+\d]", "", str(org["phone_number"]))
    return ways


def initials(name: str) -> str:
    parts = [p for p in re.split(r"[\s.-]+", name) if p[:1].isupper()] or name.split()
    return "".join(p[0] for p in parts[:2]).upper()


async def confidants_of(
    intake: Intake, org: docs.Organisation, locale: Locale
) -> list[dict[str, Any]]:
    """The confidants to choose from: name, initials, bio (intake's staff), languages and
    gender (booking's profiles, asked over NATS; without booking, the names alone)."""
    ids = org.get("confidant_ids", [])
    profiles: dict[str, dict[str, Any]] = {}
    try:
        token = intake.issuer.issue(sub="intake", role="service", audience="booking", ttl_s=60)
        found = await ask(intake.bus, "rpc.booking.confidants", token, org_id=org["_id"])
        profiles = {p["id"]: p for p in found.get("confidants", [])}
    except (RpcError, OSError, TimeoutError):
        log.warning("confidants' profiles not read; names only", extra={"org_id": org["_id"]})
    words = LANGUAGES[locale]
    shown = []
    async for s in docs.staff(intake.db).find(
        {"role": "confidant", "confidant_id": {"$in": ids}, "active": True}
    ):
        profile = profiles.get(str(s.get("confidant_id")), {})
        spoken = [words.get(lang, lang) for lang in profile.get("languages", [])]
        shown.append(
            {
                "id": s.get("confidant_id"),
                "name": s["display_name"],
                "initials": initials(s["display_name"]),
                "bio": in_language(s.get("bio"), locale),
                "languages": ", ".join(spoken),
                "gender": words.get(profile.get("gender") or "", ""),
            }
        )
    return shown


LANGUAGES = Texts(
    {
        "nl": N_("Dutch"),
        "en": N_("English"),
        "de": N_("German"),
        "fr": N_("French"),
        "ar": N_("Arabic"),
        "tr": N_("Turkish"),
        "pl": N_("Polish"),
        "female": N_("woman"),
        "male": N_("man"),
        "other": N_("non-binary"),
    }
)


def lang_query(locale: Locale, org: str | None = None) -> str:
    """What keeps the language (Dutch is every page's default), and the organisation the
    reporter came through, on the next page."""
    query = {"lang": "en"} if locale == "en" else {}
    if org:
        query["org"] = org
    return "?" + urlencode(query) if query else ""


CASE_TEXT = Texts(
    {
        "title": N_("Back to your report"),
        "code": N_("Your case code"),
        "open": N_("Open"),
        "messages": N_("Messages"),
        "none": N_("No messages yet."),
        "you": N_("You"),
        "confidant": N_("Confidant"),
        "automatic": N_("Automatic answer"),
        "write": N_("Your message"),
        "send": N_("Send"),
        "book": N_("Plan a conversation"),
        "wrong": N_("This code does not work."),
        "unreadable": N_("(this message cannot be opened with this code)"),
        "unverified": N_(
            "(this message says it is your confidant's, but their signature does not match: "
            "it is not shown; tell the office)"
        ),
        "appointment": N_("Your appointment"),
        "no_appointment": N_("No conversation booked yet."),
        "change": N_("Reschedule or cancel"),
        "online": N_("online (video)"),
        "on_location": N_("on location"),
        "phone": N_("by phone"),
        "walk": N_("during a walk"),
    }
)


async def case_page(request: web.Request) -> web.Response:
    """Coming back with the case code: read and send messages, go on to booking."""
    settings = request.app[INTAKE].settings
    return PAGES.show(
        request,
        "case.html.j2",
        CASE_TEXT,
        booking_url=settings.public_url(settings.booking_url),
        # (only a slug's form is kept: the page is the same for any organisation)
        org=_slug(request.query.get("org", "")),
    )


STAFF_TEXT = Texts(
    {
        "title": N_("Confidant's workspace"),
        "username": N_("User name"),
        "password": N_("Password"),
        "login": N_("Log in"),
        "wrong": N_("Logging in did not work."),
        "kit_title": N_("Your recovery kit"),
        "kit_intro": N_(
            "Write this down or print it, and keep it where only you can reach it. With it "
            "you open your cases again if you forget your password: nobody at the office can "
            "do that for you. It is shown only now."
        ),
        "kit_again": N_("Type your recovery kit again"),
        "kit_done": N_("I have kept it: continue"),
        "kit_mismatch": N_("That is not the kit above: check it and type it again."),
        "add_key": N_("Add a security key"),
        "key_added": N_("Security key added: from now on your log-in asks for it."),
        "keys_count": N_("Security keys:"),
        "key_failed": N_("The security key was not added."),
        "key_login": N_("Use your security key to finish logging in."),
        "recover_title": N_("Open your cases with your recovery kit"),
        "recover_intro": N_(
            "Your password is not the one your cases were locked with (it was reset, or "
            "changed elsewhere). Type the recovery kit you kept: your cases are then locked "
            "with your new password."
        ),
        "recover_kit": N_("Your recovery kit"),
        "recover_done": N_("Open my cases"),
        "recover_wrong": N_("That kit does not open your keys: check it and type it again."),
        "cases": N_("My cases"),
        "reference": N_("Reference"),
        "category": N_("Kind"),
        "status": N_("Status"),
        "deadline": N_("Deadline"),
        "open": N_("Open"),
        "messages": N_("Messages"),
        "reporter": N_("Reporter"),
        "you": N_("You"),
        "write": N_("Message to the reporter"),
        "send": N_("Send"),
        "none": N_("No cases."),
        "agenda": N_("My appointments and availability"),
        "plan": N_("Book a conversation for this case, or propose times"),
        "work": N_("Status and closing"),
        "outcome": N_("Outcome when closing"),
        "referral_to": N_("Referred to"),
        "referral_own": N_("Elsewhere, namely"),
        "follow_up": N_("Aftercare: check in with the reporter"),
        "no_follow_up": N_("No follow-up"),
        "after_weeks": N_("after %d weeks"),
        "follow_up_on": N_("Follow-up planned on"),
        "follow_up_sent": N_("Follow-up sent on"),
        "reopen": N_("Reopen the case"),
        "reopen_reason": N_("Why is the case taken up again?"),
        "first_contact_before": N_("first contact before"),
        "hours_spent": N_("Hours spent"),
        "save": N_("Save"),
        "saved": N_("Saved."),
        "notes": N_("Notes (for you only)"),
        "note": N_("New note"),
        "add_note": N_("Keep this note"),
        "no_notes": N_("No notes yet."),
        "no_messages": N_("No messages yet."),
        "failed": N_("That did not work"),
        "automatic": N_("Automatic answer"),
        "report": N_("The report"),
        "received": N_("Came in"),
        "channel": N_("By"),
        "contact_pref": N_("Preferred contact"),
        "meeting": N_("Preferred conversation"),
        "department": N_("Department"),
        "department_optional": N_("Department (optional)"),
        "unknown": N_("Not said"),
        "role": N_("Reporter is"),
        "no_text": N_("(no text: the reporter would rather tell it in a conversation)"),
        "unreadable": N_("(sealed to a key this browser does not hold)"),
        "unlock": N_("Log in again with your password to open the sealed cases."),
        "show_contact": N_("Show contact details"),
        "hide_contact": N_("Hide contact details"),
        "anonymous": N_("Anonymous: no contact details. Answer through the messages below."),
        "name": N_("Name"),
        "email": N_("E-mail"),
        "phone": N_("Phone"),
        "ack_before": N_("acknowledge before"),
        "feedback_before": N_("give feedback before"),
        "met": N_("done"),
        "overdue": N_("overdue"),
        "set_category": N_("Change kind"),
        "reports_signals": N_("Reports and signals per organisation"),
        "register": N_("Register a report that came in another way"),
        "register_intro": N_(
            "By phone, WhatsApp, e-mail, in person or by letter: record the report; the "
            "deadlines run from the day it came in."
        ),
        "organisation": N_("Organisation"),
        "summary": N_("Summary"),
        "reg_anonymous": N_("The reporter stays anonymous"),
        "contact": N_("The reporter's contact details"),
        "reg_code": N_("The reporter wants a case code to come back themselves"),
        "register_button": N_("Register the report"),
        "registered": N_("Registered under reference"),
        "code_to_pass": N_("Pass this case code on to the reporter (shown only once):"),
        "filter": N_("Filter cases"),
        "show_status": N_("Show status"),
        "show_category": N_("Show kind"),
        "all_open": N_("All open"),
        "all": N_("All"),
        "search": N_("Search by reference or words of the report"),
        "older": N_("Show older cases"),
        "deadline_soonest": N_("next deadline"),
        "by_email": N_("by e-mail"),
        "delivery_pending": N_("being sent"),
        "delivery_sent": N_("sent"),
        "delivery_failed": N_("not delivered"),
    }
)


def workspace_labels(locale: Locale) -> dict[str, Any]:
    """The names of a case's choices in the workspace, in the confidant's language."""
    return {
        "categories": taxonomy.labels(locale),
        "statuses": taxonomy.labels(locale, taxonomy.STATUSES),
        "outcomes": taxonomy.labels(locale, taxonomy.OUTCOMES),
        "channels": taxonomy.labels(locale, taxonomy.CHANNELS),
        "modes": taxonomy.labels(locale, taxonomy.MEETING_MODES),
    }


async def staff_page(request: web.Request) -> web.Response:
    """The confidant's workspace: log in; their cases; a case's messages, private notes,
    status and closing."""
    settings = request.app[INTAKE].settings
    return PAGES.show(
        request,
        "staff.html.j2",
        STAFF_TEXT,
        worded=workspace_labels,
        booking_url=settings.public_url(settings.booking_url),
        reporting_url=settings.public_url(settings.reporting_url),
    )


OFFICE_TEXT = Texts(
    {
        "title": N_("The office"),
        "no_token": N_("Log in through the workspace as the office."),
        "failed": N_("That did not work"),
        "reports": N_("Reports, signals, contracts and invoices per organisation"),
        "overview": N_("Cases per organisation"),
        "overview_table": N_("The table of cases per organisation (scrolls sideways)"),
        "overview_intro": N_(
            "How many cases each organisation has, by status, and how many open cases have "
            "a deadline passed: no content, no names."
        ),
        "organisation": N_("Organisation"),
        "overdue": N_("Deadline passed"),
        "overdue_as_of": N_("Deadlines passed: as counted at"),
        "organisations": N_("Organisations"),
        "none": N_("None yet."),
        "no_confidants": N_("no confidant yet"),
        "new_org": N_("A new organisation"),
        "name": N_("Name"),
        "slug": N_("Address of its report page"),
        "slug_hint": N_("Lower case letters, digits and dashes: /o/<address>."),
        "confidant_ids": N_("Its confidants"),
        "confidant_ids_hint": N_("Their ids in the agenda, separated by commas."),
        "phone_number": N_("Phone number for reports"),
        "whatsapp_number": N_("WhatsApp number for reports"),
        "create": N_("Create the organisation"),
        "staff": N_("Accounts"),
        "role": N_("Role"),
        "role_confidant": N_("Confidant"),
        "role_org_admin": N_("An organisation's admin"),
        "role_admin": N_("The office"),
        "username": N_("User name"),
        "email": N_("E-mail address (for notices)"),
        "confidant_id": N_("Id in the agenda"),
        "first_password": N_("First password (optional)"),
        "first_password_hint": N_(
            "Leave it empty and the account gets a one-time link with which its person sets "
            "a password; or give one of at least 12 characters and pass it on in person."
        ),
        "new_account": N_("A new account"),
        "edit": N_("Change"),
        "handover": N_("Hand over a confidant's cases"),
        "handover_intro": N_(
            "Every open case of one confidant goes to another, who must serve the same "
            "organisations and is told by mail."
        ),
        "handover_from": N_("From (id in the agenda)"),
        "handover_to": N_("To (id in the agenda)"),
        "handover_go": N_("Hand over"),
        "handed_over": N_("Handed over:"),
        "first_contact_days": N_("First contact within (working days)"),
        "whatsapp_id": N_("WhatsApp Business phone number id (new)"),
        "mailbox": N_("Mailbox for reports (new)"),
        "mailbox_password": N_("Its password"),
        "save": N_("Save"),
        "saved": N_("Saved."),
        "invite_title": N_("The link to set a password"),
        "invite_intro": N_(
            "Give this link to the person only (it works once, for seven days); it is not "
            "shown again."
        ),
        "invite_link": N_("One-time link"),
        "disable": N_("Switch off"),
        "enable": N_("Switch on"),
        "reset": N_("New link to set a password"),
        "change_role": N_("Change the role"),
        "departments": N_("Departments"),
        "departments_hint": N_(
            "Separated by commas. Reports may name one; reports and signals count per "
            "department only from k reports on."
        ),
        "save_role": N_("Save the role"),
        "deliveries": N_("Delivery log"),
        "deliveries_intro": N_(
            "What notify sent or tried to send: mails and webhooks, never an address or "
            "content. A failed one can be sent again."
        ),
        "delivery_status": N_("Show"),
        "status_all": N_("everything"),
        "status_failed": N_("failed"),
        "status_dead": N_("given up"),
        "status_sent": N_("sent"),
        "status_pending": N_("waiting"),
        "retry": N_("Send again"),
        "no_deliveries": N_("Nothing here."),
        "switched_off": N_("switched off"),
        "no_password": N_("no password yet"),
        "create_account": N_("Create the account"),
        "account_made": N_("Account made:"),
    }
)


async def office_page(request: web.Request) -> web.Response:
    """The firm's office: every organisation's cases (numbers only), the organisations and
    their ways in, staff accounts; on to reporting for contracts and invoices."""
    settings = request.app[INTAKE].settings
    return PAGES.show(
        request,
        "office.html.j2",
        OFFICE_TEXT,
        worded=lambda lang: {"statuses": taxonomy.labels(lang, taxonomy.STATUSES)},
        reporting_url=settings.public_url(settings.reporting_url),
        # The delivery log is notify's: reached on the same origin behind the front door.
        notify_api="/api/notify/" if settings.suite_url else "",
    )


WELCOME_TEXT = Texts(
    {
        "title": N_("Set your password"),
        "intro": N_("The office made an account for you. Choose your password to log in."),
        "password": N_("New password"),
        "hint": N_("At least 12 characters. A sentence you remember works well."),
        "again": N_("The same password again"),
        "save": N_("Set my password"),
        "done": N_("Your password is set"),
        "log_in": N_("Log in"),
        "differ": N_("The two passwords differ."),
        "too_short": N_("A password has at least 12 characters."),
        "failed": N_("That did not work"),
        "no_link": N_("Open this page with the link the office gave you."),
    }
)


async def welcome_page(request: web.Request) -> web.Response:
    """Where a new account's person sets a password with the office's one-time link."""
    locale = page_locale(request)
    return PAGES.show(
        request, "welcome.html.j2", WELCOME_TEXT, locale=locale, lang_query=lang_query(locale)
    )


START_TEXT = Texts(
    {
        "title": N_("Vertrouwd: the external confidant"),
        "intro": N_(
            "Here you report in confidence what happens at work, and the confidants and the "
            "organisations that engage them do their work."
        ),
        "employee": N_("I want to report something"),
        "org_help": N_(
            "Your employer gave you a link or QR code (on the flyer or the intranet). No link at "
            "hand? Enter your organisation's name as it is in the link."
        ),
        "org_label": N_("Organisation (from the link, for example 'demo')"),
        "org_go": N_("To the report page"),
        "case": N_("I have a case code: read messages or book a conversation"),
        "staff": N_("Confidants"),
        "workspace": N_("Log in to the workspace: cases, reports and signals"),
        "agenda": N_("My agenda and availability"),
        "org": N_("Organisations"),
        "org_reports": N_("Log in for your organisation's yearly reports, signals and notices"),
    }
)


async def start_page(request: web.Request) -> web.Response:
    """The front door's first page: where an employee, a confidant or an organisation goes.
    It names no organisation (which firms are clients is not for the world to read)."""
    locale = page_locale(request)
    return PAGES.show(request, "start.html.j2", START_TEXT, locale=locale, lang=lang_query(locale))


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
    app.router.add_get("/office", office_page)
    app.router.add_get("/staff/welcome", welcome_page)
    # A case to open at once (the link in the confidant's mails), after logging in if needed.
    app.router.add_get("/staff/cases/{case}", staff_page)
    app.router.add_get("/agenda", staff_page)  # on to booking's agenda once logged in
    PAGES.add_static(app)

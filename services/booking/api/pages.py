"""The employee's booking page, served by booking: choose a day, then a time, then how to
meet; book; see the confirmation and download the calendar file.

The case token comes in the URL fragment from intake's page (never sent to a server) and is
kept in the tab's session storage; the page calls only booking's own API.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.booking.calendars.oauth import providers
from services.booking.state import BOOKING
from shared.pages import add_static, page_locale, render, templates

HERE = Path(__file__).parent.parent  # the service's folder: templates/ and static/ are beside api/
TEMPLATES = templates(HERE / "templates")
TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Gesprek plannen",
        "day": "Kies een dag",
        "time": "Kies een tijd",
        "mode": "Hoe wilt u het gesprek voeren?",
        "book": "Gesprek vastleggen",
        "booked": "Uw gesprek is vastgelegd",
        "ics": "Agenda-bestand downloaden",
        "none": "Er zijn nu geen tijden vrij. Probeer het later opnieuw.",
        "no_token": "Open deze pagina via de link na uw melding.",
        "taken": "Die tijd is net bezet. Kies een andere.",
        "online": "Online (video)",
        "on_location": "Op locatie",
        "phone": "Telefonisch",
        "walk": "Wandelend",
        "where": "Waar",
        "current": "Uw afspraak",
        "move": "Verzetten",
        "cancel": "Annuleren",
        "cancelled": "Uw afspraak is geannuleerd. U kunt een nieuwe tijd kiezen.",
        "moved": "Uw afspraak is verzet",
        "who": "Uw vertrouwenspersoon",
        "duration": "Een gesprek duurt %s minuten.",
        "zone": "De tijden staan in uw tijdzone: %s.",
        "previous_month": "Vorige maand",
        "next_month": "Volgende maand",
        "location": "Waar?",
        "elsewhere": "Ergens anders: ik stel een plek voor",
        "point": "Waar spreken we af? (uw voorstel)",
        "point_hint": "De vertrouwenspersoon bevestigt de plek of stelt een andere voor.",
        "point_proposed": "uw voorstel, nog niet bevestigd",
        "point_confirmed": "bevestigd door de vertrouwenspersoon",
        "point_change": "Een andere plek voorstellen",
        "point_send": "Voorstel versturen",
        "confirm_cancel": "Weet u zeker dat u dit gesprek wilt annuleren?",
        "cancel_yes": "Ja, annuleren",
        "cancel_no": "Nee, laten staan",
        "failed": "Dat lukte niet",
        "ics_file": "gesprek.ics",
    },
    "en": {
        "title": "Book a conversation",
        "day": "Choose a day",
        "time": "Choose a time",
        "mode": "How would you like to talk?",
        "book": "Book this conversation",
        "booked": "Your conversation is booked",
        "ics": "Download the calendar file",
        "none": "No times are free now. Please try again later.",
        "no_token": "Open this page through the link after your report.",
        "taken": "That time was just taken. Choose another.",
        "online": "Online (video)",
        "on_location": "On location",
        "phone": "By phone",
        "walk": "A walk",
        "where": "Where",
        "current": "Your appointment",
        "move": "Reschedule",
        "cancel": "Cancel",
        "cancelled": "Your appointment is cancelled. You can choose a new time.",
        "moved": "Your appointment has moved",
        "who": "Your confidant",
        "duration": "A conversation takes %s minutes.",
        "zone": "Times are in your time zone: %s.",
        "previous_month": "Previous month",
        "next_month": "Next month",
        "location": "Where?",
        "elsewhere": "Somewhere else: I propose a place",
        "point": "Where shall we meet? (your proposal)",
        "point_hint": "The confidant confirms the place or proposes another.",
        "point_proposed": "your proposal, not yet confirmed",
        "point_confirmed": "confirmed by the confidant",
        "point_change": "Propose another place",
        "point_send": "Send the proposal",
        "confirm_cancel": "Are you sure you want to cancel this conversation?",
        "cancel_yes": "Yes, cancel",
        "cancel_no": "No, keep it",
        "failed": "That did not work",
        "ics_file": "conversation.ics",
    },
}


async def book_page(request: web.Request) -> web.Response:
    locale = page_locale(request)
    return render(request, TEMPLATES, "book.html.j2", locale=locale, t=TEXT[locale])


STAFF_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Mijn afspraken en beschikbaarheid",
        "week": "Week",
        "week_of": "Week van",
        "week_nav": "Andere week",
        "previous_week": "Vorige week",
        "this_week": "Deze week",
        "next_week": "Volgende week",
        "nothing": "Niets gepland.",
        "day_off": "Geen werktijden.",
        "working": "Werktijden",
        "away": "Afwezig.",
        "busy": "bezet in uw eigen agenda",
        "case": "Melding",
        "busy_current": "Bezette tijd uit uw agenda, gelezen op",
        "busy_stale": "Uw agenda is niet meer gelezen sinds",
        "busy_stale_after": (
            "de bezette tijd kan verouderd zijn en er worden geen tijden aangeboden"
            " tot hij weer gelezen is"
        ),
        "busy_not_connected": "Geen agenda gekoppeld: hier staan alleen de afspraken.",
        "appointments": "Afspraken",
        "none": "Geen afspraken.",
        "calendar": "Agendakoppeling",
        "not_connected": "Geen agenda gekoppeld.",
        "last_success": "Laatst gelezen",
        "last_error": "Laatste fout",
        "hours": "Werktijden",
        "no_token": "Open deze pagina vanuit uw werkplek.",
        "booked": "gepland",
        "cancelled": "geannuleerd",
        "cancel": "Annuleren",
        "open_case": "Melding openen",
        "point": "Afspreekplek",
        "point_proposed": "voorgesteld door de melder",
        "point_confirmed": "bevestigd",
        "no_point": "Nog geen afspreekplek: stel er een voor.",
        "point_set": "Afspreekplek (bevestigen of wijzigen)",
        "point_confirm": "Plek bevestigen",
        "video": "Videogesprek",
        "mode_online": "online",
        "mode_on_location": "op locatie",
        "mode_phone": "telefonisch",
        "mode_walk": "wandelend",
        "write_failed": "niet in uw agenda: de agendaserver weigert het (nieuwe poging volgt)",
        "connect": "Agenda koppelen",
        "connect_google": "Google Agenda koppelen",
        "connect_microsoft": "Microsoft 365 of Outlook koppelen",
        "or_password": "Of met een wachtwoord:",
        "kind": "Soort agenda",
        "kind_caldav": "Een CalDAV-server (Nextcloud, Baïkal, Fastmail, …)",
        "kind_icloud": "iCloud (Apple)",
        "apple_id": "Apple ID (e-mailadres)",
        "icloud_hint": (
            "Gebruik een app-specifiek wachtwoord, niet dat van uw Apple ID: maak er een op "
            "account.apple.com, bij Inloggen en beveiliging. Het ziet eruit als "
            "abcd-efgh-ijkl-mnop."
        ),
        "name_caldav": "CalDAV",
        "name_icloud": "iCloud",
        "name_google": "Google Agenda",
        "name_microsoft": "Microsoft 365",
        "oauth_declined": "U heeft geen toestemming gegeven; er is niets gekoppeld.",
        "connecting": "Bezig met koppelen…",
        "error_revoked": "de toestemming is ingetrokken: koppel de agenda opnieuw",
        "error_throttled": (
            "de agendadienst vraagt even te wachten; het wordt vanzelf opnieuw geprobeerd"
        ),
        "error_unauthorized": "de agendaserver weigert de inloggegevens",
        "error_unreachable": "de agendaserver is niet bereikbaar",
        "error_malformed": "de agendaserver gaf een onverwacht antwoord",
        "error_held": "bijna alle afspraken lijken verdwenen; controleer uw agenda en werk bij",
        "do_connect": "Koppelen",
        "change_connection": "Koppeling wijzigen",
        "url": "Adres van de CalDAV-server (https://…)",
        "username": "Gebruikersnaam",
        "password": "Wachtwoord (wordt versleuteld bewaard)",
        "connected": "Gekoppeld",
        "calendars": "Gevonden agenda's",
        "sync": "Nu bijwerken",
        "synced": "Bijgewerkt.",
        "never": "nog nooit",
        "hours_hint": "Per dag tijden als 09:00-12:00, 13:00-17:00; leeg is vrij.",
        "save_hours": "Werktijden opslaan",
        "saved": "Opgeslagen.",
        "bad_range": "Schrijf tijden als 09:00-17:00",
        "absences": "Afwezig",
        "no_absences": "Geen afwezigheid gepland.",
        "from": "Eerste dag",
        "until": "Laatste dag",
        "add_absence": "Afwezigheid toevoegen",
        "remove": "Verwijderen",
        "failed": "Dat lukte niet",
        "day_names": "maandag,dinsdag,woensdag,donderdag,vrijdag,zaterdag,zondag",
    },
    "en": {
        "title": "My appointments and availability",
        "week": "Week",
        "week_of": "Week of",
        "week_nav": "Another week",
        "previous_week": "Previous week",
        "this_week": "This week",
        "next_week": "Next week",
        "nothing": "Nothing planned.",
        "day_off": "No working hours.",
        "working": "Working hours",
        "away": "Away.",
        "busy": "busy in your own calendar",
        "case": "Case",
        "busy_current": "Busy time from your calendar, read on",
        "busy_stale": "Your calendar has not been read since",
        "busy_stale_after": (
            "the busy time may be out of date, and no times are offered until it is read again"
        ),
        "busy_not_connected": "No calendar connected: only the appointments are shown here.",
        "appointments": "Appointments",
        "none": "No appointments.",
        "calendar": "Calendar connection",
        "not_connected": "No calendar connected.",
        "last_success": "Last read",
        "last_error": "Last error",
        "hours": "Working hours",
        "no_token": "Open this page from your workspace.",
        "booked": "booked",
        "cancelled": "cancelled",
        "cancel": "Cancel",
        "open_case": "Open the case",
        "point": "Meeting point",
        "point_proposed": "proposed by the reporter",
        "point_confirmed": "confirmed",
        "no_point": "No meeting point yet: propose one.",
        "point_set": "Meeting point (confirm or change)",
        "point_confirm": "Confirm the place",
        "video": "Video call",
        "mode_online": "online",
        "mode_on_location": "on location",
        "mode_phone": "by phone",
        "mode_walk": "a walk",
        "write_failed": "not in your calendar: the calendar server refuses it (tried again)",
        "connect": "Connect a calendar",
        "connect_google": "Connect Google Calendar",
        "connect_microsoft": "Connect Microsoft 365 or Outlook",
        "or_password": "Or with a password:",
        "kind": "Kind of calendar",
        "kind_caldav": "A CalDAV server (Nextcloud, Baïkal, Fastmail, …)",
        "kind_icloud": "iCloud (Apple)",
        "apple_id": "Apple ID (e-mail address)",
        "icloud_hint": (
            "Use an app-specific password, not your Apple ID's: make one at "
            "account.apple.com, under Sign-In and Security. It looks like abcd-efgh-ijkl-mnop."
        ),
        "name_caldav": "CalDAV",
        "name_icloud": "iCloud",
        "name_google": "Google Calendar",
        "name_microsoft": "Microsoft 365",
        "oauth_declined": "You did not give permission; nothing was connected.",
        "connecting": "Connecting…",
        "error_revoked": "the permission was withdrawn: connect the calendar again",
        "error_throttled": "the calendar service asks to wait; it is tried again by itself",
        "error_unauthorized": "the calendar server refuses the credentials",
        "error_unreachable": "the calendar server cannot be reached",
        "error_malformed": "the calendar server gave an unexpected answer",
        "error_held": "nearly all events seem gone; check your calendar and update",
        "do_connect": "Connect",
        "change_connection": "Change the connection",
        "url": "CalDAV server address (https://…)",
        "username": "User name",
        "password": "Password (kept encrypted)",
        "connected": "Connected",
        "calendars": "Calendars found",
        "sync": "Update now",
        "synced": "Updated.",
        "never": "never",
        "hours_hint": "Times per day like 09:00-12:00, 13:00-17:00; empty is a day off.",
        "save_hours": "Save working hours",
        "saved": "Saved.",
        "bad_range": "Write times like 09:00-17:00",
        "absences": "Away",
        "no_absences": "No absence planned.",
        "from": "First day",
        "until": "Last day",
        "add_absence": "Add an absence",
        "remove": "Remove",
        "failed": "That did not work",
        "day_names": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
    },
}


async def staff_page(request: web.Request) -> web.Response:
    """The confidant's appointments (to cancel), calendar connection (to make, change and
    update) and availability (working hours and absences, to edit)."""
    locale = page_locale(request)
    t = STAFF_TEXT[locale]
    settings = request.app[BOOKING].settings
    return render(
        request,
        TEMPLATES,
        "staff.html.j2",
        locale=locale,
        t=t,
        day_names=t["day_names"].split(","),
        intake_url=settings.public_url(settings.intake_url),
        oauth=list(providers(settings)),  # those this installation is registered with
    )


def add_pages(app: web.Application) -> None:
    app.router.add_get("/book", book_page)
    # Under the workspace's /staff/ (intake's), so the front door routes it by path alone.
    app.router.add_get("/staff/agenda", staff_page)
    add_static(app, "booking", HERE / "static")

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
from shared.messages import N_, Texts
from shared.pages import Pages

PAGES = Pages("booking", Path(__file__).parent.parent)  # templates/, static/ beside api/
TEXT = Texts(
    {
        "title": N_("Book a conversation"),
        "day": N_("Choose a day"),
        "time": N_("Choose a time"),
        "mode": N_("How would you like to talk?"),
        "book": N_("Book this conversation"),
        "booked": N_("Your conversation is booked"),
        "ics": N_("Download the calendar file"),
        "none": N_("No times are free now. Please try again later."),
        "no_token": N_("Open this page through the link after your report."),
        "taken": N_("That time was just taken. Choose another."),
        "online": N_("Online (video)"),
        "on_location": N_("On location"),
        "phone": N_("By phone"),
        "walk": N_("A walk"),
        "where": N_("Where"),
        "current": N_("Your appointment"),
        "move": N_("Reschedule"),
        "cancel": N_("Cancel"),
        "cancelled": N_("Your appointment is cancelled. You can choose a new time."),
        "moved": N_("Your appointment has moved"),
        "who": N_("Your confidant"),
        "duration": N_("A conversation takes %s minutes."),
        "zone": N_("Times are in your time zone: %s."),
        "previous_month": N_("Previous month"),
        "next_month": N_("Next month"),
        "location": N_("Where?"),
        "elsewhere": N_("Somewhere else: I propose a place"),
        "point": N_("Where shall we meet? (your proposal)"),
        "point_hint": N_("The confidant confirms the place or proposes another."),
        "point_proposed": N_("your proposal, not yet confirmed"),
        "point_confirmed": N_("confirmed by the confidant"),
        "point_change": N_("Propose another place"),
        "point_send": N_("Send the proposal"),
        "confirm_cancel": N_("Are you sure you want to cancel this conversation?"),
        "cancel_yes": N_("Yes, cancel"),
        "cancel_no": N_("No, keep it"),
        "failed": N_("That did not work"),
        "ics_file": N_("conversation.ics"),
        "proposed": N_("The times your confidant proposes"),
        "proposed_by": N_("Your confidant %s proposes these times. Choose one:"),
        "phone_number": N_("The number the confidant calls you on"),
        "phone_hint": N_("Only your confidant sees it; it is removed with your case."),
        "used": N_("This link was used already: your conversation is booked."),
    }
)


async def book_page(request: web.Request) -> web.Response:
    return PAGES.show(request, "book.html.j2", TEXT)


STAFF_TEXT = Texts(
    {
        "title": N_("My appointments and availability"),
        "week": N_("Week"),
        "week_of": N_("Week of"),
        "week_nav": N_("Another week"),
        "previous_week": N_("Previous week"),
        "this_week": N_("This week"),
        "next_week": N_("Next week"),
        "nothing": N_("Nothing planned."),
        "day_off": N_("No working hours."),
        "working": N_("Working hours"),
        "away": N_("Away."),
        "busy": N_("busy in your own calendar"),
        "case": N_("Case"),
        "busy_current": N_("Busy time from your calendar, read on"),
        "busy_stale": N_("Your calendar has not been read since"),
        "busy_stale_after": N_(
            "the busy time may be out of date, and no times are offered until it is read again"
        ),
        "busy_not_connected": N_("No calendar connected: only the appointments are shown here."),
        "appointments": N_("Appointments"),
        "none": N_("No appointments."),
        "calendar": N_("Calendar connection"),
        "not_connected": N_("No calendar connected."),
        "last_success": N_("Last read"),
        "last_error": N_("Last error"),
        "hours": N_("Working hours"),
        "no_token": N_("Open this page from your workspace."),
        "booked": N_("booked"),
        "cancelled": N_("cancelled"),
        "cancel": N_("Cancel"),
        "open_case": N_("Open the case"),
        "org_meeting": N_("Meeting with the organisation"),
        "held_confirm": N_("Confirm how it went (length, travel)"),
        "held_done": N_("Confirmed"),
        "held_start": N_("Began at"),
        "held_end": N_("Ended at"),
        "held_km": N_("Kilometres, there and back"),
        "held_travel": N_("Travel time in minutes"),
        "held_save": N_("Save"),
        "minutes": N_("minutes"),
        "travel": N_("travel"),
        "point": N_("Meeting point"),
        "point_proposed": N_("proposed by the reporter"),
        "point_confirmed": N_("confirmed"),
        "no_point": N_("No meeting point yet: propose one."),
        "point_set": N_("Meeting point (confirm or change)"),
        "point_confirm": N_("Confirm the place"),
        "video": N_("Video call"),
        "mode_online": N_("online"),
        "mode_on_location": N_("on location"),
        "mode_phone": N_("by phone"),
        "mode_walk": N_("a walk"),
        "write_failed": N_("not in your calendar: the calendar server refuses it (tried again)"),
        "connect": N_("Connect a calendar"),
        "connect_google": N_("Connect Google Calendar"),
        "connect_microsoft": N_("Connect Microsoft 365 or Outlook"),
        "or_password": N_("Or with a password:"),
        "kind": N_("Kind of calendar"),
        "kind_caldav": N_("A CalDAV server (Nextcloud, Baïkal, Fastmail, …)"),
        "kind_icloud": N_("iCloud (Apple)"),
        "apple_id": N_("Apple ID (e-mail address)"),
        "icloud_hint": N_(
            "Use an app-specific password, not your Apple ID's: make one at account.apple.com, "
            "under Sign-In and Security. It looks like abcd-efgh-ijkl-mnop."
        ),
        "name_caldav": N_("CalDAV"),
        "name_icloud": N_("iCloud"),
        "name_google": N_("Google Calendar"),
        "name_microsoft": N_("Microsoft 365"),
        "oauth_declined": N_("You did not give permission; nothing was connected."),
        "connecting": N_("Connecting…"),
        "error_revoked": N_("the permission was withdrawn: connect the calendar again"),
        "error_throttled": N_("the calendar service asks to wait; it is tried again by itself"),
        "error_unauthorized": N_("the calendar server refuses the credentials"),
        "error_unreachable": N_("the calendar server cannot be reached"),
        "error_malformed": N_("the calendar server gave an unexpected answer"),
        "error_held": N_("nearly all events seem gone; check your calendar and update"),
        "do_connect": N_("Connect"),
        "change_connection": N_("Change the connection"),
        "url": N_("CalDAV server address (https://…)"),
        "username": N_("User name"),
        "password": N_("Password (kept encrypted)"),
        "connected": N_("Connected"),
        "calendars": N_("Calendars found"),
        "sync": N_("Update now"),
        "synced": N_("Updated."),
        "never": N_("never"),
        "hours_hint": N_("Times per day like 09:00-12:00, 13:00-17:00; empty is a day off."),
        "save_hours": N_("Save working hours"),
        "saved": N_("Saved."),
        "bad_range": N_("Write times like 09:00-17:00"),
        "absences": N_("Away"),
        "no_absences": N_("No absence planned."),
        "from": N_("First day"),
        "until": N_("Last day"),
        "add_absence": N_("Add an absence"),
        "remove": N_("Remove"),
        "failed": N_("That did not work"),
        "day_names": N_("Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday"),
    }
)


async def staff_page(request: web.Request) -> web.Response:
    """The confidant's appointments (to cancel), calendar connection (to make, change and
    update) and availability (working hours and absences, to edit)."""
    settings = request.app[BOOKING].settings
    return PAGES.show(
        request,
        "staff.html.j2",
        STAFF_TEXT,
        worded=lambda lang: {"day_names": STAFF_TEXT.text("day_names", lang).split(",")},
        intake_url=settings.public_url(settings.intake_url),
        oauth=list(providers(settings)),  # those this installation is registered with
    )


PLAN_TEXT = Texts(
    {
        "title": N_("A conversation for a case"),
        "no_token": N_("Open this page from the case in your workspace."),
        "type": N_("Kind of conversation"),
        "mode": N_("How"),
        "location": N_("Where?"),
        "times": N_("Free times: choose one to book, or up to three to propose"),
        "book": N_("Book the chosen time (read out on the phone)"),
        "propose": N_("Propose the chosen times to the reporter"),
        "booked": N_("Booked"),
        "message": N_("The message for the reporter (sent in their own channel)"),
        "send": N_("Back to the case, with this message ready to send"),
        "back": N_("Back to the case"),
        "none": N_("No free times."),
        "failed": N_("That did not work"),
        "online": N_("Online (video)"),
        "on_location": N_("On location"),
        "phone": N_("By phone"),
        "walk": N_("A walk"),
    }
)


async def plan_page(request: web.Request) -> web.Response:
    """The confidant books for a case, or proposes times (domain.proposals)."""
    settings = request.app[BOOKING].settings
    return PAGES.show(
        request, "plan.html.j2", PLAN_TEXT, intake_url=settings.public_url(settings.intake_url)
    )


def add_pages(app: web.Application) -> None:
    app.router.add_get("/book", book_page)
    # Under the workspace's /staff/ (intake's), so the front door routes it by path alone.
    app.router.add_get("/staff/agenda", staff_page)
    app.router.add_get("/staff/plan", plan_page)
    PAGES.add_static(app)

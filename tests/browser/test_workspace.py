"""The confidant's workspace in a real browser, beyond reading and answering: private notes,
a case's status and closing, working hours and absences, connecting a calendar and updating
it, cancelling an appointment. Each change is checked through the API, and each page state
is audited by axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from playwright.async_api import Browser, expect

from deploy.stack.infra import Infra
from tests.browser.conftest import audit, snap
from tests.browser.setup import (
    anonymous_case,
    bearer,
    booking_and_intake,
    log_in,
    make_anna,
    make_anna_login,
    make_org,
)
from tests.conftest import StartService
from tests.scene import book
from tests.services.booking.conftest import AMS, calendar_url, next_weekday_at
from tests.services.booking.test_calendar import PASSWORD, USER, at, put_event

__all__ = ["calendar_url"]  # a fixture used here
DUTCH_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


async def test_notes_status_and_closing_from_the_workspace(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    _, intake = await booking_and_intake(start_service)
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    case = await anonymous_case(intake)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))

    page = await browser.new_page()
    await page.goto(str(intake.make_url("/staff")))
    await audit(page)
    await log_in(page, intake, "anna")
    await expect(page.get_by_role("cell", name="Nieuw")).to_be_visible()
    await page.get_by_role("button", name=f"Openen {case['reference']}").click()
    await expect(page.locator("#notes")).to_have_text("Nog geen notities.")

    # A private note: kept, shown, and not among the messages the reporter reads.
    await page.get_by_label("Nieuwe notitie").fill("Melder klinkt erg gespannen.")
    await page.get_by_role("button", name="Notitie bewaren").click()
    await expect(page.locator("#notes li")).to_contain_text("Melder klinkt erg gespannen.")
    notes = await (await intake.get(f"/v1/cases/{case['case_id']}/notes", headers=anna)).json()
    assert [n["text"] for n in notes["items"]] == ["Melder klinkt erg gespannen."]
    reporter = bearer(case["token"])
    messages = await intake.get(f"/v1/cases/{case['case_id']}/messages", headers=reporter)
    assert (await messages.json())["items"] == []

    # The status moves on; the outcome is only asked when closing.
    await expect(page.get_by_label("Uitkomst bij afsluiten")).to_be_hidden()
    await page.get_by_label("Status", exact=True).select_option("in_contact")
    await page.get_by_label("Bestede uren").fill("1.5")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator("#work-done")).to_have_text("Opgeslagen.")
    await expect(page.get_by_role("cell", name="In contact")).to_be_visible()
    await audit(page)
    await snap(page, "30-workspace-case")
    listed = await (await intake.get("/v1/cases", headers=anna)).json()
    assert [(c["status"], c["hours_spent"]) for c in listed["items"]] == [("in_contact", 1.5)]

    # Closing with a referral: the referral field appears; the case is closed and locked.
    await page.get_by_label("Status", exact=True).select_option("closed")
    await page.get_by_label("Uitkomst bij afsluiten").select_option("referral")
    # From the organisation's places (the usual ones: it keeps no list of its own).
    await page.get_by_label("Doorverwezen naar").select_option(label="Bedrijfsarts")
    await page.get_by_role("button", name="Opslaan").click()
    # Closed cases leave the list of open ones; the status filter shows them.
    await expect(page.get_by_role("cell", name="Afgesloten")).to_be_hidden()
    await page.get_by_label("Toon status").select_option("closed")
    await expect(page.get_by_role("cell", name="Afgesloten")).to_be_visible()
    await expect(page.get_by_role("button", name="Opslaan")).to_be_disabled()
    listed = await (await intake.get("/v1/cases", headers=anna)).json()
    assert [(c["status"], c["outcome"]) for c in listed["items"]] == [("closed", "referral")]
    case_id = listed["items"][0]["case_id"]
    read = await (await intake.get(f"/v1/cases/{case_id}", headers=anna)).json()
    assert read["referral_to"] == "Bedrijfsarts"


async def test_a_refused_change_says_why_and_changes_nothing(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    intake = await start_service("intake")
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    case = await anonymous_case(intake)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    page = await browser.new_page()
    await log_in(page, intake, "anna", lang="en")
    await page.get_by_role("button", name=f"Open {case['reference']}").click()
    # Meanwhile the case is closed elsewhere (another tab, a colleague's hand-over).
    closed = await intake.patch(
        f"/v1/cases/{case['case_id']}",
        headers=anna,
        json={"status": "closed", "outcome": "listening_ear"},
    )
    assert closed.status == 200, await closed.text()
    await page.get_by_label("Status", exact=True).select_option("in_contact")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_have_text("That did not work: the case is closed")
    listed = await (await intake.get("/v1/cases", headers=anna)).json()
    assert [c["status"] for c in listed["items"]] == ["closed"]


async def test_availability_calendar_and_appointments_from_the_agenda(
    start_service: StartService,
    token: Callable[..., str],
    browser: Browser,
    infra: Infra,
    calendar_url: str,
) -> None:
    booking, intake = await booking_and_intake(start_service)
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    await make_anna(booking, token, org["id"])
    start = next_weekday_at(10)
    # Anna's own calendar has her own appointment that morning (what it is stays there).
    early = start - timedelta(hours=3, minutes=50)
    await put_event(
        calendar_url,
        "tandarts",
        f"DTSTART:{at(early)}",
        f"DTEND:{at(early + timedelta(minutes=30))}",
    )
    employee = token(
        "employee",
        ["intake", "booking"],
        org_id=org["id"],
        case_id="case-1",
        reference="VP-2026-WEEK01",
    )
    await book(booking, bearer(employee), start)
    anna = bearer(token("confidant", "booking", sub="c-anna"))

    page = await browser.new_page()
    await log_in(page, intake, "anna")
    await page.get_by_role("link", name="Mijn afspraken en beschikbaarheid").click()
    await expect(page.get_by_label("maandag", exact=True)).to_have_value("09:00-17:00")
    await expect(page.get_by_label("zaterdag", exact=True)).to_have_value("")
    await audit(page)

    # Working hours: a wrong entry is pointed out and not saved; a right one is.
    await page.get_by_label("maandag", exact=True).fill("tien tot twaalf")
    await page.get_by_role("button", name="Werktijden opslaan").click()
    await expect(page.get_by_role("alert")).to_contain_text("Schrijf tijden als 09:00-17:00")
    await expect(page.get_by_label("maandag", exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("maandag", exact=True)).to_be_focused()
    profile = await (await booking.get("/v1/confidants/c-anna", headers=anna)).json()
    assert profile["hours"]["weekly"]["0"] == [{"start": "09:00", "end": "17:00"}]
    await page.get_by_label("maandag", exact=True).fill("9:00-12:00, 13:00-17:00")
    await page.get_by_label("vrijdag", exact=True).fill("")
    await page.get_by_role("button", name="Werktijden opslaan").click()
    await expect(page.locator("#hours-done")).to_have_text("Opgeslagen.")
    profile = await (await booking.get("/v1/confidants/c-anna", headers=anna)).json()
    weekly = profile["hours"]["weekly"]
    assert weekly["0"] == [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    assert "4" not in weekly and weekly["1"] == [{"start": "09:00", "end": "17:00"}]

    # An absence: added, listed, then removed again; the weekly hours stay as saved.
    await page.get_by_label("Eerste dag").fill("2027-07-12")
    await page.get_by_label("Laatste dag").fill("2027-07-30")
    await page.get_by_role("button", name="Afwezigheid toevoegen").click()
    await expect(page.locator("#absences li")).to_contain_text("12 juli 2027 \u2013 30 juli 2027")
    profile = await (await booking.get("/v1/confidants/c-anna", headers=anna)).json()
    # Whole days in Anna's time zone (Amsterdam, summer time); the browser runs in UTC.
    assert [(a["start"], a["end"]) for a in profile["hours"]["absences"]] == [
        ("2027-07-11T22:00:00+00:00", "2027-07-30T22:00:00+00:00")
    ]
    await audit(page)
    await page.get_by_role("button", name="Verwijderen: 12 juli 2027").click()
    await expect(page.locator("#absences")).to_have_text("Geen afwezigheid gepland.")
    profile = await (await booking.get("/v1/confidants/c-anna", headers=anna)).json()
    assert profile["hours"]["absences"] == [] and profile["hours"]["weekly"] == weekly

    # The calendar: a wrong password is refused with the reason; the right one connects.
    await expect(page.locator("#calendar")).to_have_text("Geen agenda gekoppeld.")
    await page.get_by_text("Agenda koppelen").click()
    await page.get_by_label("Adres van de CalDAV-server").fill(infra.caldav_url)
    await page.get_by_label("Gebruikersnaam").fill(USER)
    await page.get_by_label("Wachtwoord").fill("wrong")
    await page.get_by_role("button", name="Koppelen").click()
    await expect(page.get_by_role("alert")).to_contain_text("Dat lukte niet")
    assert (await (await booking.get("/v1/confidants/c-anna", headers=anna)).json())[
        "calendar"
    ] is None
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Koppelen").click()
    await expect(page.locator("#calendar")).to_contain_text("Gekoppeld")
    await expect(page.locator("#calendar")).not_to_contain_text("nog nooit")
    await expect(page.locator("#calendars li").first).to_be_visible()
    profile = await (await booking.get("/v1/confidants/c-anna", headers=anna)).json()
    assert profile["calendar"]["sync"]["last_success"] is not None
    await page.get_by_role("button", name="Nu bijwerken").click()
    await expect(page.locator("#calendar")).to_contain_text("Laatst gelezen")
    await audit(page)
    await snap(page, "31-workspace-agenda")

    # The week of the appointment: that day holds the busy time from her own calendar and
    # the appointment, in time order, linked to its case by reference.
    this_monday = datetime.now(AMS).date() - timedelta(days=datetime.now(AMS).weekday())
    day = start.astimezone(AMS).date()
    if day - this_monday >= timedelta(days=7):
        await page.get_by_role("button", name="Volgende week").click()
    monday = day - timedelta(days=day.weekday())
    await expect(page.locator("#week-title")).to_have_text(
        f"Week van {monday.day} {DUTCH_MONTHS[monday.month - 1]} {monday.year}"
    )
    await expect(page.locator("#week-calendar")).to_contain_text("Bezette tijd uit uw agenda")
    that_day = page.locator("#week > li").nth(day.weekday())
    await expect(that_day.locator("h3")).to_contain_text(f"{day.day} {DUTCH_MONTHS[day.month - 1]}")
    hours = {0: "Werktijden 09:00-12:00, 13:00-17:00", 4: "Geen werktijden."}  # as saved above
    await expect(that_day).to_contain_text(hours.get(day.weekday(), "Werktijden 09:00-17:00"))
    entries = that_day.locator("ul > li")
    busy_text = "06:10\u201306:40 bezet in uw eigen agenda"
    await expect(entries.filter(has_text=busy_text)).to_have_count(1)
    seen = await entries.all_inner_texts()
    ours = [i for i, text in enumerate(seen) if "Melding VP-2026-WEEK01" in text]
    busy = [i for i, text in enumerate(seen) if text.startswith("06:10\u201306:40")]
    assert ours and busy and busy[0] < ours[0], seen  # the morning's busy time first
    assert seen[ours[0]].startswith("10:00\u201311:00 online"), seen
    await expect(that_day.get_by_role("link", name="Melding VP-2026-WEEK01")).to_have_attribute(
        "href", re.compile(r"/staff/cases/VP-2026-WEEK01$")
    )
    # The weekend has no working hours; going a week on and back comes back to this week.
    await expect(page.locator("#week > li").nth(6)).to_contain_text("Geen werktijden.")
    await page.get_by_role("button", name="Volgende week").click()
    await expect(page.locator("#week-title")).not_to_contain_text(
        f"{monday.day} {DUTCH_MONTHS[monday.month - 1]}"
    )
    await page.get_by_role("button", name="Vorige week").click()
    # On a phone the week is a column of days: nothing wider than the screen.
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(that_day).to_contain_text(busy_text)
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= 390
    await expect(page.locator("#week-title")).to_contain_text(
        f"{monday.day} {DUTCH_MONTHS[monday.month - 1]}"
    )
    await audit(page)

    # The appointment: how and where, and the case it belongs to, opened in the workspace.
    listed_item = page.locator("#appointments li").first
    await expect(listed_item).to_contain_text("online, gepland")
    await expect(
        page.locator("#appointments").get_by_role("link", name="Videogesprek")
    ).to_have_attribute("href", re.compile(r"^https://meet\.jit\.si/vp-"))
    case_link = page.locator("#appointments").get_by_role("link", name="Melding VP-2026-WEEK01")
    await expect(case_link).to_have_attribute("href", re.compile(r"/staff/cases/VP-2026-WEEK01$"))

    # Cancelling the appointment from the list.
    await page.get_by_role("button", name="Annuleren").click()
    await expect(page.locator("#appointments li")).to_contain_text("geannuleerd")
    # A cancelled appointment leaves the week; the busy time stays.
    await expect(that_day).not_to_contain_text("VP-2026-WEEK01")
    await expect(that_day).to_contain_text(busy_text)
    listed = await (await booking.get("/v1/appointments", headers=anna)).json()
    assert [a["status"] for a in listed["items"]] == ["cancelled"]

"""A client's quarter, through the front door in a real browser, on a phone: the office
creates an organisation with its ways in and departments, invites its admin and a
confidant (each sets their own password with the one-time link), and sets the contract;
the quarter's work happens (reports, conversations of different lengths and places, a
walk's kilometres confirmed on the agenda, an introduction the organisation's admin books
on its own page, the yearly report written); a signal appears without anyone pressing a
button; the office previews the quarter, invoices it and credits the invoice, and both
pass Peppol's own rules. A second, small client with two reports is invoiced too, and the
attacker of invoices finds that any small count gives that very invoice."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize, expect

from services.booking.state import BOOKING
from services.reporting.domain.activities import in_period, usage_of
from services.reporting.domain.pricing import Usage, bill
from services.reporting.domain.tally import count, sums
from services.reporting.state import REPORTING
from services.reporting.store.documents import read_contract
from services.reporting.store.queries import month_tallies
from tests.browser.conftest import OpenSuite, audit, snap
from tests.browser.setup import PASSWORD, bearer, make_anna, make_staff
from tests.peppol.validate import fatal
from tests.polling import eventually
from tests.services.booking.conftest import next_weekday_at
from tests.services.reporting.test_pricing import counts_an_invoice_allows

PHONE: ViewportSize = {"width": 375, "height": 740}
CONTRACT = {
    "legal_name": "Stichting Bakkerij Klein",
    "street": "Markt 2",
    "postcode": "8011 AB",
    "city": "Zwolle",
    "kvk": "12345678",
    "buyer_reference": "INK-7",
    "hourly_rate": "90.00",
    "administration": "per_case",
    "administration_fee": "25.00",
    "subscription_per_month": "40.00",
    "starts_on": "2026-01-01",
}


async def log_in_as(page: Page, username: str) -> None:
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()


async def set_password(browser: Browser, url: str) -> None:
    """The person opens the one-time link the office passed on, and sets their password."""
    page = await browser.new_page(viewport=PHONE)
    await page.goto(url)
    await page.get_by_label("Nieuw wachtwoord").fill(PASSWORD)
    await page.get_by_label("Hetzelfde wachtwoord nog eens").fill(PASSWORD)
    await page.get_by_role("button", name="Wachtwoord instellen").click()
    await expect(page.get_by_role("heading", name="Uw wachtwoord is ingesteld")).to_be_visible()
    await page.close()


async def invite(office: Page, role: str, name: str, username: str, **scope: str) -> str:
    """The office makes an account without a password; the one-time link it shows."""
    form = office.get_by_role("form", name="A new account")
    await form.get_by_label("Role").select_option(role)
    await office.locator("#staff-name").fill(name)
    await form.get_by_label("User name", exact=True).fill(username)
    if "confidant_id" in scope:
        await form.get_by_label("Id in the agenda", exact=True).fill(scope["confidant_id"])
    if "org" in scope:
        await office.locator("#staff-org-id").select_option(label=scope["org"])
    await office.get_by_role("button", name="Create the account").click()
    link = office.get_by_label("One-time link")
    await expect(link).to_have_value(re.compile(r"/staff/welcome#[A-Za-z0-9_-]{43}$"))
    url = await link.input_value()
    await office.locator("#invite").evaluate(
        "e => { e.hidden = true; document.getElementById('invite-url').value = ''; }"
    )
    return url


async def test_a_quarter_billed_corrected_and_a_small_client_that_tells_no_count(
    open_suite: OpenSuite, token: Callable[..., str], browser: Browser
) -> None:
    suite = await open_suite(
        reporting={"REPORTING_K": "3", "REPORTING_SCHEDULE_INTERVAL_S": "1"},
    )
    admin_i = bearer(token("admin", "intake"))
    await make_staff(suite.intake, token, username="kantoor", role="admin", display_name="Kantoor")

    # -- the office sets up the organisation, its people and its contract ------------------
    office = await browser.new_page(viewport=PHONE)
    await office.goto(suite.at("/staff?lang=en"))
    await log_in_as(office, "kantoor")
    await expect(office).to_have_url(re.compile(r"/office"))
    await office.get_by_label("Name", exact=True).first.fill("Zorggroep Oost")
    await office.get_by_label("Address of its report page").fill("zorggroep-oost")
    await office.get_by_label("Its confidants").fill("c-anna")
    await office.get_by_label("Departments").first.fill("Zorg, Keuken")
    await office.get_by_label("Phone number for reports").fill("+31 38 123 4567")
    await office.get_by_role("button", name="Create the organisation").click()
    await expect(office.locator("#orgs")).to_contain_text("Zorggroep Oost (/o/zorggroep-oost)")
    await office.get_by_text("Change Zorggroep Oost").click()
    await (
        office.locator("#orgs li")
        .first.get_by_label("WhatsApp Business phone number id (new)")
        .fill("106540352242922")
    )
    await office.locator("#orgs li").first.get_by_role("button", name="Save").click()
    [org] = (await (await suite.intake.get("/v1/orgs", headers=admin_i)).json())["items"]
    org_id = org["id"]

    async def channels_set() -> bool:
        found = await (
            await suite.intake.get(f"/v1/orgs/{org_id}/channels", headers=admin_i)
        ).json()
        return bool(found["whatsapp_phone_number_id"] == "106540352242922")

    await eventually(channels_set)
    hr_link = await invite(office, "org_admin", "HR Oost", "hr-oost", org="Zorggroep Oost")
    anna_link = await invite(office, "confidant", "Anna de Boer", "anna", confidant_id="c-anna")
    await snap(office, "quarter-office")
    await set_password(browser, hr_link)
    await set_password(browser, anna_link)
    # Anna in the agenda: her hours, a place of her own, the conversations she has; and the
    # type the organisation books its meetings with the firm by.
    place = {"id": "praktijk", "name": "Praktijk", "address": "Stationsplein 1, Zwolle"}
    await make_anna(
        suite.booking, token, org_id, modes=["online", "walk", "on_location"], locations=[place]
    )
    admin_b = bearer(token("admin", "booking"))
    intro = {
        "id": "kennismaking-org",
        "name": {"nl": "Kennismaking met de organisatie", "en": "Introduction meeting"},
        "duration_min": 90,
        "modes": ["online", "on_location"],
        "min_notice_min": 0,
        "audience": "organisation",
    }
    made = await suite.booking.post("/v1/appointment-types", headers=admin_b, json=intro)
    assert made.status == 201, await made.text()

    # The contract, on reporting's page, reached from the office's.
    await office.get_by_role("link", name="Reports, signals, contracts and invoices").click()
    await expect(office).to_have_url(re.compile(r"/reports"))
    await office.locator("#org-select").select_option(label="Zorggroep Oost")
    await office.get_by_text("Contract and prices").click()
    contract = {
        "legal_name": "Stichting Zorggroep Oost",
        "street": "Kerkstraat 5",
        "postcode": "7411 AB",
        "city": "Deventer",
        "oin": "00000001234567890000",  # a public body: its OIN, no KvK number
        "buyer_reference": "PO-2026-41",
        "hourly_rate": "95.00",
        "rate_per_km": "0.23",
        "travel_hourly_rate": "45.00",
        "administration_fee": "20.00",
        "subscription_per_month": "150.00",
        "starts_on": "2026-10-01",
        "evaluate_on": "2027-09-01",
    }
    for name, value in contract.items():
        await office.locator(f"#contract-{name}").fill(value)
    await office.locator("#contract-kvk").fill("")
    await office.locator("#contract-travel").select_option("per_km")
    await office.locator("#contract-administration").select_option("per_case")
    await office.get_by_role("button", name="Save the contract").click()
    admin_r = bearer(token("admin", "reporting"))

    async def contract_saved() -> bool:
        found = await suite.reporting.get(f"/v1/orgs/{org_id}/contract", headers=admin_r)
        return found.status == 200 and (await found.json())["oin"] == contract["oin"]

    await eventually(contract_saved)

    # -- the quarter's work ----------------------------------------------------------------
    cases = []
    for department in ("Zorg", "Zorg", "Zorg", "Keuken"):
        async with suite.intake.session.post(
            suite.at("/api/intake/v1/cases"),
            json={"organisation": "zorggroep-oost", "category": "pesten"}
            | {"anonymous": True, "department": department},
        ) as answer:
            assert answer.status == 201, await answer.text()
            cases.append(await answer.json())
    # Three conversations: online, a walk, and at Anna's own office.
    booked = []
    for case, hour, mode, extra in [
        (cases[0], 10, "online", {}),
        (cases[1], 13, "walk", {"meeting_point": "The park gate"}),
        (cases[2], 15, "on_location", {"location_id": "praktijk"}),
    ]:
        body = {"confidant_id": "c-anna", "type_id": "gesprek", "mode": mode, **extra}
        body["start"] = next_weekday_at(hour).isoformat()
        async with suite.intake.session.post(
            suite.at("/api/booking/v1/appointments"),
            json=body,
            headers=bearer(case["token"]),
        ) as answer:
            assert answer.status == 201, await answer.text()
            booked.append(await answer.json())

    # The organisation's admin books an introduction with the firm, from its own page.
    hr = await browser.new_page(viewport=PHONE)
    await hr.goto(suite.at("/staff?lang=en"))
    await log_in_as(hr, "hr-oost")
    await expect(hr).to_have_url(re.compile(r"/org"))
    await hr.locator("#meeting-type").select_option("kennismaking-org")
    await hr.locator("#meeting-mode").select_option("on_location")
    await hr.locator("#meeting-where").fill("Kerkstraat 5, room 2")
    await hr.locator("#meeting-times").click()
    await expect(hr.locator("#meeting-book")).to_be_visible()
    await hr.locator("#meeting-book").click()
    await expect(hr.locator("#meetings")).to_contain_text("2026")
    await snap(hr, "quarter-org-meeting")
    anna_b = bearer(token("confidant", "booking", sub="c-anna", orgs=[org_id]))
    listed = await suite.booking.get(
        f"/v1/orgs/{org_id}/meetings", headers=bearer(token("org_admin", "booking", org_id=org_id))
    )
    [meeting] = (await listed.json())["items"]
    assert meeting["meeting"] == "organisation" and meeting["booked_by"] == "org_admin"

    # A week and a half later it has all happened; Anna confirms how it went.
    assert suite.booking.app is not None and suite.reporting.app is not None
    booking_clock = suite.booking.app[BOOKING].clock
    booking_clock.move(timedelta(days=12))

    async def held(appointment: dict[str, Any], minutes: int, **travel: Any) -> None:
        start = datetime.fromisoformat(appointment["start"])
        body = {
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=minutes)).isoformat(),
            **travel,
        }
        answer = await suite.booking.put(
            f"/v1/appointments/{appointment['id']}/held", headers=anna_b, json=body
        )
        assert answer.status == 200, await answer.text()

    await held(booked[0], 50)  # online, shorter than booked
    await held(booked[2], 45)  # at her own office: no travel
    await held(meeting, 105, km=60.0, travel_minutes=50)  # at theirs, and it ran over
    # The walk, on her agenda (the page's clock as late as booking's).
    anna = await browser.new_page(viewport=PHONE)
    await anna.clock.set_fixed_time(booking_clock.now())
    await anna.goto(suite.at("/agenda?lang=en"))
    await log_in_as(anna, "anna")
    walk = booked[1]["id"]
    box = anna.locator(f"#held-start-{walk}").locator("xpath=ancestor::details")
    await box.locator("summary").click()
    await anna.locator(f"#held-end-{walk}").fill(
        (await anna.locator(f"#held-end-{walk}").input_value())[:11] + "14:15"
    )
    await anna.locator(f"#held-km-{walk}").fill("12.4")
    await anna.locator(f"#held-travel-{walk}").fill("30")
    await box.get_by_role("button", name="Save").click()
    await expect(anna.locator("#appointments")).to_contain_text("Confirmed: 75 minutes, 12.4 km")
    await snap(anna, "quarter-agenda-held")
    # Case work, logged on the cases.
    anna_i = bearer(token("confidant", "intake", sub="c-anna", orgs=[org_id]))
    for case, hours in zip(cases[:2], (1.5, 0.75), strict=True):
        logged = await suite.intake.patch(
            f"/v1/cases/{case['case_id']}", headers=anna_i, json={"hours_spent": hours}
        )
        assert logged.status == 200, await logged.text()

    # -- a new year: the quarter is over ---------------------------------------------------
    reporting = suite.reporting.app[REPORTING]
    reporting.clock.move(datetime(2027, 1, 6, 9, tzinfo=UTC) - reporting.clock.now())
    await office.reload()
    await office.locator("#org-select").select_option(label="Zorggroep Oost")
    # The organisation's own work, entered by hand: a session there, the yearly report.
    for kind, day, minutes, travel, km in [
        ("session", "2026-11-12", "60", "45", "58"),
        ("yearly_report", "2026-12-18", "120", "0", "0"),
    ]:
        await office.get_by_label("What", exact=True).select_option(kind)
        await office.get_by_label("Day", exact=True).fill(day)
        await office.get_by_label("Minutes", exact=True).fill(minutes)
        await office.get_by_label("Travel time in minutes").fill(travel)
        await office.get_by_label("Kilometres, there and back").fill(km)
        await office.get_by_role("button", name="Add", exact=True).click()
        # The page clears the form once this one is saved: the next is filled after that.
        await expect(office.locator("#activity-list")).to_contain_text(day)
    await expect(office.locator("#activity-list li")).to_have_count(2)
    await expect(office.locator("#activity-list")).to_contain_text("Writing the yearly report")
    # A signal, proposed by the schedule: nobody pressed "Look for signals".
    signals = office.locator("#signal-list")

    async def signal_proposed() -> bool:
        await office.locator("#org-select").select_option(label="Zorggroep Oost")
        return "proposed" in (await signals.text_content() or "")

    await eventually(signal_proposed)
    await expect(signals).to_contain_text("Several reports from one department")

    # Everything the services told reporting has arrived: the quarter's statement says so.
    costs = f"/v1/orgs/{org_id}/costs?period_from=2026-10&period_to=2026-12"

    async def all_counted() -> bool:
        found = await (await suite.reporting.get(costs, headers=admin_r)).json()
        lines = {line["code"]: line["quantity"] for line in found.get("lines", [])}
        return lines.get("travel_km") == "130.4" and lines.get("case_work") == "2.25"

    await eventually(all_counted, within=30)
    await office.locator("#invoice-from").fill("2026-10")
    await office.locator("#invoice-to").fill("2026-12")
    await office.get_by_role("button", name="What this period costs").click()
    await expect(office.locator("#preview-lines")).to_contain_text("Travel time")
    await snap(office, "quarter-preview")
    await office.get_by_role("button", name="Invoice this period").click()
    await expect(office.locator("#invoice-list")).to_contain_text(re.compile(r"20\d\d-0001"))
    [issued] = (
        await (await suite.reporting.get(f"/v1/orgs/{org_id}/invoices", headers=admin_r)).json()
    )["items"]
    lines = {line["code"]: (line["quantity"], line["amount"]) for line in issued["lines"]}
    # 4 reports, 3 conversations, 3 visits (none below k): line by line, as the work went.
    assert lines == {
        "conversations": ("2.83", "268.85"),  # 50 + 75 + 45 minutes, not 3 x 60
        "case_work": ("2.25", "213.75"),
        "organisation_work": ("4.75", "451.25"),  # the introduction, the session, the report
        "travel_time": ("2.08", "93.60"),  # 30 + 50 + 45 minutes
        "travel_km": ("130.4", "29.99"),  # the walk, theirs, the session; her office: none
        "administration_cases": ("4", "80.00"),
        "subscription": ("3", "450.00"),
    }, lines
    assert (issued["net"], issued["vat"], issued["gross"]) == ("1587.44", "333.36", "1920.80")
    print("quarter invoice", issued["number"], lines, issued["net"], issued["vat"], issued["gross"])
    await office.get_by_label("Why (printed on the credit note)").fill("The wrong cost centre")
    await office.get_by_role("button", name="Credit this invoice").click()
    await expect(office.locator("#invoice-list")).to_contain_text("credited by CN-")
    await snap(office, "quarter-credited")
    [note] = (
        await (await suite.reporting.get(f"/v1/orgs/{org_id}/credit-notes", headers=admin_r)).json()
    )["items"]
    for path in (f"/v1/invoices/{issued['id']}", f"/v1/credit-notes/{note['id']}"):
        ubl = await (await suite.reporting.get(f"{path}?format=ubl", headers=admin_r)).read()
        assert [str(f) for f in fatal(ubl)] == [], path
    assert b"0190" in ubl  # the public body by its OIN

    # -- a small client: two reports in the quarter ----------------------------------------
    small = await suite.intake.post(
        "/v1/orgs",
        headers=admin_i,
        json={"name": "Bakkerij Klein", "slug": "bakkerij-klein", "confidant_ids": ["c-anna"]},
    )
    small_id = (await small.json())["id"]
    await suite.booking.patch(
        "/v1/confidants/c-anna", headers=admin_b, json={"org_ids": [org_id, small_id]}
    )
    put = await suite.reporting.put(f"/v1/orgs/{small_id}/contract", headers=admin_r, json=CONTRACT)
    assert put.status == 200, await put.text()
    small_cases = []
    for _ in range(2):
        made = await suite.intake.post(
            "/v1/cases",
            json={"organisation": "bakkerij-klein", "category": "pesten", "anonymous": True},
        )
        small_cases.append(await made.json())
    await suite.intake.patch(
        f"/v1/cases/{small_cases[0]['case_id']}",
        headers=bearer(token("confidant", "intake", sub="c-anna", orgs=[small_id])),
        json={"hours_spent": 1.25},
    )

    async def small_counted() -> bool:
        r = reporting
        found = await month_tallies(r, small_id)
        return sums(found, 2026 * 12 + 9, 2027 * 12).get("work|hours|") == 1.25

    await eventually(small_counted, within=30)
    made = await suite.reporting.post(
        f"/v1/orgs/{small_id}/invoices",
        headers=admin_r,
        json={"period_from": "2026-10", "period_to": "2026-12"},
    )
    assert made.status == 201, await made.text()
    small_invoice = await made.json()
    published = [
        (line["code"], line["quantity"], line["amount"]) for line in small_invoice["lines"]
    ]
    # No quantity that is a count: the time as one amount, the subscription by the month.
    assert published == [("services", "1", "112.50"), ("subscription", "3", "120.00")], published
    # The same attacker as the reports' tries every count: each gives this very invoice.
    terms = await read_contract(reporting.db, small_id)
    assert terms is not None
    tallies = await month_tallies(reporting, small_id)
    start, end = 2026 * 12 + 9, 2027 * 12
    counts, _ = count(tallies, start, end, reporting.clock.now())
    usage = Usage.of(
        counts,
        sums(tallies, start, end),
        usage_of(await in_period(reporting, small_id, start, end)),
    )
    assert usage.cases == 2
    again = bill(terms, usage, 3)
    assert [(x.code, str(x.quantity), str(x.amount)) for x in again.lines] == published
    allowed = counts_an_invoice_allows(terms, usage, 3)
    assert {n for n, _, _ in allowed} >= {0, 1, 2, 3, 4}
    ubl = await (
        await suite.reporting.get(f"/v1/invoices/{small_invoice['id']}?format=ubl", headers=admin_r)
    ).read()
    assert [str(f) for f in fatal(ubl)] == []
    print("small client invoice", published, small_invoice["net"], small_invoice["gross"])
    await audit(office)

"""The case as a confidant works on it, in a real browser: the link in their mail opens it
(after logging in), with the report, how the reporter wants to be reached and, on request,
their contact details; the list puts open cases and the soonest deadline first, and filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect

from tests.browser.conftest import audit
from tests.browser.setup import (
    anonymous_case,
    bearer,
    booking_and_intake,
    make_anna_login,
    make_org,
)
from tests.conftest import StartService
from tests.services.intake.conftest import NAMED


async def test_the_link_in_a_mail_opens_the_case_with_everything_to_act_on(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    intake = await start_service("intake")
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    made = await intake.post(
        "/v1/cases",
        json={**NAMED, "organisation": org["slug"], "department": None, "category": "integriteit"},
    )
    assert made.status == 201, await made.text()
    case = await made.json()
    other = await anonymous_case(intake)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))

    page = await browser.new_page()
    # The link notify puts in the "new case" mail: it opens the case once logged in.
    await page.goto(str(intake.make_url(f"/staff/cases/{case['case_id']}")))
    await log_in_here(page)
    await expect(page.locator("#one-title")).to_have_text(case["reference"])
    await expect(page.locator("#report-text")).to_contain_text("Piet Jansen kleineert mij")

    facts = page.locator("#facts")
    await expect(facts).to_contain_text("Integriteit")
    await expect(facts).to_contain_text("Wandelen")
    await expect(facts).to_contain_text("E-mail")  # how they want to be reached
    await expect(page.locator("#deadlines")).to_contain_text("ontvangst bevestigen vóór")
    # Contact details: only when asked for, and the read is in the audit log.
    await expect(page.locator("#contact")).to_be_hidden()
    await page.get_by_role("button", name="Contactgegevens tonen").click()
    await expect(page.locator("#contact")).to_contain_text("Jan de Vries")

    await expect(page.get_by_role("link", name="jan.devries@example.nl")).to_have_attribute(
        "href", "mailto:jan.devries@example.nl"
    )
    await expect(page.get_by_role("link", name="+31612345678")).to_have_attribute(
        "href", "tel:+31612345678"
    )

    # The other case is anonymous: no button, a sentence instead. (Opened from the keyboard.)
    await page.get_by_role("button", name=f"Openen {other['reference']}").press("Enter")
    await expect(page.locator("#no-contact")).to_contain_text("Anoniem")
    await expect(page.get_by_role("button", name="Contactgegevens tonen")).to_be_hidden()

    # The list: the whistleblower case (a deadline) first; search and filters.
    rows = page.locator("#cases tr")
    await expect(rows.first).to_contain_text(case["reference"])
    await expect(page.locator("#counts")).to_contain_text("Nieuw: 2")
    await page.get_by_label("Zoeken op kenmerk of woorden uit de melding").fill(
        other["reference"][-6:]
    )
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(other["reference"])
    await page.get_by_label("Zoeken op kenmerk of woorden uit de melding").fill("")
    await page.get_by_label("Toon soort").select_option("integriteit")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(case["reference"])

    # A case that turns out to be about something else is recategorised from the page.
    await page.get_by_label("Toon soort").select_option("")
    await page.get_by_role("button", name=f"Openen {other['reference']}").press("Enter")
    await expect(page.locator("#one-title")).to_have_text(other["reference"])
    await page.locator("#category").select_option("discriminatie")
    await page.get_by_role("button", name="Soort wijzigen").click()
    await expect(page.locator("#facts")).to_contain_text("Discriminatie")
    listed = await (await intake.get("/v1/cases", headers=anna)).json()
    kinds = {c["reference"]: c["category"] for c in listed["items"]}
    assert kinds[other["reference"]] == "discriminatie"
    await audit(page)
    admin = bearer(token("admin", "intake"))
    entries = await (await intake.get(f"/v1/cases/{case['case_id']}/audit", headers=admin)).json()
    assert "read_case" in [e["action"] for e in entries["items"]]


async def log_in_here(page: object) -> None:
    """Log in on the page the link opened (not a fresh /staff)."""
    from tests.browser.setup import PASSWORD

    await page.get_by_label("Gebruikersnaam").fill("anna")  # type: ignore[attr-defined]
    await page.get_by_label("Wachtwoord").fill(PASSWORD)  # type: ignore[attr-defined]
    await page.get_by_role("button", name="Inloggen").click()  # type: ignore[attr-defined]


async def test_a_report_by_phone_is_registered_from_the_workspace(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    intake = await start_service("intake")
    org = await make_org(intake, token, departments=["Zorg", "Staf"])
    await make_anna_login(intake, token)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    page = await browser.new_page()
    await page.goto(str(intake.make_url("/staff")))
    await log_in_here(page)
    await page.get_by_label("Afdeling (niet verplicht)").select_option("Staf")
    three_days_ago = (datetime.now() - timedelta(days=3)).date()  # noqa: DTZ005 (the page's day)
    await page.get_by_label("Via").select_option("phone")
    await page.get_by_label("Binnengekomen").fill(three_days_ago.isoformat())
    await page.locator("#reg-category").select_option("integriteit")
    await page.get_by_label("Samenvatting").fill("Belde over declaraties die niet kloppen.")
    await page.get_by_label("De melder blijft anoniem").uncheck()
    await page.get_by_label("Naam", exact=True).fill("Karin Bos")
    await page.get_by_label("Telefoon", exact=True).fill("06 9876 5432")
    await page.get_by_label("De melder wil een meldcode").check()
    await page.get_by_role("button", name="Melding registreren").click()
    done = page.locator("#registered")
    await expect(done).to_contain_text("Geregistreerd onder kenmerk VP-")
    await expect(done).to_contain_text("meldcode")
    await audit(page)

    [case] = (await (await intake.get("/v1/cases", headers=anna)).json())["items"]
    assert case["channel"] == "phone" and case["category"] == "integriteit"
    came_in = datetime.fromisoformat(case["created_at"]).date()
    assert came_in == three_days_ago
    ack_due = datetime.fromisoformat(case["deadlines"]["acknowledgement"]["due"]).date()
    assert ack_due == three_days_ago + timedelta(days=7)  # from the day it came in
    content = await (await intake.get(f"/v1/cases/{case['case_id']}", headers=anna)).json()
    assert content["contact"]["name"] == "Karin Bos" and content["contact"]["phone"] == "0698765432"
    assert content["department"] == "Staf"
    # The code shown is the reporter's way back.
    code = (await done.text_content() or "").rsplit(" ", 1)[-1]
    back = await intake.post("/v1/cases/access", json={"case_code": code})
    assert back.status == 200 and (await back.json())["case_id"] == case["case_id"]
    await expect(page.get_by_role("cell", name=case["reference"], exact=True)).to_be_visible()


async def test_registering_checks_the_day_and_who_may(
    start_service: StartService, token: Callable[..., str]
) -> None:
    intake = await start_service("intake")
    org = await make_org(intake, token)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    base = {"organisation": org["slug"], "category": "pesten", "anonymous": True}
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    ahead = await intake.post(
        "/v1/cases", headers=anna, json={**base, "channel": "phone", "received_at": future}
    )
    assert ahead.status == 422
    assert "received_at" in (await ahead.json())["error"]["fields"]
    # Not for the public form: a web report has no "came in earlier".
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    web = await intake.post("/v1/cases", json={**base, "received_at": past})
    assert web.status == 422


async def test_the_case_list_fits_a_phone(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    intake = await start_service("intake")
    await make_org(intake, token)
    await make_anna_login(intake, token)
    made = [await anonymous_case(intake, category="integriteit") for _ in range(3)]
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    await page.goto(str(intake.make_url("/staff")))
    await log_in_here(page)
    await expect(page.locator("#cases tr")).to_have_count(3)
    # Nothing wider than the screen: no sideways scrolling.
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, width
    card = page.locator("#cases tr").first
    # Each value says which it is (the column's name, shown before it on a phone).
    shown = await card.locator("td").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert "Referentie" in shown, shown
    await expect(card).to_contain_text("ontvangst bevestigen vóór")
    await page.get_by_role("button", name=f"Openen {made[0]['reference']}").press("Enter")
    await expect(page.locator("#one-title")).to_have_text(made[0]["reference"])
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= 390
    await audit(page)


async def test_the_calendar_mails_link_leads_to_the_agenda(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    """notify's calendar mails link to /agenda: log in, and on to booking's agenda."""
    booking, intake = await booking_and_intake(start_service)
    await make_org(intake, token)
    await make_anna_login(intake, token)
    page = await browser.new_page()
    await page.goto(str(intake.make_url("/agenda")))
    await log_in_here(page)
    await expect(
        page.get_by_role("heading", name="Mijn afspraken en beschikbaarheid")
    ).to_be_visible()
    assert page.url.startswith(str(booking.make_url("/staff")))

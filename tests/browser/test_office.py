"""The firm's office in a real browser, on a phone: logged in through the workspace, it
lands on its own page; it creates an organisation with its ways in and a confidant's
account, and sees every organisation's cases by status and the deadlines passed, with no
content."""

from __future__ import annotations

from collections.abc import Callable

from playwright.async_api import Browser, expect

from tests.browser.conftest import audit, snap
from tests.browser.setup import log_in, make_staff
from tests.conftest import StartService
from tests.scene import bearer


async def test_the_office_creates_an_organisation_and_an_account_and_sees_the_cases(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    intake = await start_service("intake")
    await make_staff(intake, token, username="kantoor", role="admin", display_name="Kantoor")
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    await log_in(page, intake, "kantoor")
    await expect(page.get_by_role("heading", name="Het kantoor")).to_be_visible()

    await page.get_by_label("Naam", exact=True).first.fill("Bouwbedrijf Zuid")
    await page.get_by_label("Adres van de meldpagina").fill("bouw-zuid")
    await page.get_by_label("De vertrouwenspersonen").fill("c-anna")
    await page.get_by_label("Telefoonnummer voor meldingen").fill("+31 40 123 4567")
    await page.get_by_role("button", name="Organisatie aanmaken").click()
    await expect(page.locator("#orgs")).to_contain_text("Bouwbedrijf Zuid (/o/bouw-zuid)")
    await expect(page.locator("#orgs")).to_contain_text("+31 40 123 4567")

    await page.get_by_label("Rol").select_option("confidant")
    await page.locator("#staff-name").fill("Anna de Boer")
    await page.get_by_label("Gebruikersnaam", exact=True).fill("anna")
    await page.get_by_label("Id in de agenda").fill("c-anna")
    await page.get_by_label("Eerste wachtwoord").fill("een lang genoeg wachtwoord")
    await page.get_by_role("button", name="Account aanmaken").click()
    await expect(page.locator("#staff-done")).to_contain_text("anna")
    login = await intake.post(
        "/v1/auth/token", json={"username": "anna", "password": "een lang genoeg wachtwoord"}
    )
    assert login.status == 200 and (await login.json())["role"] == "confidant"

    # A report comes in: the overview counts it, without a word of what it says.
    made = await intake.post(
        "/v1/cases",
        json={
            "organisation": "bouw-zuid",
            "category": "pesten",
            "anonymous": True,
            "text": "Mijn voorman scheldt mij uit.",
        },
    )
    assert made.status == 201, await made.text()
    await page.reload()
    row = page.locator("#overview tr", has_text="Bouwbedrijf Zuid")
    await expect(row.locator("td").first).to_have_text("1")  # one new case
    await expect(page.locator("main")).not_to_contain_text("voorman")
    await snap(page, "30-office")
    await audit(page)
    office = bearer(token("admin", "intake"))
    listed = await (await intake.get("/v1/orgs", headers=office)).json()
    assert [o["slug"] for o in listed["items"]] == ["bouw-zuid"]

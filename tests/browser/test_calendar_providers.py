"""Connecting a calendar from the agenda page as a confidant does, for each provider the
installation offers: Microsoft 365 and Google through their consent pages (local stand-ins
that say yes at once) and back, iCloud with an app-specific password, in Dutch and in
English, on a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, expect

from deploy.stack.infra import Infra
from tests.browser.conftest import audit, snap
from tests.browser.setup import bearer, log_in, make_anna, make_anna_login, make_org
from tests.conftest import StartService
from tests.standins.run import APP_PASSWORD, running_providers


async def test_a_confidant_connects_microsoft_icloud_and_google_from_the_agenda(
    start_service: StartService, token: Callable[..., str], browser: Browser, infra: Infra
) -> None:
    if "radicale" not in {p.name for p in infra.processes}:
        pytest.skip("the stand-ins keep their calendars in the embedded Radicale")
    async with running_providers(infra.caldav_url) as providers:
        booking = await start_service("booking", **providers.env)
        intake = await start_service("intake", INTAKE_BOOKING_URL=str(booking.make_url("/")))
        org = await make_org(intake, token)
        await make_anna_login(intake, token)
        await make_anna(booking, token, org["id"])
        anna = bearer(token("confidant", "booking", sub="c-anna"))

        async def connected() -> dict[str, str]:
            profile = await (await booking.get("/v1/confidants/c-anna", headers=anna)).json()
            calendar: dict[str, str] = profile["calendar"]
            return calendar

        page = await browser.new_page()
        await log_in(page, intake, "anna")
        await page.get_by_role("link", name="Mijn afspraken en beschikbaarheid").click()
        await expect(page.locator("#calendar")).to_have_text("Geen agenda gekoppeld.")
        await page.get_by_text("Agenda koppelen", exact=True).click()
        await audit(page)

        # Microsoft 365: to its consent page and back, connected, the code out of the address.
        await page.get_by_role("button", name="Microsoft 365 of Outlook koppelen").click()
        await expect(page.locator("#calendar")).to_contain_text(
            "Gekoppeld: Microsoft 365 (anna@contoso.nl)"
        )
        await expect(page.locator("#calendars li").first).to_have_text("Agenda")
        assert "code=" not in page.url and "state=" not in page.url
        assert (await connected())["provider"] == "microsoft"
        await snap(page, "34-agenda-microsoft")

        # iCloud: no address to give, the app-specific password explained and checked.
        await page.get_by_text("Koppeling wijzigen", exact=True).click()
        await page.get_by_label("iCloud (Apple)").check()
        await expect(page.get_by_label("Adres van de CalDAV-server")).to_be_hidden()
        await expect(page.locator("#icloud-hint")).to_contain_text("app-specifiek wachtwoord")
        await page.get_by_label("Apple ID (e-mailadres)").fill("anna@icloud.com")
        await page.get_by_label("Wachtwoord", exact=False).fill("mijn-gewone-wachtwoord")
        await page.get_by_role("button", name="Koppelen", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text("Dat lukte niet")
        assert (await connected())["provider"] == "microsoft"  # nothing half-changed
        await page.get_by_label("Wachtwoord", exact=False).fill(APP_PASSWORD)
        await page.get_by_role("button", name="Koppelen", exact=True).click()
        await expect(page.locator("#calendar")).to_contain_text(
            "Gekoppeld: iCloud (anna@icloud.com)"
        )
        assert (await connected())["provider"] == "icloud"
        await audit(page)

        # Google, in English: the way back from Google keeps the language.
        await page.goto(str(booking.make_url("/staff/agenda?lang=en")))
        await page.get_by_text("Change the connection", exact=True).click()
        await page.get_by_role("button", name="Connect Google Calendar").click()
        await expect(page.locator("#calendar")).to_contain_text(
            "Connected: Google Calendar (anna@example.org)"
        )
        assert page.url.endswith("/staff/agenda?lang=en"), page.url
        assert (await connected())["provider"] == "google"
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.get_by_text("Change the connection", exact=True).click()
        assert await page.evaluate("document.scrollingElement.scrollWidth") <= 390
        await snap(page, "35-agenda-google-phone")

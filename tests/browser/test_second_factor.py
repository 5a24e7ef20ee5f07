"""A security key as the second factor of a staff log-in (WebAuthn), in Chromium with a
virtual authenticator: added from the workspace, then asked for at each log-in; the
password alone gives no token, a used or made-up challenge nothing, and a browser without
the key does not get in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.browser.setup import PASSWORD, make_anna_login, make_org
from tests.conftest import StartService


async def log_in(page: Page, url: str) -> None:
    await page.goto(url)
    await page.get_by_label("Gebruikersnaam").fill("anna")
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()


async def with_authenticator(page: Page) -> None:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    options: dict[str, Any] = {
        "protocol": "ctap2",
        "transport": "usb",
        "hasResidentKey": False,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


async def test_a_security_key_is_added_and_then_asked_for_at_every_log_in(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    intake = await start_service("intake")
    await make_org(intake, token)
    await make_anna_login(intake, token)
    # WebAuthn takes a name, not an address: the same server as localhost.
    url = str(intake.make_url("/staff")).replace("127.0.0.1", "localhost")
    page = await browser.new_page()
    await with_authenticator(page)
    await log_in(page, url)
    await expect(page.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    await expect(page.locator("#key-state")).to_have_text("Beveiligingssleutels: 0")
    await page.get_by_role("button", name="Beveiligingssleutel toevoegen").click()
    await expect(page.locator("#key-state")).to_contain_text("Beveiligingssleutel toegevoegd")

    # The password alone: a challenge, no token.
    body = {"username": "anna", "password": PASSWORD}
    first = await (await intake.post("/v1/auth/token", json=body)).json()
    assert "access_token" not in first and first["second_factor"]["options"]["challenge"]
    made_up = {"challenge_id": "x" * 32, "credential": {"id": "abc"}}
    assert (await intake.post("/v1/auth/webauthn", json=made_up)).status == 401
    wrong = {"challenge_id": first["second_factor"]["challenge_id"], "credential": {"id": "abc"}}
    assert (await intake.post("/v1/auth/webauthn", json=wrong)).status == 401
    assert (await intake.post("/v1/auth/webauthn", json=wrong)).status == 401  # used up

    # Logging in again in the browser with the key: the key finishes it.
    await page.evaluate("sessionStorage.clear()")
    await log_in(page, url)
    await expect(page.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    await expect(page.locator("#key-state")).to_have_text("Beveiligingssleutels: 1")

    # A browser without the key does not get in with the password.
    other = await browser.new_page()
    await with_authenticator(other)  # (an authenticator, but not the one added)
    await log_in(other, url)
    await expect(other.get_by_role("alert")).to_contain_text("Inloggen is niet gelukt")
    await expect(other.get_by_role("heading", name="Mijn meldingen")).to_be_hidden()

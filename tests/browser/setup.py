"""The organisation and the confidant the browser tests work with, made through the APIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect

from tests.conftest import StartService
from tests.scene import bearer, make_anna, make_org

__all__ = ["bearer", "make_anna", "make_org"]  # (the browser tests take them from here too)

Client = TestClient[web.Request, web.Application]
PASSWORD = "a long enough password"


async def make_staff(intake: Client, token: Callable[..., str], **account: Any) -> None:
    made = await intake.post(
        "/v1/staff",
        headers=bearer(token("admin", "intake")),
        json={"password": PASSWORD, "display_name": "Anna de Boer", **account},
    )
    assert made.status == 201, await made.text()


async def make_anna_login(intake: Client, token: Callable[..., str], **account: Any) -> None:
    """Anna's account at intake, as the confidant c-anna (plus ``account``: an e-mail, a bio)."""
    await make_staff(
        intake, token, username="anna", role="confidant", confidant_id="c-anna", **account
    )


def radicale_calendar(caldav_url: str, calendar_url: str) -> dict[str, Any]:
    """Anna's connection to the session's Radicale: busy time from, and bookings into, one
    calendar."""
    from tests.services.booking.test_calendar import PASSWORD as CALDAV_PASSWORD
    from tests.services.booking.test_calendar import USER

    return {
        "url": caldav_url,
        "username": USER,
        "password": CALDAV_PASSWORD,
        "busy_calendars": [calendar_url],
        "booking_calendar": calendar_url,
    }


async def log_in(page: Page, intake: Client, username: str, lang: str = "nl") -> None:
    """Log in on intake's ``/staff`` page through its form, as a person does."""
    en = lang == "en"
    await page.goto(str(intake.make_url("/staff?lang=en" if en else "/staff")))
    await page.get_by_label("User name" if en else "Gebruikersnaam").fill(username)
    await page.get_by_label("Password" if en else "Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Log in" if en else "Inloggen").click()


async def anonymous_case(intake: Client, category: str = "pesten") -> dict[str, Any]:
    """A report at Zorggroep Noord, made through the API: its id, reference, code and token."""
    made = await intake.post(
        "/v1/cases",
        json={"organisation": "zorggroep-noord", "category": category, "anonymous": True},
    )
    assert made.status == 201, await made.text()
    case: dict[str, Any] = await made.json()
    return case


async def send_report(page: Page, name: str | None = None, email: str | None = None) -> str:
    """Report bullying with the organisation page's form (named when ``name`` is given) and
    send it; the case code the page shows."""
    await page.get_by_label("Waar gaat het over?").select_option("pesten")
    if name is not None:
        await page.get_by_role("checkbox", name="Ik meld anoniem").uncheck()
        await page.get_by_label("Naam", exact=True).fill(name)
        await page.get_by_label("E-mailadres").fill(email or "")
    await page.get_by_role("button", name="Melding versturen").click()
    await expect(page.locator("#case-code")).to_be_visible()
    code = (await page.locator("#case-code").text_content() or "").strip()
    assert code
    return code


async def booking_and_intake(start_service: StartService) -> tuple[Client, Client]:
    """Booking, and intake whose pages link to it."""
    booking = await start_service("booking")
    intake = await start_service("intake", INTAKE_BOOKING_URL=str(booking.make_url("/")))
    return booking, intake


async def first_log_in(page: Page, intake: Client, username: str = "anna") -> str:
    """The first log-in once the firm has an escrow key: the keys made in the browser, the
    recovery kit shown and typed back, the cases shown. Returns the kit."""
    await log_in(page, intake, username)
    await expect(page.get_by_role("heading", name="Uw herstelsleutel")).to_be_visible()
    kit = (await page.locator("#kit-code").text_content() or "").strip()
    await page.get_by_label("Typ uw herstelsleutel nog eens over").fill(kit)
    await page.get_by_role("button", name="Ik heb hem bewaard: verder").click()
    await expect(page.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    return kit

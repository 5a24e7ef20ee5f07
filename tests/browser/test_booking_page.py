"""From the report to a booked conversation, in a real browser, across intake's and
booking's pages."""

from __future__ import annotations

from collections.abc import Callable

from playwright.async_api import Browser, expect

from tests.browser.conftest import snap
from tests.browser.setup import make_anna, make_org
from tests.conftest import StartService


async def test_report_then_book_a_conversation(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    intake = await start_service("intake", INTAKE_BOOKING_URL=str(booking.make_url("/")))
    admin_b = {"Authorization": f"Bearer {token('admin', 'booking')}"}
    org = await make_org(intake, token)
    await make_anna(booking, token, org["id"], modes=["online", "walk"])

    page = await browser.new_page()
    await page.goto(str(intake.make_url("/o/zorggroep-noord")))
    await page.get_by_label("Waar gaat het over?").select_option("intimidatie")
    await page.get_by_role("button", name="Melding versturen").click()
    await expect(page.locator("#case-code")).to_be_visible()
    await page.get_by_role("link", name="Plan een gesprek met de vertrouwenspersoon").click()

    await expect(page.get_by_role("heading", name="Gesprek plannen")).to_be_visible()
    await page.wait_for_function("!location.hash")  # the token leaves the address bar at once
    await page.locator("#days button").first.click()
    await page.locator("#times button").first.click()
    await page.get_by_label("Hoe wilt u het gesprek voeren?").select_option("online")
    await snap(page, "05-slot-picker")
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()
    await expect(page.locator("#where")).to_contain_text("https://meet.vertrouwd.example/")
    assert (await page.locator("#ics").get_attribute("href") or "").startswith("blob:")
    await snap(page, "06-booked")

    booked = await booking.get("/v1/appointments?confidant_id=c-anna", headers=admin_b)
    items = (await booked.json())["appointments"]
    assert len(items) == 1 and items[0]["mode"] == "online" and items[0]["status"] == "booked"


async def test_reschedule_then_cancel(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    await make_anna(booking, token, "org-1", modes=["online"])
    case_token = token("employee", ["intake", "booking"], org_id="org-1", case_id="case-1")
    page = await browser.new_page()
    await page.goto(str(booking.make_url("/book")) + f"#t={case_token}&c=c-anna&l=nl")
    await page.locator("#days button").first.click()
    await page.locator("#times button").first.click()
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()

    await page.reload()  # later, the same tab: the appointment is shown, with what it allows
    await expect(page.get_by_role("heading", name="Uw afspraak")).to_be_visible()
    await page.get_by_role("button", name="Verzetten").click()
    await page.locator("#days button").nth(1).click()
    await page.locator("#times button").nth(2).click()
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw afspraak is verzet")).to_be_visible()
    headers = {"Authorization": f"Bearer {case_token}"}
    [moved] = (await (await booking.get("/v1/appointments", headers=headers)).json())[
        "appointments"
    ]
    assert moved["sequence"] == 1 and moved["status"] == "booked"

    await page.reload()
    await page.get_by_role("button", name="Annuleren").click()
    await expect(page.get_by_role("alert")).to_contain_text("geannuleerd")
    listed = await booking.get("/v1/appointments", headers=headers)
    [gone] = (await listed.json())["appointments"]
    assert gone["status"] == "cancelled"
    await snap(page, "08-cancelled")


async def test_booking_with_the_keyboard_alone(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    await make_anna(booking, token, "org-1", modes=["online", "walk"])
    case_token = token("employee", ["intake", "booking"], org_id="org-1", case_id="case-k")
    page = await browser.new_page()
    await page.goto(str(booking.make_url("/book?lang=en")) + f"#t={case_token}&c=c-anna&l=en")
    await expect(page.locator("#days button").first).to_be_visible()

    async def focused() -> str:
        found: str = await page.evaluate(
            "document.activeElement.closest('fieldset')?.id || document.activeElement.id"
        )
        return found

    await page.keyboard.press("Tab")  # the language switch comes first
    assert await page.evaluate("document.activeElement.hreflang") == "nl"
    await page.keyboard.press("Tab")  # the first day
    assert await focused() == "days"
    await page.keyboard.press("Enter")
    while await focused() != "times":  # past the other days, to the first time
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    while await focused() != "mode":
        await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # the walk
    await page.keyboard.press("Tab")  # the button
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Your conversation is booked")).to_be_visible()
    await expect(page.locator("#done")).to_be_focused()
    headers = {"Authorization": f"Bearer {case_token}"}
    listed = await booking.get("/v1/appointments", headers=headers)
    [made] = (await listed.json())["appointments"]
    assert made["mode"] == "walk"
    await snap(page, "12-keyboard-booked")

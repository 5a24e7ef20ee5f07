"""From the report to a booked conversation, in a real browser, across intake's and
booking's pages."""

from __future__ import annotations

from collections.abc import Callable

from playwright.async_api import Browser, expect

from tests.browser.conftest import snap
from tests.browser.setup import booking_and_intake, make_anna, make_org
from tests.conftest import StartService


async def test_report_then_book_a_conversation(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking, intake = await booking_and_intake(start_service)
    admin_b = {"Authorization": f"Bearer {token('admin', 'booking')}"}
    org = await make_org(intake, token)
    await make_anna(booking, token, org["id"], modes=["online", "walk"])

    page = await browser.new_page()
    await page.goto(str(intake.make_url("/o/zorggroep-noord")))
    await page.get_by_label("Waar gaat het over?").select_option("intimidatie")
    await page.get_by_role("button", name="Melding versturen").click()
    await expect(page.locator("#case-code")).to_be_visible()
    await page.get_by_role("checkbox", name="Ik heb mijn code bewaard").check()
    await page.get_by_role("link", name="Plan een gesprek met de vertrouwenspersoon").click()

    await expect(page.get_by_role("heading", name="Gesprek plannen")).to_be_visible()
    await page.wait_for_function("!location.hash")  # the token leaves the address bar at once
    await page.locator("#days button").first.click()
    await page.locator("#times button").first.click()
    await page.get_by_label("Hoe wilt u het gesprek voeren?").select_option("online")
    await snap(page, "05-slot-picker")
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()
    await expect(page.locator("#where")).to_contain_text("https://meet.jit.si/")
    assert (await page.locator("#ics").get_attribute("href") or "").startswith("blob:")
    await snap(page, "06-booked")

    booked = await booking.get("/v1/appointments?confidant_id=c-anna", headers=admin_b)
    items = (await booked.json())["items"]
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
    await page.locator("#days button").first.click()
    await page.locator("#times button").nth(2).click()
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw afspraak is verzet")).to_be_visible()
    headers = {"Authorization": f"Bearer {case_token}"}
    [moved] = (await (await booking.get("/v1/appointments", headers=headers)).json())["items"]
    assert moved["sequence"] == 1 and moved["status"] == "booked"

    await page.reload()
    # Cancelling asks first; "no" keeps the appointment.
    await page.get_by_role("button", name="Annuleren").click()
    await expect(page.get_by_text("Weet u zeker dat u dit gesprek wilt annuleren?")).to_be_visible()
    await page.get_by_role("button", name="Nee, laten staan").click()
    await expect(page.get_by_role("button", name="Ja, annuleren")).to_be_hidden()
    kept = (await (await booking.get("/v1/appointments", headers=headers)).json())["items"]
    assert kept[0]["status"] == "booked"
    await page.get_by_role("button", name="Annuleren").click()
    await page.get_by_role("button", name="Ja, annuleren").click()
    await expect(page.get_by_role("alert")).to_contain_text("geannuleerd")
    listed = await booking.get("/v1/appointments", headers=headers)
    [gone] = (await listed.json())["items"]
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
    while await focused() != "days":  # past the month's buttons, to the first day
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    while await focused() != "times":  # past the other days, to the first time
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    while await focused() != "mode":
        await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # the walk
    await page.keyboard.press("Tab")  # where to meet
    assert await focused() == "meeting-point"
    await page.keyboard.type("By the fountain in the park")
    await page.keyboard.press("Tab")  # the button
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Your conversation is booked")).to_be_visible()
    await expect(page.locator("#done")).to_be_focused()
    headers = {"Authorization": f"Bearer {case_token}"}
    listed = await booking.get("/v1/appointments", headers=headers)
    [made] = (await listed.json())["items"]
    assert made["mode"] == "walk"
    assert made["meeting_point"]["text"] == "By the fountain in the park"
    await expect(page.locator("#where")).to_contain_text(
        "By the fountain in the park (your proposal, not yet confirmed)"
    )
    await snap(page, "12-keyboard-booked")


async def test_a_walk_the_employee_proposes_and_the_confidant_confirms(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    await make_anna(booking, token, "org-1", modes=["walk"])
    case_token = token("employee", ["intake", "booking"], org_id="org-1", case_id="case-w")
    jan = await browser.new_page()
    await jan.goto(str(booking.make_url("/book")) + f"#t={case_token}&c=c-anna&l=nl")
    await jan.locator("#days button").first.click()
    await jan.locator("#times button").first.click()
    await jan.get_by_label("Waar spreken we af?").fill("Bij de molen")
    await jan.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(jan.locator("#where")).to_have_text(
        "Waar: Bij de molen (uw voorstel, nog niet bevestigd)"
    )

    # Anna sees the proposal in her agenda and changes it a little.
    anna = await browser.new_page()
    anna_token = token("confidant", "booking", sub="c-anna", orgs=["org-1"])
    await anna.goto(str(booking.make_url("/staff/agenda")) + f"#t={anna_token}")
    await expect(anna.locator("#appointments")).to_contain_text(
        "Afspreekplek: Bij de molen (voorgesteld door de melder)"
    )
    await anna.get_by_label("Afspreekplek (bevestigen of wijzigen)").fill(
        "Bij de molen, de zuidkant"
    )
    await anna.get_by_role("button", name="Plek bevestigen").click()
    await expect(anna.locator("#appointments")).to_contain_text(
        "Afspreekplek: Bij de molen, de zuidkant (bevestigd)"
    )
    await snap(anna, "13-agenda-meeting-point")

    # Jan sees it when he comes back; a new proposal of his waits for Anna again.
    await jan.reload()
    await expect(jan.locator("#current-where")).to_have_text(
        "Waar: Bij de molen, de zuidkant (bevestigd door de vertrouwenspersoon)"
    )
    await jan.get_by_label("Een andere plek voorstellen").fill("Bij het station")
    await jan.get_by_role("button", name="Voorstel versturen").click()
    await expect(jan.locator("#current-where")).to_have_text(
        "Waar: Bij het station (uw voorstel, nog niet bevestigd)"
    )
    await snap(jan, "14-walk-proposal")


async def test_by_phone_the_number_is_asked_and_shown_to_the_confidant_only(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    await make_anna(booking, token, "org-1", modes=["online", "phone"])
    case_token = token("employee", ["intake", "booking"], org_id="org-1", case_id="case-1")
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    await page.goto(str(booking.make_url("/book")) + f"#t={case_token}&c=c-anna&l=nl")
    await page.locator("#days button").first.click()
    await page.locator("#times button").first.click()
    await page.get_by_label("Hoe wilt u het gesprek voeren?").select_option("phone")
    number = page.get_by_role("textbox", name="Het nummer waarop de vertrouwenspersoon u belt")
    await expect(number).to_be_visible()
    await number.fill("06 1234 5678")
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()
    anna = {
        "Authorization": f"Bearer {token('confidant', 'booking', sub='c-anna', orgs=['org-1'])}"
    }
    listed = await (await booking.get("/v1/appointments", headers=anna)).json()
    assert [a["phone"] for a in listed["items"]] == ["06 1234 5678"]
    mine = {"Authorization": f"Bearer {case_token}"}
    own = await (await booking.get("/v1/appointments", headers=mine)).json()
    assert "phone" not in own["items"][0]
    # The confidant's agenda has the number to call.
    staff = token("confidant", "booking", sub="c-anna", orgs=["org-1"])
    agenda = await browser.new_page()
    await agenda.goto(str(booking.make_url("/staff/agenda")) + f"#t={staff}")
    number = agenda.locator("#appointments").get_by_role("link", name="06 1234 5678")
    await expect(number).to_have_attribute("href", "tel:0612345678")

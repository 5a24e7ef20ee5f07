"""The employee's whole path in English on a phone: the organisation's page, the report, the
code kept (copied, saved as a file), the next steps, booking a walk with a proposed meeting
point, and coming back, with no Dutch word on any page and nothing wider than the phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.async_api import Browser, Page, ViewportSize, expect

from services.booking.api.pages import TEXT as BOOKING_TEXT
from services.intake.api.pages import CASE_TEXT
from services.intake.api.pages import TEXT as REPORT_TEXT
from shared.messages import Texts
from shared.text import Locale
from tests.browser.conftest import snap
from tests.browser.setup import booking_and_intake, make_anna, make_org, make_staff
from tests.conftest import StartService

PHONE: ViewportSize = {"width": 390, "height": 844}
DAYS = "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag"
MONTHS = "januari februari maart juni juli augustus oktober"  # (the others are English too)
BIO = {"nl": "Luistert en denkt met u mee.", "en": "Listens and thinks along with you."}


def dutch_words() -> set[str]:
    """Words of the pages' Dutch texts that their English texts never use."""

    def words(texts: list[Texts], locale: Locale) -> set[str]:
        found: set[str] = set()
        for text in texts:
            for value in text[locale].values():
                found |= {w.lower() for w in re.findall(r"[A-Za-zëéï]{4,}", value)}
        return found

    texts = [REPORT_TEXT, CASE_TEXT, BOOKING_TEXT]
    # Dates come from the browser: its Dutch day and month names count too.
    calendar = {*DAYS.split(), *MONTHS.split()}
    return (
        words(texts, "nl") - words(texts, "en") | {w.lower() for w in BIO["nl"].split()} | calendar
    )


DUTCH = dutch_words()


async def english_on_a_phone(page: Page) -> None:
    """The page in English, without a Dutch word, and no wider than the phone."""
    assert await page.evaluate("document.documentElement.lang") == "en"
    text = await page.evaluate("document.body.innerText")
    seen = {w.lower() for w in re.findall(r"[A-Za-zëéï]{4,}", text)}
    assert not seen & DUTCH, f"Dutch on {page.url}: {sorted(seen & DUTCH)}"
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


async def test_the_whole_employee_path_in_english_on_a_phone(
    start_service: StartService, token: Callable[..., str], browser: Browser, tmp_path: Path
) -> None:
    booking, intake = await booking_and_intake(start_service)
    org = await make_org(intake, token)
    await make_staff(
        intake, token, username="anna", role="confidant", confidant_id="c-anna", bio=BIO
    )
    await make_anna(booking, token, org["id"], modes=["online", "walk"], bio=BIO)
    assert "ingang" in DUTCH or "melding" in DUTCH  # the check knows Dutch when it sees it

    page = await browser.new_page(
        viewport=PHONE, is_mobile=True, permissions=["clipboard-read", "clipboard-write"]
    )
    await page.goto(str(intake.make_url("/o/zorggroep-noord?lang=en")))
    await expect(page.get_by_text(BIO["en"])).to_be_visible()
    await english_on_a_phone(page)
    await expect(page.get_by_role("link", name="I already have a case code")).to_have_attribute(
        "href", "/case?lang=en&org=zorggroep-noord"
    )

    # The report, and the code: in groups that never break, with ways to keep it.
    await page.get_by_label("What is it about?").select_option("pesten")
    await page.get_by_role("button", name="Send report").click()
    await expect(page.get_by_role("heading", name="Your case code")).to_be_visible()
    code = (await page.locator("#case-code").text_content() or "").strip()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){4}", code), code
    lines = await page.evaluate(
        "[...document.querySelectorAll('#case-code .group')].map(g => g.getClientRects().length)"
    )
    assert lines == [1] * 5  # each group on one line
    await english_on_a_phone(page)
    await page.get_by_role("button", name="Copy the code").click()
    await expect(page.locator("#kept")).to_have_text("The code has been copied.")
    assert await page.evaluate("navigator.clipboard.readText()") == code
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Save the code as a file").click()
    saved = tmp_path / "code.txt"
    await (await downloading.value).save_as(saved)
    back = str(intake.make_url("/case"))
    assert f"Your case code: {code}" in saved.read_text()
    assert f"Come back at: {back}" in saved.read_text()
    await expect(page.get_by_role("link", name=back)).to_be_visible()  # where to come back

    # The next steps come once the code is kept, in the words the API gives.
    book = page.get_by_role("link", name="Book a conversation with the confidant")
    await expect(book).to_be_hidden()
    await page.get_by_role("checkbox", name="I have saved my code").check()
    await expect(page.get_by_role("heading", name=re.compile(r"^Your report VP-"))).to_be_visible()
    await expect(page.locator("#next-steps li")).to_have_count(4)
    await english_on_a_phone(page)
    await snap(page, "40-english-code-kept")

    # Booking, in English: who, how long, which time zone; a month of days; a walk.
    await book.click()
    await expect(page.get_by_role("heading", name="Book a conversation")).to_be_visible()
    await expect(page.locator("#who-name")).to_have_text("Anna")
    await expect(page.locator("#who-bio")).to_have_text(BIO["en"])
    await expect(page.locator("#facts")).to_contain_text("A conversation takes 60 minutes.")
    await expect(page.locator("#facts")).to_contain_text("Times are in your time zone:")
    await english_on_a_phone(page)
    first_day = page.locator("#days button").first
    await first_day.click()
    # The times are right under the month on a phone, not a screen further down.
    day_box = await first_day.bounding_box()
    time_box = await page.locator("#times button").first.bounding_box()
    assert day_box and time_box and time_box["y"] - day_box["y"] < PHONE["height"] / 2
    await page.locator("#times button").first.click()
    await page.get_by_label("How would you like to talk?").select_option("walk")
    await page.get_by_label("Where shall we meet?").fill("The park gate on the Stationsweg")
    await snap(page, "41-english-booking")
    await page.get_by_role("button", name="Book this conversation").click()
    await expect(page.get_by_role("heading", name="Your conversation is booked")).to_be_visible()
    await expect(page.locator("#where")).to_have_text(
        "Where: The park gate on the Stationsweg (your proposal, not yet confirmed)"
    )
    await english_on_a_phone(page)

    # A reload keeps what is booked on the page: when, where, the calendar file.
    await page.reload()
    await expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
    await expect(page.locator("#current-where")).to_contain_text("The park gate")
    await expect(page.locator("#current-ics")).to_have_attribute("href", re.compile("^blob:"))
    await english_on_a_phone(page)
    await snap(page, "42-english-booked-after-reload")

    # Coming back with the code, in English.
    await page.goto(back + "?lang=en")
    await page.get_by_label("Your case code").fill(code)
    await page.get_by_role("button", name="Open").click()
    await expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    await expect(page.locator("#appointments")).to_contain_text("during a walk")
    await english_on_a_phone(page)
    booking_link = page.get_by_role("link", name="Reschedule or cancel")
    await expect(booking_link).to_have_attribute("href", re.compile(r"/book\?lang=en#t="))

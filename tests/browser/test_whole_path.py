"""The whole path in a real browser, with every service and server running: report
(anonymously, or with a name and an address), keep the code, book; the mail with the
invitation arrives and the event is in the confidant's calendar (Radicale); the confidant logs
in, sees the case and the appointment, answers; the employee comes back with the code and
reads the answer and sees the appointment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, expect

from deploy.stack.infra import Infra
from services.booking.calendars.writer import write_pending
from services.booking.state import BOOKING
from tests.browser.conftest import snap
from tests.browser.setup import (
    booking_and_intake,
    log_in,
    make_anna,
    make_anna_login,
    make_org,
    radicale_calendar,
    send_report,
)
from tests.conftest import StartService
from tests.polling import eventually
from tests.services.booking.conftest import calendar_url
from tests.services.booking.test_calendar import read
from tests.services.notify.conftest import ANNA, NOTIFY_ENV, Inbox, inbox

__all__ = ["calendar_url", "inbox"]  # fixtures used here
JAN = "jan@example.nl"


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
async def test_report_book_mail_calendar_confidant_and_back(
    anonymous: bool,
    start_service: StartService,
    token: Callable[..., str],
    browser: Browser,
    infra: Infra,
    inbox: Inbox,
    calendar_url: str,
) -> None:
    booking, intake = await booking_and_intake(start_service)
    await start_service("notify", NOTIFY_SMTP_PORT=str(inbox.port), **NOTIFY_ENV)
    admin_b = {"Authorization": f"Bearer {token('admin', 'booking')}"}
    org = await make_org(intake, token)
    await make_anna_login(intake, token, email=ANNA)
    await make_anna(
        booking,
        token,
        org["id"],
        modes=["online"],
        calendar=radicale_calendar(infra.caldav_url, calendar_url),
    )

    # The employee reports, with a name and an address, and keeps the code.
    page = await browser.new_page()
    await page.goto(str(intake.make_url("/o/zorggroep-noord")))
    code = await (send_report(page) if anonymous else send_report(page, "Jan", JAN))
    await snap(page, f"20-path-code-{'anonymous' if anonymous else 'named'}")

    # ... books a conversation ...
    await page.get_by_role("checkbox", name="Ik heb mijn code bewaard").check()
    await page.get_by_role("link", name="Plan een gesprek met de vertrouwenspersoon").click()
    await page.locator("#days button").first.click()
    await page.locator("#times button").first.click()
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()
    await snap(page, "21-path-booked")

    # ... the mails arrive: to Anna, who did not book it herself, and to Jan (when he left an
    # address) with the invitation; the event is in Anna's own calendar.
    async def mailed() -> bool:
        wanted = [(ANNA, "Nieuw gesprek ingepland")] + ([] if anonymous else [(JAN, "ingepland")])
        return all(inbox.with_subject(address, words) for address, words in wanted)

    await eventually(mailed)
    if not anonymous:
        invitation = inbox.with_subject(JAN, "ingepland")[0].message
        assert any(part.get_content_type() == "text/calendar" for part in invitation.walk())
    booking_app = booking.app
    assert booking_app is not None
    assert (await write_pending(booking_app[BOOKING]))["written"] == 1
    listed = await booking.get("/v1/appointments?confidant_id=c-anna", headers=admin_b)
    [appointment] = (await listed.json())["items"]
    event = await read(f"{calendar_url}vertrouwd-{appointment['id']}@vertrouwd.ics")
    assert event is not None and "Vertrouwelijk gesprek" in event.to_ical().decode()

    # Anna logs in, sees the case and the appointment, and answers.
    staff_page = await browser.new_page()
    await log_in(staff_page, intake, "anna")
    await staff_page.locator("#cases button").first.click()
    await staff_page.get_by_label("Bericht aan de melder").fill("Tot donderdag, Jan.")
    await staff_page.get_by_role("button", name="Versturen").click()
    await expect(staff_page.get_by_text("Tot donderdag, Jan.")).to_be_visible()
    await snap(staff_page, "22-path-confidant")
    await staff_page.get_by_role("link", name="Mijn afspraken en beschikbaarheid").click()
    await expect(staff_page.locator("#appointments li")).to_contain_text("online")

    # Jan comes back with the code and reads the answer.
    back = await browser.new_page()
    await back.goto(str(intake.make_url("/case")))
    await back.get_by_label("Uw meldingscode").fill(code)
    await back.get_by_role("button", name="Openen").click()
    await expect(back.get_by_text("Tot donderdag, Jan.")).to_be_visible()
    await expect(back.locator("#appointments li")).to_have_count(1)
    await expect(back.locator("#appointments li")).to_contain_text("online (video)")
    await expect(back.get_by_role("link", name="Verzetten of annuleren")).to_be_visible()
    await snap(back, "23-path-back")

    if not anonymous:

        async def told() -> bool:
            return bool(inbox.with_subject(JAN, "nieuw bericht"))

        await eventually(told)  # and notify told him there was a message (not what it says)
    # Whoever was written to, no mail carries a word of the case.
    assert inbox.received
    for mail in inbox.received:
        assert "Tot donderdag" not in mail.message.as_string()
        assert {*mail.recipients} <= ({ANNA} if anonymous else {ANNA, JAN})

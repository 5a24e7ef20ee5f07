"""The confidant's workspace in a real browser: log in, see the case, answer the reporter,
and see the appointment and the calendar state on booking's side."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.async_api import Browser, Route, expect

from tests.browser.conftest import snap
from tests.browser.setup import (
    anonymous_case,
    bearer,
    booking_and_intake,
    log_in,
    make_anna,
    make_anna_login,
    make_org,
)
from tests.conftest import StartService
from tests.scene import book
from tests.services.booking.conftest import next_weekday_at


async def test_the_confidant_logs_in_reads_answers_and_sees_the_agenda(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking, intake = await booking_and_intake(start_service)
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    await make_anna(booking, token, org["id"], modes=["online"])
    case = await (
        await intake.post(
            "/v1/cases",
            json={
                "organisation": "zorggroep-noord",
                "category": "discriminatie",
                "anonymous": True,
            },
        )
    ).json()
    reporter = {"Authorization": f"Bearer {case['token']}"}
    await intake.post(
        f"/v1/cases/{case['case_id']}/messages",
        headers=reporter,
        json={"text": "Kunnen we praten?"},
    )
    await book(booking, reporter, next_weekday_at(10))

    page = await browser.new_page()
    await page.goto(str(intake.make_url("/staff")))
    await page.get_by_label("Gebruikersnaam").fill("anna")
    await page.get_by_label("Wachtwoord").fill("not the password")
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page.get_by_role("alert")).to_have_text("Inloggen is niet gelukt.")
    await page.get_by_label("Wachtwoord").fill("a long enough password")
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page.get_by_role("heading", name="Mijn meldingen")).to_be_visible()
    await expect(page.get_by_role("cell", name="Discriminatie")).to_be_visible()
    await snap(page, "09-confidant-cases")
    await page.get_by_role("button", name=f"Openen {case['reference']}").click()
    await expect(page.get_by_text("Kunnen we praten?")).to_be_visible()
    await page.get_by_label("Bericht aan de melder").fill("Ja, donderdag om tien uur.")
    await page.get_by_role("button", name="Versturen").click()
    await expect(page.get_by_text("Ja, donderdag om tien uur.")).to_be_visible()
    read = await intake.get(f"/v1/cases/{case['case_id']}/messages", headers=reporter)
    assert [m["author"] for m in (await read.json())["items"]] == ["reporter", "confidant"]

    await page.get_by_role("link", name="Mijn afspraken en beschikbaarheid").click()
    await expect(page.get_by_role("heading", name="Afspraken", exact=True)).to_be_visible()
    await expect(page.locator("#appointments li")).to_contain_text("online")
    await expect(page.locator("#calendar")).to_have_text("Geen agenda gekoppeld.")
    await expect(page.get_by_label("maandag", exact=True)).to_have_value("09:00-17:00")
    await snap(page, "10-confidant-agenda")

    # The language switch keeps the confidant logged in: the token is in the tab by now.
    await page.get_by_role("link", name="English").click()
    await expect(
        page.get_by_role("heading", name="My appointments and availability")
    ).to_be_visible()
    await expect(page.locator("#appointments li")).to_contain_text("booked")
    await expect(page.get_by_label("Monday", exact=True)).to_have_value("09:00-17:00")


async def test_older_cases_come_on_asking_and_any_case_by_its_reference(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    # The page asks for every open case and the newest hundred closed ones. Here each of its
    # list requests asks for one at a time (the same request, to the same server, with a
    # smaller limit), so that three closed cases show what a confidant with thousands sees.
    _, intake = await booking_and_intake(start_service)
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    made = [await anonymous_case(intake) for _ in range(4)]
    for case in made[:3]:
        closed = await intake.patch(
            f"/v1/cases/{case['case_id']}",
            headers=anna,
            json={"status": "closed", "outcome": "advice"},
        )
        assert closed.status == 200, await closed.text()
    page = await browser.new_page()

    async def smaller(route: Route) -> None:
        await route.continue_(url=re.sub(r"limit=\d+", "limit=1", route.request.url))

    await page.route(re.compile(r"/v1/cases\?limit="), smaller)
    await log_in(page, intake, "anna")
    rows = page.locator("#cases tr")
    await expect(rows).to_have_count(1)  # the open one, however it was paged
    await expect(rows).to_contain_text(made[3]["reference"])
    await expect(page.locator("#counts")).to_contain_text("Afgesloten: 0+")
    await page.get_by_label("Toon status").select_option("*")
    await expect(rows).to_have_count(1)  # the newest closed one is not loaded yet
    older = page.get_by_role("button", name="Oudere meldingen tonen")
    await older.click()
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1)).to_contain_text(made[2]["reference"])
    # The oldest is not loaded yet: typed in whole, the server finds it.
    await page.get_by_label("Zoeken op kenmerk of woorden uit de melding").fill(
        made[0]["reference"]
    )
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text(made[0]["reference"])
    await page.get_by_label("Zoeken op kenmerk of woorden uit de melding").fill("")
    await older.click()
    await expect(rows).to_have_count(4)
    await older.click()  # the last page (the oldest, found before): the button goes
    await expect(older).to_be_hidden()
    await expect(page.locator("#counts")).to_contain_text("Afgesloten: 3")
    # A link to a case by its reference opens it, loaded or not.
    await page.goto(str(intake.make_url(f"/staff/cases/{made[0]['reference']}")))
    await expect(page.locator("#one-title")).to_have_text(made[0]["reference"])

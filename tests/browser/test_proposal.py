"""A case that came by phone has no code: its confidant proposes times from the case, the
message goes back to the case ready to send, and the reporter books one of them on a phone
with the link, once."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.async_api import Browser, expect

from tests.browser.conftest import snap
from tests.browser.setup import log_in, make_anna, make_anna_login, make_org
from tests.conftest import StartService
from tests.polling import eventually
from tests.scene import bearer, phone_call
from tests.services.booking.conftest import next_weekday_at, state


async def test_proposal_from_a_phone_case_booked_by_the_reporter_on_a_phone(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    intake = await start_service("intake", INTAKE_BOOKING_URL=str(booking.make_url("/")))
    # (booking started first: told where intake is now, as the settings would say)
    desk = state(booking)
    desk.settings = desk.settings.model_copy(update={"intake_url": str(intake.make_url("/"))})
    org = await make_org(intake, token)
    await make_anna(booking, token, org["id"], modes=["online", "phone"])
    await make_anna_login(intake, token)
    case = await phone_call(intake, token, org["slug"])

    page = await browser.new_page()
    await log_in(page, intake, "anna")
    await page.locator("#cases").get_by_role("button").first.click()
    await page.get_by_role("link", name="Plan een gesprek voor deze melding").click()
    await expect(
        page.get_by_role("heading", name=re.compile("Een gesprek voor een melding"))
    ).to_be_visible()
    await page.get_by_label("Hoe").select_option("online")
    await page.locator("#slots button").nth(0).click()
    await page.locator("#slots button").nth(3).click()
    await page.get_by_role("button", name="Stel de gekozen tijden voor aan de melder").click()
    await expect(page.locator("#text")).to_have_value(re.compile("Ik wil graag met u praten"))
    message = await page.locator("#text").input_value()
    assert "Ik wil graag met u praten" in message and "/book?proposal=" in message
    await page.get_by_role("link", name="Terug naar de melding").first.click()
    await expect(page.locator("#message")).to_have_value(message)
    await page.get_by_role("button", name="Versturen").click()
    await expect(page.locator("#messages")).to_contain_text("Ik wil graag met u praten")

    link = re.search(r"https?://\S+/book\?proposal=\S+", message)
    assert link is not None
    phone = await browser.new_page(viewport={"width": 375, "height": 740})
    await phone.goto(link.group(0))
    await expect(phone.locator("#proposal-times button")).to_have_count(2)
    await phone.locator("#proposal-times button").nth(1).click()
    await snap(phone, "25-proposal")
    await phone.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(phone.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()
    video = await phone.locator("#where a").get_attribute("href")
    assert video is not None and re.fullmatch(r"https://meet\.jit\.si/vp-[A-Za-z0-9_-]{22}", video)
    # The link works once: opened again, it shows the conversation and books nothing more.
    again = await browser.new_page(viewport={"width": 375, "height": 740})
    await again.goto(link.group(0))
    await expect(again.locator("#problem")).to_contain_text("Deze link is al gebruikt")
    admin = bearer(token("admin", "booking"))
    booked = await booking.get("/v1/appointments?confidant_id=c-anna", headers=admin)
    items = (await booked.json())["items"]
    assert [(a["case_id"], a["booked_by"]) for a in items] == [(case["case_id"], "reporter")]


async def test_proposal_in_the_case_messages_of_a_web_report(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    intake = await start_service("intake", INTAKE_BOOKING_URL=str(booking.make_url("/")))
    org = await make_org(intake, token)
    await make_anna(booking, token, org["id"], modes=["online"])
    made = await intake.post(
        "/v1/cases", json={"organisation": org["slug"], "category": "pesten", "anonymous": True}
    )
    report = await made.json()
    anna = token("confidant", ["intake", "booking"], sub="c-anna", orgs=[org["id"]])

    eleven = next_weekday_at(11).isoformat()

    async def proposed() -> bool:  # once booking has heard of the case
        answer = await booking.post(
            f"/v1/cases/{report['case_id']}/proposals",
            headers=bearer(anna),
            json={"type_id": "gesprek", "mode": "online", "starts": [eleven]},
        )
        if answer.status == 201:
            made = await answer.json()
            sent = await intake.post(
                f"/v1/cases/{report['case_id']}/messages",
                headers=bearer(anna),
                json={"text": made["message"]},
            )
            assert sent.status == 201
        return answer.status == 201

    await eventually(proposed)
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    await page.goto(str(intake.make_url("/case")))
    await page.get_by_label("Uw meldingscode").fill(report["case_code"])
    await page.get_by_role("button", name="Openen").click()
    proposal = page.locator("#messages a", has_text="/book?proposal=")
    await expect(proposal).to_be_visible()
    await snap(page, "29-proposal-in-messages")
    await proposal.click()
    await expect(page.locator("#proposal-times button")).to_have_count(1)
    await page.locator("#proposal-times button").first.click()
    await page.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(page.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()


async def test_a_conversation_on_location_booked_for_a_phone_case(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    booking = await start_service("booking")
    intake = await start_service("intake", INTAKE_BOOKING_URL=str(booking.make_url("/")))
    org = await make_org(intake, token)
    desk = {"id": "hq", "name": "Kantoor Zwolle", "address": "Stationsplein 1, Zwolle"}
    await make_anna(booking, token, org["id"], modes=["on_location"], locations=[desk])
    case = await phone_call(intake, token, org["slug"])
    staff = token("confidant", ["intake", "booking"], sub="c-anna", orgs=[org["id"]])
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    plan = f"/staff/plan?case={case['case_id']}&ref={case['reference']}#t={staff}"

    async def known() -> bool:  # booking has heard of the case: its slots can be booked
        link = await state(booking).db["cases"].find_one({"_id": case["case_id"]})
        return bool(link and link.get("confidant_id"))

    await eventually(known)
    await page.goto(str(booking.make_url(plan)))
    await expect(page.get_by_label("Waar?")).to_have_value("hq")
    await page.locator("#slots button").first.click()
    await page.get_by_role("button", name="Plan de gekozen tijd (telefonisch doorgegeven)").click()
    await expect(page.locator("#text")).to_have_value(re.compile("Op locatie\\nKantoor Zwolle"))
    admin = bearer(token("admin", "booking"))
    listed = await (await booking.get("/v1/appointments?confidant_id=c-anna", headers=admin)).json()
    assert [a["address"] for a in listed["items"]] == ["Kantoor Zwolle, Stationsplein 1, Zwolle"]

"""Every way in leads to a conversation, through the front door in a real browser: a WhatsApp
message, a mail and a phone call each become a case; the confidant books for one directly,
proposes times for another (the reporter picks one with the link in their own mail thread,
on a phone), and books the phone case while on the call; a case is closed with a follow-up,
which is sent in the reporter's WhatsApp chat on its day; the three conversations are in the
usage statement. And the organisation's page shows every way in its admin set, in Dutch and
English, on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize, expect

from deploy import whatsapp_standin as wa
from deploy.stack.infra import Infra
from services.intake.domain import jobs
from services.intake.state import INTAKE
from tests.browser.conftest import OpenSuite, Suite, audit, snap
from tests.browser.setup import PASSWORD, make_anna, make_anna_login
from tests.conftest import Isolation
from tests.polling import eventually
from tests.scene import bearer, book, phone_call
from tests.services.booking.conftest import next_weekday_at
from tests.services.intake import mailtools
from tests.services.intake.test_mail_channel import JAN, REPORTER, STORY
from tests.services.intake.test_whatsapp_channel import (
    NUMBER_ID,
    SECRET,
    SENDER,
    graph,
    secrets_env,
)
from tests.services.notify.conftest import Inbox

__all__ = ["graph"]  # a fixture used here
PHONE: ViewportSize = {"width": 375, "height": 740}


async def organisation(suite: Suite, token: Callable[..., str], address: str) -> dict[str, Any]:
    """Zorggroep Noord with every way in: WhatsApp, a mailbox, a phone number; k = 3."""
    admin = bearer(token("admin", "intake"))
    made = await suite.intake.post(
        "/v1/orgs",
        headers=admin,
        json={
            "name": "Zorggroep Noord",
            "slug": "zorggroep-noord",
            "confidant_ids": ["c-anna"],
            "report_threshold": 3,
            "phone_number": "+31 38 123 4567",
            "whatsapp_number": "+31 6 1234 5678",
        },
    )
    assert made.status == 201, await made.text()
    org: dict[str, Any] = await made.json()
    channels = await suite.intake.put(
        f"/v1/orgs/{org['id']}/channels",
        headers=admin,
        json={
            "whatsapp_phone_number_id": NUMBER_ID,
            "mailbox": {"address": address, "username": address, "password": mailtools.PASSWORD},
        },
    )
    assert channels.status == 200, await channels.text()
    return org


async def log_in(page: Page, suite: Suite) -> None:
    await page.goto(suite.at("/staff"))
    await page.get_by_label("Gebruikersnaam").fill("anna")
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()


async def plan_for(page: Page, reference: str, mode: str, picks: list[int]) -> None:
    """From the case in the workspace to booking's page for it, the times chosen."""
    await page.get_by_role("button", name=f"Openen {reference}").click()
    await page.get_by_role("link", name="Plan een gesprek voor deze melding").click()
    await expect(page.locator("#slots button").first).to_be_visible()
    await page.get_by_label("Hoe").select_option(mode)
    for n in picks:
        await page.locator("#slots button").nth(n).click()


async def test_every_way_in_leads_to_a_conversation_and_a_follow_up(
    open_suite: OpenSuite,
    token: Callable[..., str],
    browser: Browser,
    graph: tuple[wa.GraphStandIn, str],
    infra: Infra,
    isolation: Isolation,
    tmp_path: Path,
) -> None:
    standin, graph_url = graph
    inbox = Inbox()
    await inbox.start()
    mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox.port)}
    suite = await open_suite(intake={**secrets_env(tmp_path, graph_url), **mail}, notify=mail)
    address = f"{isolation.tag}@vertrouwenspersonen.example"
    mailtools.add_mailbox(infra, address)
    org = await organisation(suite, token, address)
    await make_anna(suite.booking, token, org["id"], modes=["online", "phone"])
    await make_anna_login(suite.intake, token)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))

    # The organisation's page: every way in, in Dutch and in English, on a phone.
    visitor = await browser.new_page(viewport=PHONE)
    await visitor.goto(suite.at("/o/zorggroep-noord"))
    await expect(visitor.locator("#way-whatsapp")).to_have_attribute(
        "href", "https://wa.me/31612345678"
    )
    await expect(visitor.locator("#way-email")).to_have_attribute("href", f"mailto:{address}")
    await expect(visitor.locator("#way-phone")).to_have_attribute("href", "tel:+31381234567")
    await expect(visitor.locator(".confidants")).to_contain_text("Spreekt: Nederlands")
    await expect(visitor.locator("#out-of-scope")).to_contain_text("reorganisatie")
    await expect(visitor.get_by_role("heading", name="Hoe anoniem melden werkt")).to_be_visible()
    await snap(visitor, "26-ways-in")
    await audit(visitor)
    await visitor.goto(suite.at("/o/zorggroep-noord?lang=en"))
    await expect(
        visitor.get_by_role("heading", name="Other ways to reach a confidant")
    ).to_be_visible()
    await expect(visitor.locator("#way-phone")).to_contain_text("Call: +31 38 123 4567")
    await expect(visitor.locator(".confidants")).to_contain_text("Speaks: Dutch")

    # Three ways in: a WhatsApp message, a mail, a phone call the office registers.
    body, headers = wa.signed(
        SECRET, wa.incoming(NUMBER_ID, SENDER, "Fatima", text="Ik word steeds buitengesloten.")
    )
    assert (
        await suite.intake.post("/v1/channels/whatsapp/webhook", data=body, headers=headers)
    ).status == 200
    sent = mailtools.plain(REPORTER, address, "Ongewenst gedrag", STORY)
    await mailtools.deliver(infra, address, sent.as_bytes())
    await phone_call(suite.intake, token, "zorggroep-noord")

    async def three() -> bool:
        listed = await (await suite.intake.get("/v1/cases", headers=anna)).json()
        return len(listed["items"]) == 3

    await eventually(three, within=30)
    cases = {
        c["channel"]: c
        for c in (await (await suite.intake.get("/v1/cases", headers=anna)).json())["items"]
    }

    page = await browser.new_page()
    await log_in(page, suite)
    # WhatsApp: booked by the confidant; the reporter reads when, and the video link, in
    # the chat.
    await plan_for(page, cases["whatsapp"]["reference"], "online", [0])
    await page.get_by_role("button", name="Plan de gekozen tijd (telefonisch doorgegeven)").click()
    await expect(page.get_by_role("heading", name="Gepland")).to_be_visible()

    async def told_in_chat() -> bool:
        return any("Uw gesprek is gepland" in s["text"]["body"] for s in standin.sent)

    await eventually(told_in_chat)
    notice = next(s["text"]["body"] for s in standin.sent if "gepland" in s["text"]["body"])
    assert re.search(r"https://meet\.jit\.si/vp-[A-Za-z0-9_-]{22}", notice)

    async def first_contact_made() -> bool:
        read = await suite.intake.get(f"/v1/cases/{cases['whatsapp']['case_id']}", headers=anna)
        return (await read.json())["deadlines"]["first_contact"]["met_at"] is not None

    await eventually(first_contact_made)  # a conversation booked is a first contact

    # The mail: times proposed, sent in the reporter's thread, one picked with the link.
    await page.get_by_role("link", name="Terug naar de melding").first.click()
    await plan_for(page, cases["email"]["reference"], "online", [2, 5])
    await page.get_by_role("button", name="Stel de gekozen tijden voor aan de melder").click()
    await expect(page.locator("#text")).to_have_value(re.compile("/book\\?proposal="))
    await page.get_by_role(
        "link", name="Terug naar de melding, met dit bericht klaar om te versturen"
    ).click()
    await expect(page.locator("#message")).to_have_value(re.compile("Ik wil graag met u praten"))
    await page.get_by_role("button", name="Versturen").click()

    async def proposal_mailed() -> bool:
        return any("/book?proposal=" in r.text() for r in inbox.to(JAN))

    await eventually(proposal_mailed, within=30)
    mailed = next(r for r in inbox.to(JAN) if "/book?proposal=" in r.text())
    assert mailed.message["In-Reply-To"]  # in the reporter's own thread
    link = re.search(r"https?://\S+/book\?proposal=\S+", mailed.text())
    assert link is not None and link.group(0).startswith(suite.url)
    reporter = await browser.new_page(viewport=PHONE)
    await reporter.goto(link.group(0))
    await reporter.locator("#proposal-times button").nth(1).click()
    await reporter.get_by_role("button", name="Gesprek vastleggen").click()
    await expect(reporter.get_by_role("heading", name="Uw gesprek is vastgelegd")).to_be_visible()
    await snap(reporter, "27-proposal-picked")

    # The phone call: the times read out, one booked by the confidant on the call.
    await page.goto(suite.at(f"/staff/cases/{cases['phone']['case_id']}"))
    await plan_for(page, cases["phone"]["reference"], "phone", [8])
    await page.get_by_role("button", name="Plan de gekozen tijd (telefonisch doorgegeven)").click()
    await expect(page.get_by_role("heading", name="Gepland")).to_be_visible()

    # Held, then the WhatsApp case closed with a follow-up in two weeks.
    await page.goto(suite.at(f"/staff/cases/{cases['whatsapp']['case_id']}"))
    await page.get_by_role("button", name=f"Openen {cases['whatsapp']['reference']}").click()
    await page.get_by_label("Status", exact=True).select_option("closed")
    await page.get_by_label("Uitkomst bij afsluiten").select_option("advice")
    await page.get_by_label("Nazorg: vraag de melder later hoe het gaat").select_option("14")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.locator("#follow-up-planned")).to_contain_text("Nazorg gepland op")
    await snap(page, "28-follow-up-planned")

    # On the day: the reporter is asked in the chat how it goes; once.
    intake_app = suite.intake.app
    assert intake_app is not None
    day = datetime.now(UTC) + timedelta(days=15)
    assert (await jobs.run_all(intake_app[INTAKE], now=day))["follow_ups"] == 1

    async def asked() -> bool:
        return any("Hoe gaat het nu met u?" in s["text"]["body"] for s in standin.sent)

    await eventually(asked)

    # The three conversations count in the usage statement like any booked on the site:
    # with two booked there, five (the statement shows no count below five).
    for hour in (15, 16):
        web = await suite.intake.post(
            "/v1/cases",
            json={"organisation": "zorggroep-noord", "category": "pesten", "anonymous": True},
        )
        case_id = (await web.json())["case_id"]
        employee = bearer(token("employee", "booking", org_id=org["id"], case_id=case_id))
        await book(suite.booking, employee, next_weekday_at(hour, days_ahead=9))
    hr = bearer(token("admin", "reporting"))
    month = datetime.now(UTC)
    later = month + timedelta(days=40)
    period = {"period_from": f"{month:%Y-%m}", "period_to": f"{later:%Y-%m}"}

    async def counted() -> bool:
        made = await suite.reporting.post(
            f"/v1/orgs/{org['id']}/reports", headers=hr, json={"kind": "usage", **period}
        )
        assert made.status == 201, await made.text()
        totals = (await made.json())["totals"]
        return bool(totals == {"cases": 5, "conversations": 5})

    await eventually(counted, within=30)
    # Every video link a real Jitsi room's, and no two conversations share one.
    staff = bearer(token("admin", "booking"))
    listed = await (
        await suite.booking.get("/v1/appointments?confidant_id=c-anna", headers=staff)
    ).json()
    rooms = [a["video_url"] for a in listed["items"] if a["mode"] == "online"]
    assert len(rooms) == 4 and len(set(rooms)) == 4
    assert all(re.fullmatch(r"https://meet\.jit\.si/vp-[A-Za-z0-9_-]{22}", r) for r in rooms)
    await inbox.stop()

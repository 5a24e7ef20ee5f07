"""A report that came in by WhatsApp, answered from the workspace in a real browser: the
answer goes out through the Cloud API (the stand-in), and the workspace says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.async_api import Browser, expect

from deploy import whatsapp_standin as wa
from tests.browser.conftest import audit
from tests.browser.setup import bearer, log_in, make_anna_login, make_org
from tests.conftest import StartService
from tests.polling import eventually
from tests.services.intake.test_whatsapp_channel import (
    NUMBER_ID,
    SECRET,
    SENDER,
    graph,
    secrets_env,
)

__all__ = ["graph"]  # a fixture used here


async def test_a_whatsapp_report_answered_from_the_workspace(
    start_service: StartService,
    token: Callable[..., str],
    browser: Browser,
    graph: tuple[wa.GraphStandIn, str],
    tmp_path: Path,
) -> None:
    standin, url = graph
    intake = await start_service("intake", **secrets_env(tmp_path, url))
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    admin = bearer(token("admin", "intake"))
    put = await intake.put(
        f"/v1/orgs/{org['id']}/channels",
        headers=admin,
        json={"whatsapp_phone_number_id": NUMBER_ID},
    )
    assert put.status == 200
    body, headers = wa.signed(
        SECRET, wa.incoming(NUMBER_ID, SENDER, "Fatima", text="Ik voel me niet veilig op het werk.")
    )
    assert (
        await intake.post("/v1/channels/whatsapp/webhook", data=body, headers=headers)
    ).status == 200
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))

    async def arrived() -> bool:
        listed = await (await intake.get("/v1/cases", headers=anna)).json()
        return len(listed["items"]) == 1

    await eventually(arrived)
    [case] = (await (await intake.get("/v1/cases", headers=anna)).json())["items"]

    page = await browser.new_page()
    await log_in(page, intake, "anna")
    await page.get_by_role("button", name=f"Openen {case['reference']}").click()
    messages = page.locator("#messages li")
    await expect(messages.first).to_contain_text("Automatisch antwoord")
    await expect(messages.first).to_contain_text("WhatsApp: verstuurd")
    await page.get_by_label("Bericht aan de melder").fill("Zullen we morgen bellen?")
    await page.get_by_role("button", name="Versturen").click()
    await expect(messages.last).to_contain_text("Zullen we morgen bellen?")

    async def relayed() -> bool:
        return any(s["text"]["body"] == "Zullen we morgen bellen?" for s in standin.sent)

    await eventually(relayed)
    await page.reload()  # still logged in: the token stays in this tab
    await page.get_by_role("button", name=f"Openen {case['reference']}").click()
    await expect(page.locator("#messages li").last).to_contain_text("WhatsApp: verstuurd")
    await audit(page)

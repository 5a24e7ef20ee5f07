"""The employee's organisation page in a real browser: report anonymously, keep the code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from tests.browser.conftest import snap
from tests.browser.setup import anonymous_case, make_anna_login, make_org
from tests.conftest import StartService

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def site(start_service: StartService, token: Callable[..., str]) -> tuple[Client, str]:
    intake = await start_service("intake")
    await make_org(intake, token)
    await make_anna_login(intake, token, bio="Luistert, denkt mee.")
    return intake, str(intake.make_url("/o/zorggroep-noord"))


async def test_report_anonymously_and_keep_the_code(
    site: tuple[Client, str], browser: Browser
) -> None:
    intake, url = site
    page = await browser.new_page()
    response = await page.goto(url)
    assert response is not None and response.status == 200
    headers: dict[str, Any] = await response.all_headers()
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    await expect(page.get_by_role("heading", name="Zorggroep Noord")).to_be_visible()
    await expect(page.get_by_text("Anna de Boer")).to_be_visible()
    await snap(page, "01-organisation-page")

    await page.get_by_label("Waar gaat het over?").select_option("pesten")
    await page.get_by_label("Wat is er gebeurd?").fill("Het gebeurt in elk teamoverleg.")
    await expect(
        page.get_by_label("Naam", exact=True)
    ).to_be_hidden()  # anonymous: no contact fields
    await page.get_by_role("button", name="Melding versturen").click()
    code_box = page.locator("#case-code")
    await expect(code_box).to_be_visible()
    await expect(page.locator("#code")).to_be_focused()  # the code is where the reader is
    code = (await code_box.text_content() or "").strip()
    assert len(code) >= 16
    await snap(page, "02-case-code")

    # The code shown is the one that opens the case.
    access = await intake.post("/v1/cases/access", json={"case_code": code})
    assert access.status == 200, await access.text()


async def test_keyboard_only_english_on_a_phone(site: tuple[Client, str], browser: Browser) -> None:
    _, url = site
    page = await browser.new_page(viewport={"width": 375, "height": 667}, is_mobile=True)
    await page.goto(url)
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Make a report")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "en"
    # Nothing wider than the phone.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await snap(page, "03-english-phone")

    # Keyboard only: from the page's start, Tab to the category and choose with the arrows,
    # then on to the button and Enter.
    await page.keyboard.press("Tab")  # the language link
    await page.keyboard.press("Tab")  # "I already have a case code"
    await page.keyboard.press("Tab")  # the category
    assert await page.evaluate("document.activeElement.id") == "category"
    await page.keyboard.press("ArrowDown")
    for _ in range(20):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Your case code")).to_be_visible()
    await snap(page, "04-keyboard-code")


async def test_an_unknown_organisation_is_a_plain_404(
    site: tuple[Client, str], browser: Browser
) -> None:
    _, url = site
    page = await browser.new_page()
    response = await page.goto(url.replace("zorggroep-noord", "nobody"))
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Deze pagina bestaat niet")).to_be_visible()


async def test_coming_back_with_the_code_to_read_and_answer(
    site: tuple[Client, str], browser: Browser, token: Callable[..., str]
) -> None:
    intake, url = site
    case = await anonymous_case(intake)
    admin = {"Authorization": f"Bearer {token('admin', 'intake')}"}
    org_id = (await (await intake.get("/v1/orgs", headers=admin)).json())["items"][0]["id"]
    anna = {"Authorization": f"Bearer {token('confidant', 'intake', orgs=[org_id], sub='c-anna')}"}
    posted = await intake.post(
        f"/v1/cases/{case['case_id']}/messages",
        headers=anna,
        json={"text": "Dank voor uw melding. Wanneer kunnen we praten?"},
    )
    assert posted.status == 201, await posted.text()

    page = await browser.new_page()
    await page.goto(url.replace("/o/zorggroep-noord", "/case"))
    await page.get_by_label("Uw meldingscode").fill("WRONG-CODE")
    await page.get_by_role("button", name="Openen").click()
    await expect(page.get_by_role("alert")).to_have_text("Deze code werkt niet.")
    await page.get_by_label("Uw meldingscode").fill(case["case_code"])
    await page.get_by_role("button", name="Openen").click()
    await expect(page.get_by_text("Wanneer kunnen we praten?")).to_be_visible()
    await page.get_by_label("Uw bericht").fill("Donderdag kan ik.")
    await page.get_by_role("button", name="Versturen").click()
    await expect(page.get_by_text("Donderdag kan ik.")).to_be_visible()
    assert "#t=" in (
        await page.get_by_role("link", name="Een gesprek plannen").get_attribute("href") or ""
    )
    await snap(page, "07-back-with-code")
    read = await intake.get(f"/v1/cases/{case['case_id']}/messages", headers=anna)
    texts = [m["text"] for m in (await read.json())["items"]]
    assert texts[-1] == "Donderdag kan ik."


async def test_the_department_is_asked_from_the_organisations_list_and_optional(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    from tests.scene import bearer

    intake = await start_service("intake")
    org = await make_org(intake, token, departments=["Zorg", "Facilitair"])
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    await page.goto(str(intake.make_url("/o/zorggroep-noord")))
    department = page.get_by_label("Afdeling (niet verplicht)")
    await expect(department).to_have_value("")  # nothing said unless chosen
    await department.select_option("Facilitair")
    await page.get_by_label("Waar gaat het over?").select_option("pesten")
    await page.get_by_role("button", name="Melding versturen").click()
    await expect(page.locator("#case-code")).to_be_visible()
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    [case] = (await (await intake.get("/v1/cases", headers=anna)).json())["items"]
    read = await (await intake.get(f"/v1/cases/{case['case_id']}", headers=anna)).json()
    assert read["department"] == "Facilitair"

"""The organisation's admin in a real browser: log in on intake's workspace, land on
reporting's page, and find the published report to read and download."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from playwright.async_api import Browser, expect

from services.reporting.state import REPORTING
from tests.browser.conftest import snap
from tests.browser.setup import anonymous_case, log_in, make_staff
from tests.conftest import StartService
from tests.polling import eventually


async def test_the_org_admin_reads_the_published_report(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    reporting = await start_service("reporting", REPORTING_K="3", REPORTING_MIN_CASES="3")
    intake = await start_service("intake", INTAKE_REPORTING_URL=str(reporting.make_url("/")))
    admin = {"Authorization": f"Bearer {token('admin', 'intake')}"}
    org = await (
        await intake.post(
            "/v1/orgs",
            headers=admin,
            json={
                "name": "Zorggroep Noord",
                "slug": "zorggroep-noord",
                "confidant_ids": ["c-anna"],
            },
        )
    ).json()
    await make_staff(
        intake,
        token,
        username="hr-noord",
        role="org_admin",
        display_name="HR Noord",
        org_id=org["id"],
    )
    for category in ["pesten"] * 4 + ["anders"] * 3:
        await anonymous_case(intake, category)
    app = reporting.app
    assert app is not None

    async def projected() -> bool:
        found: int = await app[REPORTING].db["cases"].count_documents({})
        return found == 7

    await eventually(projected)
    confidant = {"Authorization": f"Bearer {token('confidant', 'reporting', orgs=[org['id']])}"}
    report = await (
        await reporting.post(
            f"/v1/orgs/{org['id']}/reports",
            headers=confidant,
            json={"year": datetime.now(UTC).year},
        )
    ).json()
    published = await reporting.post(f"/v1/reports/{report['id']}/publish", headers=confidant)
    assert published.status == 200, await published.text()

    page = await browser.new_page()
    await log_in(page, intake, "hr-noord")
    await expect(page.get_by_role("heading", name="Jaarrapportages")).to_be_visible()
    assert page.url.startswith(str(reporting.make_url("/org")))  # on reporting, token gone
    link = page.get_by_role("link", name="PDF")
    await expect(link).to_have_attribute("href", re.compile("^blob:"))
    year = datetime.now(UTC).year
    await expect(page.locator("#reports li")).to_contain_text(
        f"januari {year} \u2013 december {year}, gepubliceerd op"
    )
    await expect(page.locator("#usage li")).to_have_text("Nog niets.")
    await expect(page.locator("#signals li")).to_have_text("Nog niets.")
    await snap(page, "11-org-admin-reports")
    # On a phone nothing is wider than the screen; in English, nothing is in Dutch.
    await page.set_viewport_size({"width": 390, "height": 844})
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= 390
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Yearly reports")).to_be_visible()
    await expect(page.locator("#reports li")).to_contain_text(f"January {year}")
    await expect(page.locator("#invoices li")).to_have_text("Nothing yet.")
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= 390
    await snap(page, "11b-org-admin-english-phone")

"""Reports in the confidant's workspace, in a real browser: from the workspace to reporting's
page, draft the year's report, preview it, write the advice and publish it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect

from services.reporting.state import REPORTING
from tests.browser.conftest import audit
from tests.browser.setup import (
    anonymous_case,
    bearer,
    log_in,
    make_anna_login,
    make_org,
)
from tests.conftest import StartService
from tests.polling import eventually


async def test_a_report_drafted_advised_and_published_from_the_workspace(
    start_service: StartService, token: Callable[..., str], browser: Browser
) -> None:
    reporting = await start_service("reporting", REPORTING_K="3", REPORTING_MIN_CASES="3")
    intake = await start_service("intake", INTAKE_REPORTING_URL=str(reporting.make_url("/")))
    org = await make_org(intake, token)
    await make_anna_login(intake, token)
    for category in ["pesten"] * 4:
        await anonymous_case(intake, category)
    app = reporting.app
    assert app is not None

    async def projected() -> bool:
        return bool(await app[REPORTING].db["cases"].count_documents({}) == 4)

    await eventually(projected)

    page = await browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Publish?": yes
    await log_in(page, intake, "anna")
    await page.get_by_role("link", name="Rapportages en signalen per organisatie").click()
    await expect(page.get_by_role("heading", name="Rapportages en signalen")).to_be_visible()
    assert page.url.startswith(str(reporting.make_url("/reports")))  # the token left the URL
    await expect(page.get_by_label("Organisatie", exact=True)).to_have_text("Zorggroep Noord")

    year = datetime.now(UTC).year
    await page.get_by_label("Jaar").fill(str(year))
    await page.get_by_role("button", name="Concept maken").click()
    item = page.locator("#report-list li").first
    await expect(item).to_contain_text("concept")
    await expect(item.get_by_role("link", name="PDF")).to_have_attribute(
        "href", re.compile("^blob:")
    )
    await item.get_by_label("Advies van de vertrouwenspersoon").fill(
        "Besteed aandacht aan omgangsvormen in de teams."
    )
    await item.get_by_role("button", name="Advies bewaren").click()
    await expect(item.get_by_role("status")).to_have_text("Bewaard.")
    await audit(page)
    await item.get_by_role("button", name="Publiceren").click()
    await expect(page.locator("#report-list li").first).to_contain_text("gepubliceerd")

    anna = bearer(token("confidant", "reporting", orgs=[org["id"]], sub="c-anna"))
    listed = await (await reporting.get(f"/v1/orgs/{org['id']}/reports", headers=anna)).json()
    [report] = listed["items"]
    assert report["status"] == "published"
    assert report["advice"]["nl"] == "Besteed aandacht aan omgangsvormen in de teams."
    # Signals: looked for on request; none in four reports of one kind.
    await page.get_by_role("button", name="Signalen zoeken").click()
    await expect(page.locator("#signal-list li")).to_have_text("Nog niets.")
    # A signal of her own: too few reports fit one about discrimination (the page says why).
    await page.get_by_label("Soort melding").select_option("discriminatie")
    since = datetime.now(UTC).date() - timedelta(days=300)
    await page.get_by_label("Van", exact=True).fill(since.isoformat())
    await page.get_by_label("Tot en met").fill(datetime.now(UTC).date().isoformat())
    await page.get_by_role("button", name="Stel dit signaal voor").click()
    await expect(page.locator("#problem")).to_contain_text("fewer than")

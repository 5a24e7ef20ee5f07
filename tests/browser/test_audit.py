"""The accessibility audit every kept step goes through can fail: it finds what the pages are
designed to avoid (a field without a label, text too faint to read)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import audit

PAGE = """<!doctype html><html lang="nl"><head><title>t</title></head><body><main>
<h1>Melding</h1>{}</main></body></html>"""


@pytest.mark.parametrize(
    ("fault", "rule"),
    [
        ('<input id="name">', "label"),
        ('<p style="color:#bbb;background:#fff">Uw code</p>', "color-contrast"),
        ('<button type="button"></button>', "button-name"),
    ],
)
async def test_the_audit_finds_what_the_pages_avoid(
    browser: Browser, fault: str, rule: str
) -> None:
    page = await browser.new_page()
    await page.set_content(PAGE.format('<label for="ok">Naam</label><input id="ok">'))
    await audit(page)  # the same page without the fault passes
    await page.set_content(PAGE.format(fault))
    with pytest.raises(AssertionError, match=rule):
        await audit(page)

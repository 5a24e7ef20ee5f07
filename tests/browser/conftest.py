"""A real browser: Debian's chromium, driven by Playwright (which downloads no browser of
its own). ``make test`` installs chromium when it is missing. Screenshots of each step are
kept in ``test-artifacts/screenshots/``; ``audit`` runs axe-core (bundled in a Python
package, so nothing is fetched) against the page as it stands."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# No outside connections of chromium's own (this machine has none, and privacy wants none).
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail("chromium is not installed: 'make test' installs it (apt-get install chromium)")
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        yield launched
        await launched.close()


async def snap(page: Page, name: str) -> None:
    """Keep a screenshot of this step, and audit the page as it stands (every step kept is
    an accessible one)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    await audit(page)


# WCAG 2.1 A and AA, the level Dutch public-sector sites are held to, plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def audit(page: Page) -> None:
    """Fail with axe-core's own report if the page as it stands breaks an accessibility rule."""
    results = await Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, results.generate_report()

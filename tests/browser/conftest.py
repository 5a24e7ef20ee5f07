"""A real browser: Debian's chromium, driven by Playwright (which downloads no browser of
its own). ``make test`` installs chromium when it is missing. Screenshots of each step are
kept in ``test-artifacts/screenshots/``; ``audit`` runs axe-core (bundled in a Python
package, so nothing is fetched) against the page as it stands."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from deploy.stack.door import front_door
from deploy.stack.process import Process, free_port
from tests.browser.setup import Client
from tests.conftest import StartService

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


@dataclass
class Suite:
    """The four services behind a real nginx: the suite under one address, as people reach
    it after ``make run`` or in production."""

    url: str  # the front door, ending in "/"
    intake: Client
    booking: Client
    notify: Client
    reporting: Client

    def at(self, path: str) -> str:
        return self.url + path.lstrip("/")


OpenSuite = Callable[..., Awaitable[Suite]]


@pytest.fixture
async def open_suite(start_service: StartService, tmp_path: Path) -> AsyncIterator[OpenSuite]:
    """``await open_suite(notify={...}, ...)``: each service started with SUITE_URL set (and
    the settings given for it), then nginx in front of them (deploy/frontdoor.py)."""
    doors: list[Process] = []

    async def open_(**env: dict[str, str]) -> Suite:
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        clients = {
            name: await start_service(name, SUITE_URL=url, **env.get(name, {}))
            for name in ("intake", "booking", "notify", "reporting")
        }
        door = front_door(
            tmp_path / "front-door",
            port,
            {name: [f"127.0.0.1:{c.port}"] for name, c in clients.items()},
        )
        door.start()
        doors.append(door)
        await asyncio.to_thread(door.wait_ready, 10)
        return Suite(url, **clients)

    yield open_
    for door in doors:
        door.stop()

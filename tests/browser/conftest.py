"""Fixtures for tests in a real browser: Debian's Chromium, driven by Playwright.

Playwright never downloads a browser here: it drives the Chromium at
``CANDOR_TEST_CHROMIUM`` (default ``/usr/bin/chromium``, which ``make test`` installs when
missing). Without it the tests fail, they do not skip: a status page nobody has seen in a
browser is not tested. Screenshots go to ``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path(os.environ.get("CANDOR_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

Screenshot = Callable[[Page, str], Awaitable[Path]]


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium for the whole session (one process; each test opens its contexts)."""
    assert CHROMIUM.is_file(), (
        f"no Chromium at {CHROMIUM}: install Debian's chromium (make test does), "
        "or point CANDOR_TEST_CHROMIUM at one"
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """``await screenshot(page, "name")``: a full-page PNG kept as a test artifact; prints
    and returns its path."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)

    async def take(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{test}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return take

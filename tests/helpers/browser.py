"""Real-browser tests: Debian's Chromium (installed by scripts/browsers, never downloaded),
driven by Playwright's sync API.

    with chromium_page(viewport=(1366, 768)) as page:
        log_in(page, live_server.url, user)
        page.click("text=Projection rebuilds")
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("POS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.fail(f"Chromium is not installed ({CHROMIUM}): run scripts/browsers (apt-get install -y chromium).",
                    pytrace=False)
    return path


@contextmanager
def chromium_page(viewport: tuple[int, int] = (1366, 768)):
    """A page of a fresh headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        finally:
            browser.close()


def log_in(page, base_url: str, user, next_path: str = "/admin/") -> None:
    """Through the back office's login form, with the tests' password."""
    from tests.conftest import TEST_PASSWORD

    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("input[type=submit]")

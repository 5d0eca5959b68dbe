"""The page-test harness itself: Debian's Chromium runs, and reaches the live demo server."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import Shots


def test_chromium_opens_the_live_server(page: Page, demo_site: str, shots: Shots) -> None:
    response = page.goto(f"{demo_site}/healthz")
    assert response is not None
    assert response.status == 200
    assert '"status":"ok"' in page.inner_text("body").replace(" ", "")
    assert shots.take(page, "health").stat().st_size > 500

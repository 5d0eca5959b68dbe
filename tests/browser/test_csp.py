"""The strict Content-Security-Policy breaks no page, in Chromium against a live ``admit
demo``: a buyer's whole journey (home, search, the seat map, sign in, register, checkout, the
bank simulator, the tickets, the account and its holders) and the gate scanner, with every
CSP violation the browser reports collected — none may occur."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import Shots
from tests.browser.test_purchase_journey import (
    checkout_and_go_to_the_bank,
    choose_seats,
    find_the_session,
    register_on_the_way,
    seats_become,
)

SEATS = ("L1-HALL-G-10", "L1-HALL-G-11")  # seats no other page test takes
# Reports every violation on the console, where the listener below collects it (an init
# script runs outside the page's policy).
REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});
"""


@pytest.fixture
def violations(page: Page) -> list[str]:
    """What Chromium reported against the page's Content Security Policy."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.add_init_script(REPORTER)
    page.on("console", on_console)
    return found


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_no_page_of_a_purchase_violates_the_policy(
    page: Page, demo_site: str, shots: Shots, violations: list[str]
) -> None:
    # The detector works: a style attribute set from a script is refused and reported.
    page.goto(demo_site + "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<b style=\"color: red\">x</b>')")
    expect(page.locator("b[style]")).to_have_count(1)
    page.wait_for_timeout(200)  # the report is queued as a task
    assert any("style-src" in v for v in violations), violations
    violations.clear()

    session_id = find_the_session(page, demo_site, shots)
    seats_become(demo_site, session_id, SEATS, "a")
    choose_seats(page, SEATS, shots)
    phone = f"13909{int(time.time() * 10) % 1_000_000:06d}"
    register_on_the_way(page, demo_site, phone, shots)
    checkout_and_go_to_the_bank(page, demo_site, session_id, SEATS, shots)
    page.click("#approve")
    page.wait_for_url(re.compile(r"/account/orders/[A-Z0-9]+\?msg=paid$"))
    expect(page.locator(".e-ticket svg.admit-qr")).to_have_count(2)
    page.click(".account-nav >> text=My account")
    page.wait_for_url(re.compile(r"/account$"))
    page.click("text=Manage holders")
    page.wait_for_url(re.compile(r"/account/holders$"))
    for path in ("/gate/", "/search?q=stadium", "/login", "/register", "/no/such/page"):
        page.goto(demo_site + path)
        page.wait_for_load_state("networkidle")
    seats_become(demo_site, session_id, SEATS, "s")
    assert violations == []

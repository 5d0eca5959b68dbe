"""Browsing in Debian's Chromium against a live ``admit demo`` server, at phone (360×740) and
desktop (1366×768) size: the home page's content, a search with a typo, the 20,000-seat
stadium's map (sections, then a section's seats) chosen with the mouse and the keyboard
within the per-person limit, the hand-off to sign in; availability that changes on the server
while the page is open; the page without JavaScript; a friendly error page. A screenshot of
every step goes to test-artifacts/ (not committed)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SIZES, Shots
from tests.browser.site_accounts import customer_token

WAIT_MS = 20_000
# Different seats for each size, so runs on one live server never meet (the checkout
# journey uses the cinema; these are in the stadium).
SEATS = {
    "phone": ("L1-101-10-5", "L1-101-10-6", "L1-101-10-7"),
    "desktop": ("L1-101-12-5", "L1-101-12-6", "L1-101-12-7"),
}
TAKEN_LIVE = {"phone": "L1-102-3-3", "desktop": "L1-102-3-9"}
PHONE_PREFIX = {"phone": "1371", "desktop": "1372"}


def seat(page: Page, key: str) -> Any:
    return page.locator(f'.seat[data-key="{key}"]')


def open_the_match(page: Page, site: str, shots: Shots) -> int:
    """Home → search (with a typo) → the football match's page, its map ready."""
    page.goto(site + "/")
    expect(page.locator(".announcement")).to_have_count(2)
    expect(page.locator(".announcement").first).to_contain_text("Games tickets are on sale")
    expect(page.locator('section[aria-labelledby="rec-h"] .session-card').first).to_contain_text(
        "Football"
    )
    shots.take(page, "home")
    page.fill("#site-q", "footbal harbour")
    page.locator("#site-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=footbal"))
    card = page.locator(".results .session-card").first
    expect(card).to_contain_text("Football: Group A")
    expect(card).to_contain_text("On sale")
    expect(card).to_contain_text(re.compile(r"[\d,]+ left"))
    expect(card).to_contain_text("from 140.00 CNY")
    shots.take(page, "search")
    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    found = re.search(r"/sessions/(\d+)$", page.url)
    assert found
    page.wait_for_selector("#seatmap[data-ready]", timeout=WAIT_MS)
    return int(found.group(1))


def test_search_then_choose_stadium_seats_by_mouse_and_keyboard(
    page: Page, demo_site: str, shots: Shots, viewport: str
) -> None:
    session_id = open_the_match(page, demo_site, shots)
    expect(page.locator("#sale-status")).to_have_text("On sale")
    expect(page.locator(".seatmap .section")).to_have_count(48)
    expect(page.locator('.section[data-section="0"]')).to_have_attribute(
        "aria-label",
        re.compile(r"^Section 101, Lower tier, level A, adult 480\.00 CNY, \d+ of 400"),
    )
    shots.take(page, "stadium-sections")

    # A section by keyboard: the first is focusable, arrows move, Enter opens it.
    page.locator('.section[tabindex="0"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#map-title")).to_have_text("Section 101")
    expect(page.locator(".seatmap .seat")).to_have_count(400)
    expect(page.locator("#map-back")).to_be_visible()
    shots.take(page, "section-101")

    first, second, third = SEATS[viewport]
    for key in (first, second):
        seat(page, key).click()
        expect(seat(page, key)).to_have_attribute("aria-pressed", "true")
    row, number = first.split("-")[2:]
    expect(seat(page, first)).to_have_attribute(
        "aria-label", f"Section 101, row {row}, seat {number}, level A, adult 480.00 CNY, chosen"
    )
    # The keyboard: focus the second seat, move to a neighbour, choose it with Enter.
    seat(page, second).focus()
    page.keyboard.press("Enter")  # un-choose
    expect(seat(page, second)).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Space")
    expect(seat(page, second)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowLeft")
    moved = page.evaluate("document.activeElement.getAttribute('data-key')")
    assert moved != second
    assert str(moved).startswith("L1-101-")
    assert page.evaluate("document.activeElement.getAttribute('tabindex')") == "0"
    seat(page, third).focus()
    page.keyboard.press("Enter")
    expect(page.locator('#seat-inputs input[name="seat"]')).to_have_count(3)
    expect(page.locator("#selected-list li")).to_have_count(3)
    shots.take(page, "three-chosen")

    # The per-person limit (6): the seventh click is refused with a message.
    extra = [f"L1-101-15-{n}" if viewport == "phone" else f"L1-101-17-{n}" for n in range(1, 5)]
    for key in extra:
        seat(page, key).click()
    expect(page.locator('#seat-inputs input[name="seat"]')).to_have_count(6)
    expect(page.locator("#map-status")).to_have_text("You can choose up to 6 seats.")
    expect(seat(page, extra[-1])).to_have_attribute("aria-pressed", "false")
    page.locator("#selected-list li").last.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator('#seat-inputs input[name="seat"]')).to_have_count(5)
    shots.take(page, "limit")

    page.click("#map-back")
    expect(page.locator(".seatmap .section")).to_have_count(48)
    expect(page.locator('#seat-inputs input[name="seat"]')).to_have_count(5)

    # Continue hands the seats to checkout, which first asks a visitor to sign in and will
    # come back to this page with the seats.
    page.click("#seat-continue")
    page.wait_for_url(re.compile(r"/login\?next="))
    back = parse_qs(urlsplit(page.url).query)["next"][0]
    assert back.startswith(f"/sessions/{session_id}?seats=")
    chosen = parse_qs(urlsplit(back).query)["seats"][0].split(",")
    assert chosen[:3] == [first, second, third]
    assert len(chosen) == 5
    shots.take(page, "sign-in")


def test_the_map_shows_seats_taken_elsewhere_without_reloading(
    page: Page, demo_site: str, shots: Shots, viewport: str
) -> None:
    session_id = open_the_match(page, demo_site, shots)
    page.locator('.section[data-section="1"]').click()
    expect(page.locator("#map-title")).to_have_text("Section 102")
    key = TAKEN_LIVE[viewport]
    seat(page, key).click()
    expect(seat(page, key)).to_have_attribute("aria-pressed", "true")
    page.evaluate("window.__sameDocument = true")

    held = httpx.post(
        f"{demo_site}/api/v1/sessions/{session_id}/holds",
        json={"seats": [key]},
        headers={"Authorization": f"Bearer {customer_token(demo_site, PHONE_PREFIX[viewport])}"},
    )
    assert held.status_code == 201, held.text

    expect(seat(page, key)).to_have_class(re.compile(r"\btaken\b"), timeout=WAIT_MS)
    expect(seat(page, key)).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#map-status")).to_contain_text("was just taken")
    expect(page.locator('#seat-inputs input[name="seat"]')).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    shots.take(page, "taken-elsewhere")


def test_the_session_page_works_without_javascript(
    browser: Browser, demo_site: str, shots: Shots, viewport: str
) -> None:
    context = browser.new_context(
        viewport=SIZES[viewport], is_mobile=viewport == "phone", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(f"{demo_site}/search?q=paper+dragons")
        page.locator(".results .session-card h3 a").first.click()
        page.wait_for_url(re.compile(r"/sessions/\d+$"))
        expect(page.locator(".noscript-note")).to_contain_text("The seat map needs JavaScript")
        expect(page.locator("table.prices")).to_contain_text("60.00 CNY")
        expect(page.locator("#sections-table")).to_contain_text("Hall")
        shots.take(page, "no-js-session")
        page.select_option("#best-level", "PRM")
        page.select_option("#best-qty", "3")
        page.locator("#best-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/login\?next="))
        back = parse_qs(urlsplit(page.url).query)["next"][0]
        assert re.fullmatch(r"/sessions/\d+\?level=PRM&quantity=3&go=1", back), back
        shots.take(page, "no-js-sign-in")
    finally:
        context.close()


def test_a_missing_session_is_a_friendly_page(page: Page, demo_site: str, shots: Shots) -> None:
    response = page.goto(f"{demo_site}/sessions/987654")
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.locator(".error-page")).to_contain_text("We could not find that page.")
    expect(page.locator(".error-page a", has_text="Find events")).to_have_attribute(
        "href", "/search"
    )
    shots.take(page, "not-found")

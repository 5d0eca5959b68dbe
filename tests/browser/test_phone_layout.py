"""The storefront on a phone, in Debian's Chromium with touch and a mobile user agent (issue 32,
FE1): at 320, 360 and 414 px no page of a purchase scrolls sideways (``scrollWidth`` within the
viewport), and a seat stays where it was under the finger after the first tap (no layout
shift). With ``ADMIT_SCREENSHOTS_DIR`` set (``make screenshots``), the 360 px pages are saved
there — ``docs/screenshots/phone/`` — so a reader sees what a buyer sees."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.site_accounts import event_of, sign_in_new_customer

WIDTHS = (320, 360, 414)
WAIT_MS = 20_000
PHONE_PREFIX = {320: "1375", 360: "1376", 414: "1377"}
MOBILE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
DOCS_SHOTS = os.environ.get("ADMIT_SCREENSHOTS_DIR", "")


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def width(request: pytest.FixtureRequest) -> int:
    value: int = request.param
    return value


@pytest.fixture
def phone(browser: Browser, width: int) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        viewport={"width": width, "height": 740},
        is_mobile=True,
        has_touch=True,
        user_agent=MOBILE_UA,
        device_scale_factor=1 if DOCS_SHOTS else 2,  # small files for docs/
    )
    yield ctx
    ctx.close()


def _fits(page: Page, what: str) -> None:
    """No sideways scroll: the document is no wider than the viewport."""
    page.wait_for_load_state("load")
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{what} scrolls sideways at {inner} px: {scroll} px wide"


def _tap_targets(page: Page, selector: str) -> None:
    """Every visible element of ``selector`` is at least 44 × 44 px."""
    boxes = [b for b in (el.bounding_box() for el in page.locator(selector).all()) if b]
    assert boxes, selector
    small = [b for b in boxes if b["width"] < 44 or b["height"] < 44]
    assert not small, (selector, small)


def _keep(page: Page, width: int, name: str) -> None:
    if DOCS_SHOTS and width == 360:
        folder = Path(DOCS_SHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _sessions(site: str, q: str) -> list[int]:
    found = httpx.get(f"{site}/api/v1/sessions", params={"q": q, "limit": 200}).json()
    return sorted(s["session"]["id"] for s in found)


def test_no_page_of_a_purchase_scrolls_sideways(
    phone: BrowserContext, demo_site: str, width: int
) -> None:
    page = phone.new_page()
    cinema = _sessions(demo_site, "The Long Night Train")[-1 - WIDTHS.index(width)]
    stadium = _sessions(demo_site, "Football")[0]
    for path, name in (
        ("/", "01-home"),
        ("/search?q=night+train", "02-search"),
        (f"/sessions/{cinema}", "03-cinema-seats"),
        (f"/sessions/{stadium}", "04-stadium-sections"),
        ("/login", "05-sign-in"),
        ("/register", "06-register"),
    ):
        page.goto(demo_site + path)
        if path.startswith("/sessions/"):
            page.wait_for_selector("#seatmap[data-ready]", timeout=WAIT_MS)
        _fits(page, path)
        _keep(page, width, name)
        if path.startswith("/sessions/"):
            _tap_targets(page, ".account-nav a, #zoom-in, #zoom-out, #zoom-fit, .best-link a")
        if path == "/login":
            # The number keypad for a mobile number, and one tap to the e-mail keyboard.
            expect(page.locator("#login")).to_have_attribute("inputmode", "tel")
            page.tap("#login-kind")
            expect(page.locator("#login")).to_have_attribute("inputmode", "email")

    sign_in_new_customer(page, demo_site, PHONE_PREFIX[width])
    _fits(page, "/account")
    for path in ("/account/holders", f"/events/{event_of(demo_site, cinema)}"):
        page.goto(demo_site + path)
        _fits(page, path)
    page.goto(f"{demo_site}/sessions/{cinema}")
    page.select_option("#best-qty", "2")
    page.click("#best-form button[type=submit]")
    page.wait_for_url(re.compile(r"/checkout/\d+$"))
    expect(page.locator(".held-item")).to_have_count(2)
    _fits(page, "the checkout page")
    _keep(page, width, "07-checkout")
    page.click("#pay")
    page.wait_for_url(re.compile(r"/_sim/bank/pay/"))
    _fits(page, "the bank's page")
    page.click("#approve")
    page.wait_for_url(re.compile(r"/account/orders/[A-Z0-9]+\?msg=paid$"))
    expect(page.locator(".e-ticket svg.admit-qr")).to_have_count(2)
    _fits(page, "the order with its e-tickets")
    _keep(page, width, "08-tickets")


def test_a_seat_stays_under_the_finger_after_the_first_tap(
    phone: BrowserContext, demo_site: str, width: int
) -> None:
    page = phone.new_page()
    cinema = _sessions(demo_site, "The Long Night Train")[-1 - WIDTHS.index(width)]
    page.goto(f"{demo_site}/sessions/{cinema}")
    page.wait_for_selector("#seatmap[data-ready]", timeout=WAIT_MS)
    seat = page.locator(".seat:not(.taken)").nth(20)
    seat.scroll_into_view_if_needed()
    # On a phone the cinema's seats are smaller than a thumb: the first tap zooms in there.
    seat.tap()
    expect(page.locator("#map-status")).to_contain_text("Zoomed in")
    assert float(page.locator("svg.seatmap").get_attribute("data-scale") or 1) > 1
    expect(seat).to_have_attribute("aria-pressed", "false")
    assert (seat.bounding_box() or {"width": 0})["width"] >= 24
    seat.scroll_into_view_if_needed()
    before = _centre(seat)
    seat.tap()
    expect(seat).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#map-status")).to_contain_text("Chose")
    assert _centre(seat) == before
    seat.tap()  # and back: it does not move either
    expect(seat).to_have_attribute("aria-pressed", "false")
    assert _centre(seat) == before


def _centre(seat: Locator) -> tuple[float, float]:
    """The seat's centre on the page (not the viewport: a tap may scroll), to 0.1 px."""
    x, y = seat.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return [r.x + r.width / 2 + scrollX, r.y + r.height / 2 + scrollY]; }"
    )
    return round(x, 1), round(y, 1)

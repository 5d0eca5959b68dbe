"""The storefront in every engine (issue 35, NF4): the same journey, written once over
``tests/browser/engines.py``, in Blink (Chromium through Playwright), WebKit (WebKitGTK through
WebDriver) and Gecko (Firefox ESR through WebDriver BiDi), at a phone's width (360 px) and a
desktop's (1366 px): home → search → the session's seat map → two seats chosen with the mouse
→ the sticky bar counts them → Continue hands over to sign-in — and no page scrolls sideways.
WebKit and Firefox here are not phones (no touch, device pixel ratio 1): they catch engine
differences in layout, CSS and JavaScript APIs; touch stays Chromium's job."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import ARTIFACTS
from tests.browser.engines import Driver, opened, wait_until

ENGINES = ("chromium", "webkit", "firefox")
WIDTHS = {360: 740, 1366: 768}
FILM = "The Long Night Train"


@pytest.fixture(params=[(e, w) for e in ENGINES for w in WIDTHS], ids=lambda p: f"{p[0]}-{p[1]}")
def driver(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Driver]:
    engine, width = request.param
    with opened(engine, width, WIDTHS[width], chromium=browser) as d:
        yield d


def _fits(driver: Driver, what: str) -> None:
    wide, inner = driver.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert wide <= inner, f"{driver.engine}: {what} scrolls sideways ({wide} > {inner} px)"


def test_choose_seats_and_go_to_sign_in(driver: Driver, demo_site: str) -> None:
    shots = ARTIFACTS / f"engines-{driver.engine}-{driver.evaluate('innerWidth')}"
    shots.mkdir(parents=True, exist_ok=True)
    driver.goto(demo_site + "/")
    wait_until(driver, "!!document.querySelector('#site-q')", "the search box")
    _fits(driver, "the home page")
    driver.fill("#site-q", "night train")
    driver.click(".search-box button")
    wait_until(driver, "location.pathname === '/search'", "the search page")
    wait_until(driver, "!!document.querySelector('.session-card h3 a')", "a result")
    _fits(driver, "the search page")
    driver.click(".session-card h3 a")
    wait_until(driver, "!!document.querySelector('#seatmap[data-ready]')", "the seat map")
    _fits(driver, "the session page")
    keys = driver.evaluate(
        "[...document.querySelectorAll('.seat:not(.taken)')].slice(40, 42).map(e => e.dataset.key)"
    )
    assert len(keys) == 2
    for key in keys:
        seat = f'.seat[data-key="{key}"]'
        driver.click(seat)
        pressed = (
            f"document.querySelector({json.dumps(seat)}).getAttribute('aria-pressed') === 'true'"
        )
        wait_until(driver, pressed, f"{key} chosen")
    wait_until(driver, "document.querySelector('#bar-count').textContent === '2 seats'", "the bar")
    driver.screenshot(shots / "seats.png")
    driver.click("#seat-continue")
    wait_until(driver, "location.pathname === '/login'", "the sign-in page")
    assert all(k in driver.url() for k in keys)  # the choice travels to sign-in and back
    _fits(driver, "the sign-in page")

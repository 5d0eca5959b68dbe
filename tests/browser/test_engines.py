"""The storefront in every engine (issue 35, NF4): the same journeys, written once over
``tests/browser/engines.py``, in Blink (Chromium through Playwright), WebKit (WebKitGTK through
WebDriver) and Gecko (Firefox ESR through WebDriver BiDi), at a phone's width (360 px) and a
desktop's (1366 px): the purchase from the home page to the PDF (seats chosen with the mouse
and with the keyboard, the sticky bar counting them, a new account on the way, the bank
simulator, the e-tickets), the real-name purchase, and proof that the engines really differ
and that the checks can fail. The gate and the waiting room: ``test_engine_gate.py``,
``test_engine_queue.py``.
WebKit and Firefox here are not phones (no touch, device pixel ratio 1): they catch engine
differences in layout, CSS and JavaScript APIs; touch stays Chromium's job."""

from __future__ import annotations

import json

import httpx
import pytest

from admit.sims.police import demo_population
from tests.browser.conftest import ARTIFACTS
from tests.browser.engines import Driver, opened, wait_until
from tests.browser.journeys import ENGINES, chromium_for, fits, keep, reachable, run_index
from tests.browser.keyboard import tab_to, unreachable
from tests.browser.site_accounts import PASSWORD, register, sms_code, unused_phone

REAL_NAME_PREFIX = {"chromium": "1384", "webkit": "1385", "firefox": "1386"}
PHONE_PREFIX = {"chromium": "1381", "webkit": "1382", "firefox": "1383"}


def _choose_by_keyboard(driver: Driver) -> None:
    """Tab into the seat map, choose the seat with focus with Enter, and Enter again to give
    it back: the seat's state and the bar follow the keyboard as they follow the mouse."""
    tab_to(driver, "#seatmap [data-i]")
    key = driver.evaluate("document.activeElement.dataset.key")
    seat = f"document.querySelector('.seat[data-key=\"{key}\"]')"
    driver.press("Enter")
    wait_until(driver, f"{seat}.ariaPressed === 'true'", f"{key} chosen by keyboard")
    wait_until(driver, "document.querySelector('#bar-count').textContent === '1 seat'", "1 seat")
    driver.press("Enter")
    wait_until(driver, f"{seat}.ariaPressed !== 'true'", f"{key} given back by keyboard")


def _pay_at_the_bank(driver: Driver) -> None:
    """Pay on checkout: the bank simulator's page, approved, back on the paid order."""
    driver.click("#pay")
    wait_until(driver, "location.pathname.startsWith('/_sim/bank/pay/')", "the bank's page")
    driver.click("#approve")
    wait_until(driver, "location.search === '?msg=paid'", "the paid order", timeout=30)


def test_buy_tickets_from_search_to_the_pdf(driver: Driver, demo_site: str) -> None:
    """Home → search → seat map → two seats by click → sign-in hand-off → a new account by SMS
    code → straight on to checkout with the seats held → the bank simulator → the e-tickets
    with their QR codes → the PDF."""
    width = driver.evaluate("innerWidth")
    index = run_index(driver)
    shots = ARTIFACTS / f"engines-{driver.engine}-{width}"
    shots.mkdir(parents=True, exist_ok=True)
    driver.goto(demo_site + "/")
    wait_until(driver, "!!document.querySelector('#site-q')", "the search box")
    fits(driver, "the home page")
    driver.fill("#site-q", "night train")
    driver.click(".search-box button")
    wait_until(driver, "location.pathname === '/search'", "the search page")
    wait_until(driver, "!!document.querySelector('.session-card h3 a')", "a result")
    fits(driver, "the search page")
    driver.click(".session-card h3 a")
    wait_until(driver, "!!document.querySelector('#seatmap[data-ready]')", "the seat map")
    fits(driver, "the session page")
    reachable(driver, "the session page")
    _choose_by_keyboard(driver)
    start = 60 + 4 * index  # each engine and width its own seats, should they run at once
    keys = driver.evaluate(
        f"[...document.querySelectorAll('.seat:not(.taken)')].slice({start}, {start + 2})"
        ".map(e => e.dataset.key)"
    )
    assert len(keys) == 2
    for key in keys:
        seat = f'.seat[data-key="{key}"]'
        driver.click(seat)
        pressed = f"document.querySelector({json.dumps(seat)}).ariaPressed === 'true'"
        wait_until(driver, pressed, f"{key} chosen")
    wait_until(driver, "document.querySelector('#bar-count').textContent === '2 seats'", "the bar")
    wait_until(
        driver,
        "/^from \\d+\\.\\d\\d CNY$/.test(document.querySelector('#bar-total').textContent)",
        "the total",
    )
    driver.evaluate("document.querySelector('#seatmap').scrollIntoView({block: 'start'}) || 1")
    driver.screenshot(shots / "seats.png")
    keep(driver, width, shots / "seats.png")
    driver.click("#seat-continue")
    wait_until(driver, "location.pathname === '/login'", "the sign-in page")
    assert all(k in driver.url() for k in keys)  # the choice travels to sign-in and back
    fits(driver, "the sign-in page")

    driver.click("#register-link")
    wait_until(driver, "location.pathname === '/register'", "the registration page")
    phone = unused_phone(PHONE_PREFIX[driver.engine])
    driver.fill("#login", phone)
    driver.click("#send-code")
    wait_until(driver, "!!document.querySelector('#code')", "the code field")
    driver.fill("#code", sms_code(demo_site, phone))
    driver.fill("#password", PASSWORD)
    driver.click("#create-account")
    wait_until(driver, "/^\\/checkout\\/\\d+$/.test(location.pathname)", "checkout", timeout=30)
    wait_until(driver, "document.querySelectorAll('.held-item').length === 2", "two held seats")
    fits(driver, "the checkout page")
    reachable(driver, "the checkout page")
    _pay_at_the_bank(driver)
    wait_until(driver, "document.querySelectorAll('.e-ticket svg.admit-qr').length === 2", "QRs")
    fits(driver, "the order's page")
    reachable(driver, "the order's page")
    driver.evaluate("document.querySelector('.e-ticket').scrollIntoView({block: 'start'}) || 1")
    driver.screenshot(shots / "tickets.png")
    keep(driver, width, shots / "tickets.png")
    pdf = driver.evaluate(
        "fetch(document.querySelector('#download-pdf').href)"
        ".then(r => r.arrayBuffer()).then(b => new TextDecoder().decode(b.slice(0, 5)))"
    )
    assert pdf == "%PDF-"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_engines_are_really_different(
    engine: str, request: pytest.FixtureRequest, demo_site: str
) -> None:
    """A Chromium-only API (``navigator.userAgentData``, in no WebKit or Firefox) works in
    Chromium and fails the others' run: each journey above really ran in its engine."""
    with opened(engine, 360, 740, chromium=chromium_for(request, engine)) as driver:
        driver.goto(demo_site + "/")
        chromium_only = "navigator.userAgentData.brands.length > 0"
        if engine == "chromium":
            assert driver.evaluate(chromium_only) is True
        else:
            with pytest.raises(AssertionError):
                driver.evaluate(chromium_only)


def test_a_real_name_purchase(driver: Driver, demo_site: str) -> None:
    """The real-name match (the demo's rugby semi-final): best available asks for the buyer's
    own identity before anything is held; the ID card filed on the holders page is verified
    online (the identity simulator), the same choice is held straight after, the buyer names
    themself on the ticket and pays."""
    index = run_index(driver)
    number, name = list(demo_population(1000, seed=1).items())[900 + index]
    login, _ = register(demo_site, REAL_NAME_PREFIX[driver.engine])
    driver.goto(demo_site + "/login")
    driver.fill("#login", login)
    driver.fill("#password", PASSWORD)
    driver.click("#sign-in")
    wait_until(driver, "location.pathname === '/account'", "the account page")
    fits(driver, "the account page")
    reachable(driver, "the account page")
    rugby = httpx.get(f"{demo_site}/api/v1/sessions", params={"q": "rugby"}).json()
    driver.goto(f"{demo_site}/sessions/{rugby[0]['session']['id']}")
    wait_until(driver, "!!document.querySelector('#real-name-note')", "the real-name note")
    driver.select("#best-qty", "1")
    driver.click("#best-form button[type=submit]")
    wait_until(driver, "location.pathname === '/account/holders'", "the holders page")
    # (The path changes before the page is parsed: wait for its words, not only its URL.)
    text = "document.body && document.body.textContent"
    wait_until(driver, f"({text} || '').includes('verify your own identity first')", "the note")
    fits(driver, "the holders page")
    reachable(driver, "the holders page")
    driver.fill("#name", name)
    driver.fill("#number", number)
    driver.click("#add-holder")
    wait_until(driver, "/^\\/checkout\\/\\d+$/.test(location.pathname)", "checkout", timeout=30)
    wait_until(driver, "document.querySelectorAll('#holder-0 option').length > 1", "holders")
    option = driver.evaluate(
        "[...document.querySelectorAll('#holder-0 option')]"
        f".find(o => o.textContent.includes({json.dumps(name)})).value"
    )
    driver.select("#holder-0", option)
    _pay_at_the_bank(driver)
    wait_until(driver, "document.querySelectorAll('.e-ticket svg.admit-qr').length === 1", "QR")


@pytest.mark.parametrize("engine", ENGINES)
def test_what_the_journeys_check_can_fail_in_every_engine(
    engine: str, request: pytest.FixtureRequest, demo_site: str
) -> None:
    """What ``_fits`` and ``_reachable`` rely on, shown failing in each engine: an uncaught
    error and an unhandled rejection on a page are kept in ``window.admitErrors`` (and
    reported to the server); a keyboard trap (a field that swallows Tab) leaves the controls
    after it unreached, and the walk names them."""
    with opened(engine, 1366, 768, chromium=chromium_for(request, engine)) as driver:
        driver.goto(demo_site + "/")
        wait_until(driver, "document.readyState === 'complete'", "the home page")
        assert unreachable(driver) == []
        driver.evaluate(
            "document.querySelector('#site-q').addEventListener('keydown', (e) => {"
            " if (e.key === 'Tab') e.preventDefault(); }) || true"
        )
        missed = unreachable(driver)
        assert "button Search" in missed, missed  # the search box's own button, right after it
        driver.evaluate(
            "setTimeout(() => { throw new Error('boom'); }, 0)"
            " && Promise.reject(new Error('nobody waits')) && true"
        )
        caught = wait_until(
            driver, "window.admitErrors.length >= 2 && window.admitErrors", "the errors"
        )
        assert sorted(e["kind"] for e in caught) == ["error", "rejection"]
        assert any("boom" in e["message"] for e in caught)

"""The acceptance journey in Debian's Chromium against a live ``admit demo`` server, at phone
(360×740) and desktop (1366×768) size: search → session → choose seats on the map → sign in
(a new account, its code read from the SMS simulator) → straight on to checkout with the seats
held → pay on the bank simulator → the
ticket's QR → the PDF; and a declined payment, which comes back to the map with the seats
free again. A screenshot of every step goes to test-artifacts/ (not committed)."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shots
from tests.browser.site_accounts import sms_code, wait_for

FILM = "Paper Dragons"
PASSWORD = "Blue-sky-2026!"
WAIT_MS = 20_000
# Different seats for each run, so the runs on one live server never meet.
SEATS = {
    ("phone", "approve"): ("L1-HALL-E-5", "L1-HALL-E-6"),
    ("desktop", "approve"): ("L1-HALL-E-8", "L1-HALL-E-9"),
    ("phone", "decline"): ("L1-HALL-F-5", "L1-HALL-F-6"),
    ("desktop", "decline"): ("L1-HALL-F-8", "L1-HALL-F-9"),
}
_phones = itertools.count(1)


def new_phone(viewport: str, decision: str) -> str:
    base = {"phone": 1, "desktop": 2}[viewport] * 10 + {"approve": 1, "decline": 2}[decision]
    return f"1390{base:02d}{int(time.time()) % 10000:04d}{next(_phones):01d}"[:11]


def seats_become(site: str, session_id: int, keys: tuple[str, ...], state: str) -> None:
    """Wait until the public availability shows every seat in ``state`` ("a" free, "h" held,
    "s" sold): it is cached for half a second."""
    layout: dict[str, Any] = httpx.get(f"{site}/api/v1/sessions/{session_id}/seatmap").json()
    index = {key: i for i, key in enumerate(layout["seats"]["key"])}

    def probe() -> bool | None:
        url = f"{site}/api/v1/sessions/{session_id}/availability"
        states: str = httpx.get(url).json()["states"]
        return True if all(states[index[k]] == state for k in keys) else None

    wait_for(f"seats {keys} to be {state!r}", probe)


def seat(page: Page, key: str) -> Any:
    return page.locator(f'.seat[data-key="{key}"], [data-seat="{key}"]')


def find_the_session(page: Page, site: str, shots: Shots) -> int:
    page.goto(site + "/")
    expect(page.locator("#site-q")).to_be_visible()
    shots.take(page, "home")
    page.fill("#site-q", FILM)
    page.locator("#site-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    first = page.locator(".session-card h3 a").first
    expect(first).to_contain_text(FILM)
    shots.take(page, "search")
    first.click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    found = re.search(r"/sessions/(\d+)", page.url)
    assert found
    return int(found.group(1))


def choose_seats(page: Page, keys: tuple[str, ...], shots: Shots) -> None:
    for key in keys:
        expect(seat(page, key)).to_be_visible(timeout=WAIT_MS)
    shots.take(page, "session")
    for key in keys:
        seat(page, key).click()
        expect(seat(page, key)).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator('#seat-inputs input[name="seat"]')).to_have_count(len(keys))
    shots.take(page, "seats-chosen")
    page.click("#seat-continue")


def register_on_the_way(page: Page, site: str, phone: str, shots: Shots) -> None:
    """Sent to sign in by "Continue": create an account with the code sent by SMS."""
    page.wait_for_url(re.compile(r"/login\?next="))
    shots.take(page, "sign-in")
    page.click("#register-link")
    page.wait_for_url(re.compile(r"/register\?next="))
    page.fill("#login", phone)
    page.click("#send-code")
    expect(page.locator("#code-sent")).to_contain_text(phone)
    shots.take(page, "code-sent")
    page.fill("#code", sms_code(site, phone))
    page.fill("#password", PASSWORD)
    page.click("#create-account")


def checkout_and_go_to_the_bank(
    page: Page, site: str, session_id: int, keys: tuple[str, ...], shots: Shots
) -> None:
    # Signed up mid-purchase: straight on to the hold and checkout, the seats held.
    page.wait_for_url(re.compile(r"/checkout/\d+$"))
    seats_become(site, session_id, keys, "h")
    expect(page.locator(".held-item")).to_have_count(len(keys))
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^Time left: 1[45]:\d\d$"))
    expect(page.locator("#total")).to_have_text("120.00 CNY")
    shots.take(page, "checkout")
    page.click("#pay")
    page.wait_for_url(re.compile(r"/_sim/bank/pay/"))
    expect(page.locator("#amount")).to_have_text("¥120.00")
    shots.take(page, "bank")


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_buy_tickets_in_the_browser(
    page: Page,
    demo_site: str,
    shots: Shots,
    viewport: str,
    decision: str,
    tmp_path: Path,
) -> None:
    keys = SEATS[(viewport, decision)]
    session_id = find_the_session(page, demo_site, shots)
    seats_become(demo_site, session_id, keys, "a")
    choose_seats(page, keys, shots)
    register_on_the_way(page, demo_site, new_phone(viewport, decision), shots)
    checkout_and_go_to_the_bank(page, demo_site, session_id, keys, shots)
    seats_become(demo_site, session_id, keys, "h")

    if decision == "decline":
        page.click("#decline")
        page.wait_for_url(re.compile(rf"/sessions/{session_id}\?msg=payment_declined$"))
        expect(page.locator(".flash-error")).to_have_text(
            "Your payment was declined and the seats were released. You have not been charged."
        )
        for key in keys:
            expect(seat(page, key)).to_be_visible(timeout=WAIT_MS)
            # The map's availability is cached for half a second and polled: free again soon.
            expect(seat(page, key)).not_to_have_class(re.compile(r"\btaken\b"), timeout=WAIT_MS)
        shots.take(page, "declined")
        seats_become(demo_site, session_id, keys, "a")
        return

    page.click("#approve")
    page.wait_for_url(re.compile(r"/account/orders/[A-Z0-9]+\?msg=paid$"))
    number = urlsplit(page.url).path.rsplit("/", 1)[1]
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.locator(".e-ticket")).to_have_count(2)
    expect(page.locator(".e-ticket svg.admit-qr")).to_have_count(2)
    for qr in page.locator(".e-ticket svg.admit-qr").all():
        box = qr.bounding_box()
        assert box is not None
        assert box["width"] >= 100  # big enough for a gate's scanner to read from the screen
    shots.take(page, "tickets")
    with page.expect_download() as download:
        page.click("#download-pdf")
    saved = tmp_path / "tickets.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"admit-{number}.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
    seats_become(demo_site, session_id, keys, "s")

    # My account: the order under "Paid", and the holders' page.
    page.click(".account-nav >> text=My account")
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("#orders-paid .order-card")).to_have_count(1)
    expect(page.locator("#orders-paid .order-card")).to_contain_text(f"Order {number}")
    expect(page.locator("#orders-pending .order-card")).to_have_count(0)
    shots.take(page, "account")
    page.click("text=Manage holders")
    page.wait_for_url(re.compile(r"/account/holders$"))
    expect(page.locator("#add-holder")).to_be_visible()
    shots.take(page, "holders")

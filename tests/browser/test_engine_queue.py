"""The waiting room in every engine (issue 35, NF4): an on-sale behind a waiting room, in
Chromium, WebKit and Firefox at 360 and 1366 px — the seat map sends a visitor to the room,
they sign in and join before the sale opens, the page refreshes itself and, once places are
drawn and their turn has come, takes them to the seats, which they can then choose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.browser.engines import Driver, wait_until
from tests.browser.gate_site import GateSite, ok, venue_sessions
from tests.browser.journeys import fits, reachable, run_index
from tests.browser.site_accounts import PASSWORD, register

QUEUE_PREFIX = {"chromium": "1391", "webkit": "1392", "firefox": "1393"}


def _room(site: GateSite, session_id: int, opens_at: datetime) -> None:
    answer = httpx.put(
        f"{site.base}/api/v1/admin/sessions/{session_id}/waiting-room",
        headers=site.admin,
        json={"opens_at": opens_at.isoformat(), "rate_per_minute": 600},
    )
    ok(answer)


def test_the_waiting_room_takes_a_buyer_to_the_seats(driver: Driver, gate_site: GateSite) -> None:
    session_id = venue_sessions(gate_site)[-1 - run_index(driver)]  # each run its own room
    _room(gate_site, session_id, datetime.now(UTC) + timedelta(hours=1))
    login, _ = register(gate_site.base, QUEUE_PREFIX[driver.engine])
    base = gate_site.base

    driver.goto(f"{base}/sessions/{session_id}")
    wait_until(driver, f"location.pathname === '/queue/{session_id}'", "the waiting room")
    wait_until(driver, "!!document.querySelector('#queue-sign-in')", "sign in to join")
    fits(driver, "the waiting room")
    driver.click("#queue-sign-in")
    wait_until(driver, "location.pathname === '/login'", "the sign-in page")
    driver.fill("#login", login)
    driver.fill("#password", PASSWORD)
    driver.click("#sign-in")
    wait_until(driver, "!!document.querySelector('#join-queue')", "back in the room, to join")
    driver.click("#join-queue")
    wait_until(driver, "!!document.querySelector('#queue-drawn-later')", "in the queue")
    fits(driver, "the queue before the draw")
    reachable(driver, "the queue before the draw")

    _room(gate_site, session_id, datetime.now(UTC))  # the sale opens now: places are drawn
    # No click: the page refreshes itself, finds its turn has come, and goes to the seats.
    wait_until(
        driver,
        f"location.pathname === '/sessions/{session_id}'"
        " && !!document.querySelector('#seatmap[data-ready]')",
        "the seats, once admitted",
        timeout=30,
    )
    fits(driver, "the seats after the queue")
    key = driver.evaluate("document.querySelector('.seat:not(.taken)').dataset.key")
    driver.click(f'.seat[data-key="{key}"]')
    wait_until(driver, "document.querySelector('#bar-count').textContent === '1 seat'", "1 seat")

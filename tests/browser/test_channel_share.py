"""The website's share of a level, in Debian's Chromium at phone and desktop size (issue 32,
S5, G7): the demo's cinema sells half of each level on the website (Premium: 42 of 85 seats).
Once buyers hold those 42, no Premium seat can be chosen on the map — it says why — while a
Standard seat still can, and the page's counts (header, price table) agree with the home
card's and with the public sale status, including after a change the open page polls for."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shots
from tests.browser.site_accounts import customer_token, event_of

FILM = "Orbit of Ice"  # the purchase journey buys "Paper Dragons"
WAIT_MS = 20_000
PHONE_PREFIX = {"phone": "1373", "desktop": "1374"}
PER_PERSON = 6


def _session(site: str, viewport: str) -> int:
    """A showtime of the film no other page test uses: the last for the phone, the one
    before for the desktop."""
    found = httpx.get(f"{site}/api/v1/sessions", params={"q": FILM, "limit": 200}).json()
    ids = sorted(s["session"]["id"] for s in found if s["event"]["name"] == FILM)
    return ids[-1] if viewport == "phone" else ids[-2]


def _web(site: str, session_id: int) -> dict[str, Any]:
    windows = httpx.get(f"{site}/api/v1/sessions/{session_id}/sale").json()
    web: dict[str, Any] = next(w for w in windows if w["channel"] == "web")
    return web


def _free_seats(site: str, session_id: int, level: str) -> list[str]:
    layout = httpx.get(f"{site}/api/v1/sessions/{session_id}/seatmap").json()
    avail = httpx.get(f"{site}/api/v1/sessions/{session_id}/availability").json()
    char = "0123456789"[avail["level_codes"].index(level)]
    return [
        key
        for key, state, lv in zip(
            layout["seats"]["key"], avail["states"], avail["levels"], strict=True
        )
        if state == "a" and lv == char
    ]


def _hold_the_share(site: str, session_id: int, level: str, viewport: str) -> list[str]:
    """Buyers hold, six each, every seat of ``level`` the website may still sell."""
    left = _web(site, session_id)["left"][level]
    seats = _free_seats(site, session_id, level)[:left]
    for start in range(0, left, PER_PERSON):
        token = customer_token(site, PHONE_PREFIX[viewport])
        held = httpx.post(
            f"{site}/api/v1/sessions/{session_id}/holds",
            json={"seats": seats[start : start + PER_PERSON]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert held.status_code == 201, held.text
    return seats


def _count(text: str) -> int:
    found = re.search(r"([\d,]+) tickets? left", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def test_a_level_whose_web_share_is_sold_cannot_be_chosen(
    page: Page, demo_site: str, shots: Shots, viewport: str
) -> None:
    session_id = _session(demo_site, viewport)
    before = _web(demo_site, session_id)
    assert before["left"]["PRM"] > 0
    page.goto(f"{demo_site}/sessions/{session_id}")
    page.wait_for_selector("#seatmap[data-ready]", timeout=WAIT_MS)
    assert _count(page.locator("#remaining").inner_text()) == before["remaining"]

    held = _hold_the_share(demo_site, session_id, "PRM", viewport)
    after = _web(demo_site, session_id)
    assert after["left"]["PRM"] == 0
    # The open page learns it from its poll, without a reload.
    expect(page.locator('[data-left-level="PRM"]')).to_have_text("0", timeout=WAIT_MS)
    expect(page.locator("#remaining")).to_contain_text(f"{after['remaining']:,} tickets left")
    expect(page.locator('[data-sold-out-level="PRM"]')).to_be_visible()
    expect(page.locator("#share-note [data-remaining]")).to_have_text(f"{after['remaining']:,}")
    shots.take(page, "share-sold-live")

    page.reload()
    page.wait_for_selector("#seatmap[data-ready]", timeout=WAIT_MS)
    premium = [k for k in _free_seats(demo_site, session_id, "PRM") if k not in held][0]
    standard = _free_seats(demo_site, session_id, "STD")[0]
    seat = page.locator(f'.seat[data-key="{premium}"]')
    expect(seat).to_have_class(re.compile(r"\btaken\b"))
    expect(seat).to_have_attribute("aria-label", re.compile("website's Premium .* sold out"))
    seat.click(force=True)  # a tap on it: it is marked disabled, so Playwright would wait
    expect(seat).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#map-status")).to_contain_text("sold out")
    page.locator(f'.seat[data-key="{standard}"]').click()
    expect(page.locator(f'.seat[data-key="{standard}"]')).to_have_attribute("aria-pressed", "true")
    # One number everywhere: header, price table, the public status and the film's page.
    header = _count(page.locator("#remaining").inner_text())
    table = sum(
        int(cell.replace(",", "")) for cell in page.locator("[data-left-level]").all_inner_texts()
    )
    assert header == table == after["remaining"]
    page.goto(f"{demo_site}/events/{event_of(demo_site, session_id)}")
    card = page.locator(f'.session-card:has(a[href="/sessions/{session_id}"])')
    expect(card).to_contain_text(f"{after['remaining']:,} left")
    shots.take(page, "event-card")

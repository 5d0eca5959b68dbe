"""The seat picker for thumbs, in Debian's Chromium as a 360 px touch phone (issue 32, item 3):
real touch input through the DevTools protocol (``Input.dispatchTouchEvent``: the browser's own
pointer events, ``touch-action`` and all). A stadium section opens from the overview (which
draws the pitch) with a tap; two fingers pinch it until its seats are at least 24 px wide;
one-finger drags then bring every seat of the section under the finger — each is the element a
tap at its centre hits — and taps choose seats, shown with the running total in the sticky bar;
a drag that ends on a seat does not choose it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from tests.browser.conftest import Shots

WAIT_MS = 20_000
MIN_SEAT_PX = 24


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    yield ctx
    ctx.close()


class Fingers:
    """Touches sent as the touchscreen sends them (CSS pixels of the viewport)."""

    def __init__(self, cdp: CDPSession) -> None:
        self.cdp = cdp

    def _send(self, kind: str, points: list[tuple[float, float]]) -> None:
        self.cdp.send(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
            },
        )

    def pinch(self, cx: float, cy: float, start: float, end: float, steps: int = 10) -> None:
        """Two fingers on either side of (cx, cy), ``start`` px from it, moved to ``end``."""
        self._send("touchStart", [(cx - start, cy), (cx + start, cy)])
        for k in range(1, steps + 1):
            d = start + (end - start) * k / steps
            self._send("touchMove", [(cx - d, cy), (cx + d, cy)])
        self._send("touchEnd", [])

    def drag(self, x0: float, y0: float, x1: float, y1: float, steps: int = 8) -> None:
        """One finger from (x0, y0) to (x1, y1), held still before lifting: a pan, not a
        fling (a tap during a fling only stops it, as on a real phone)."""
        self._send("touchStart", [(x0, y0)])
        for k in range(1, steps + 1):
            self._send("touchMove", [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps)])
        time.sleep(0.12)
        self._send("touchMove", [(x1, y1)])
        self._send("touchEnd", [])


# In the page: the section's seats fully inside the map's visible box that a tap at their
# centre would hit, and how wide they are.
HITTABLE = """() => {
  const host = document.getElementById("seatmap").getBoundingClientRect();
  const top = Math.max(host.top, 0), bottom = Math.min(host.bottom, innerHeight);
  const out = [];
  for (const seat of document.querySelectorAll("#seatmap .seat")) {
    const r = seat.getBoundingClientRect();
    if (r.left < host.left || r.right > host.right || r.top < top || r.bottom > bottom) continue;
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (document.elementFromPoint(x, y) === seat) out.push([seat.dataset.key, r.width]);
  }
  return out;
}"""
CENTRE_OF = """key => {
  const r = document.querySelector(`.seat[data-key="${key}"]`).getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
}"""
# The centre of the seat of ``keys`` nearest to the map's middle (the next one to bring in).
NEAREST = """keys => {
  const host = document.getElementById("seatmap").getBoundingClientRect();
  const cx = host.left + host.width / 2, cy = host.top + host.height / 2;
  let best = null, far = Infinity;
  for (const key of keys) {
    const r = document.querySelector(`.seat[data-key="${key}"]`).getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2, d = Math.hypot(x - cx, y - cy);
    if (d < far) { far = d; best = [x, y]; }
  }
  return best;
}"""


def _stadium(site: str) -> int:
    found = httpx.get(f"{site}/api/v1/sessions", params={"q": "Football", "limit": 50}).json()
    return sorted(s["session"]["id"] for s in found)[-1]  # the browse tests use the first


def _host(page: Page) -> dict[str, float]:
    box = page.locator("#seatmap").bounding_box()
    assert box is not None
    return box


def test_every_seat_of_a_section_can_be_chosen_by_touch_after_zooming(
    phone: BrowserContext, demo_site: str, shots: Shots
) -> None:
    page = phone.new_page()
    fingers = Fingers(phone.new_cdp_session(page))
    page.goto(f"{demo_site}/sessions/{_stadium(demo_site)}")
    page.wait_for_selector("#seatmap[data-ready]", timeout=WAIT_MS)
    expect(page.locator("svg.seatmap .pitch")).to_have_count(1)  # the field is drawn
    page.locator("#seatmap").scroll_into_view_if_needed()
    shots.take(page, "overview")
    section = page.locator('.section[data-section="0"]')
    box = section.bounding_box()
    assert box is not None
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#map-title")).to_have_text(re.compile(r"^Section "))
    keys: list[str] = page.eval_on_selector_all("#seatmap .seat", "s => s.map(e => e.dataset.key)")
    assert len(keys) > 100

    # Two fingers pinch the section open until a seat is a thumb's size.
    host = _host(page)
    cx, cy = host["x"] + host["width"] / 2, host["y"] + host["height"] / 2
    for _ in range(4):
        fingers.pinch(cx, cy, 20, 90)
        width = page.locator(f'.seat[data-key="{keys[0]}"]').bounding_box() or {"width": 0}
        if width["width"] >= MIN_SEAT_PX:
            break
    assert float(page.locator("svg.seatmap").get_attribute("data-scale") or 1) > 1.5
    expect(page.locator(".seat.selected")).to_have_count(0)  # pinching chose nothing
    shots.take(page, "pinched")

    # One finger brings each seat under it: every seat is hit where it is drawn.
    remaining = set(keys)
    drags = 0
    while remaining and drags < 300:
        for key, seat_px in page.evaluate(HITTABLE):
            assert seat_px >= MIN_SEAT_PX, (key, seat_px)
            remaining.discard(key)
        if not remaining:
            break
        drags += 1
        x, y = page.evaluate(NEAREST, sorted(remaining))
        host = _host(page)
        cx, cy = host["x"] + host["width"] / 2, host["y"] + host["height"] / 2
        dx = max(-host["width"] / 2.2, min(host["width"] / 2.2, cx - x))
        dy = max(-host["height"] / 2.2, min(host["height"] / 2.2, cy - y))
        fingers.drag(cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)
    assert not remaining, f"{len(remaining)} seats never came under a finger in {drags} drags"
    expect(page.locator(".seat.selected")).to_have_count(0)  # dragging chose nothing

    # And taps choose: three free seats in view, the bar counting them with their total.
    free = [k for k, _ in page.evaluate(HITTABLE) if _free(page, k)][:3]
    assert len(free) == 3
    for key in free:
        x, y = page.evaluate(CENTRE_OF, key)
        page.touchscreen.tap(x, y)
        expect(page.locator(f'.seat[data-key="{key}"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#bar-count")).to_have_text("3 seats")
    for remove in page.locator("#selected-list .link-button").all():  # thumb-sized
        box = remove.bounding_box()
        assert box is not None
        assert min(box["width"], box["height"]) >= 44
    expect(page.locator("#bar-total")).to_have_text(re.compile(r"^from [\d.]+ CNY$"))
    expect(page.locator("#seat-continue")).to_be_enabled()
    bar = page.locator("#selection-bar").bounding_box()
    assert bar is not None
    assert bar["y"] + bar["height"] <= 740 + 1  # the bar is on screen, at the bottom
    page.screenshot(path=str(shots.folder / "chosen-viewport.png"))


def _free(page: Page, key: str) -> Any:
    return "taken" not in (page.locator(f'.seat[data-key="{key}"]').get_attribute("class") or "")

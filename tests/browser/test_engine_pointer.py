"""The seat map's pointer handling with a mouse and a pen, in every engine (issue 35, item 3):
zoomed in with its toolbar, a drag pans the map and chooses nothing, a tap on a seat chooses
it — the same Pointer Events code that serves touch (``test_seat_picker.py``, Chromium as a
phone), here driven by each engine's own input (WebDriver actions with a pointer type in
WebKit and Firefox, the DevTools protocol in Chromium), and the page seeing that pointer
type in its events."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.browser.engines import Driver, opened, wait_until
from tests.browser.journeys import ENGINES, chromium_for

# Firefox ESR's WebDriver has no pen ("Unimplemented pointerMove for pointerType pen"):
# there the pen's path is the mouse's and touch's Pointer Events code, shown in the others.
POINTERS = {"chromium": ("mouse", "pen"), "webkit": ("mouse", "pen"), "firefox": ("mouse",)}
CHOSEN = "document.querySelectorAll('#seatmap .seat.selected').length"
VIEW = "document.querySelector('svg.seatmap').getAttribute('viewBox')"


FREE_IN_VIEW = """(() => {
  const host = document.querySelector('#seatmap svg').getBoundingClientRect();
  for (const seat of document.querySelectorAll('#seatmap .seat:not(.taken):not(.selected)')) {
    const r = seat.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (r.left < host.left || r.right > host.right || r.top < Math.max(host.top, 0)
        || r.bottom > Math.min(host.bottom, innerHeight)) continue;
    if (document.elementFromPoint(x, y) === seat) return [seat.dataset.key, x, y];
  }
  return null;
})()"""


def _cinema_session(site: str, engine: str) -> int:
    """A showtime of its own per engine, later in the list than the other journeys use."""
    found = httpx.get(f"{site}/api/v1/sessions", params={"q": "cinema", "limit": 50}).json()
    ids = sorted(s["session"]["id"] for s in found)
    return ids[-1 - ENGINES.index(engine)]


def _centre_of_map(driver: Driver) -> tuple[int, int]:
    x, y = driver.evaluate(
        "(() => { const r = document.querySelector('#seatmap svg').getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    return round(x), round(y)


def _free_seat_in_view(driver: Driver) -> tuple[str, int, int]:
    """A free seat wholly inside the map's box that a tap at its centre hits."""
    found = driver.evaluate(FREE_IN_VIEW)
    assert found, f"{driver.engine}: no free seat in view"
    return str(found[0]), round(found[1]), round(found[2])


@pytest.mark.parametrize("engine", ENGINES)
def test_mouse_and_pen_pan_the_zoomed_map_and_choose_seats(
    engine: str, request: pytest.FixtureRequest, demo_site: str
) -> None:
    with opened(engine, 1366, 768, chromium=chromium_for(request, engine)) as driver:
        driver.goto(f"{demo_site}/sessions/{_cinema_session(demo_site, engine)}")
        wait_until(driver, "!!document.querySelector('#seatmap[data-ready]')", "the seat map")
        driver.evaluate("document.querySelector('#seatmap').scrollIntoView({block: 'start'}) || 1")
        for _ in range(2):
            driver.click("#zoom-in")
        scale = "Number(document.querySelector('svg.seatmap').dataset.scale)"
        wait_until(driver, f"{scale} > 1.5", "zoomed in")  # the hall allows 1.77
        driver.evaluate(
            "(window.seenPointers = []) && addEventListener('pointerdown',"
            " (e) => seenPointers.push(e.pointerType), true) || true"
        )
        for chosen, pointer in enumerate(POINTERS[engine], start=1):
            before = driver.evaluate(VIEW)
            x, y = _centre_of_map(driver)
            driver.drag([(x, y), (x - 40, y - 20), (x - 80, y - 40), (x - 120, y - 60)], pointer)
            wait_until(driver, f"{VIEW} !== {json.dumps(before)}", f"the {pointer} drag panned")
            assert driver.evaluate(CHOSEN) == chosen - 1, f"{engine}: a {pointer} drag chose"
            key, x, y = _free_seat_in_view(driver)
            driver.drag([(x, y)], pointer)  # a tap
            seat = f"document.querySelector('.seat[data-key=\"{key}\"]')"
            wait_until(driver, f"{seat}.ariaPressed === 'true'", f"{key} chosen by {pointer}")
            assert driver.evaluate(CHOSEN) == chosen
            seen = driver.evaluate("seenPointers")
            assert seen[-2:] == [pointer, pointer], f"{engine}: the page saw {seen}"
        count = "document.querySelector('#bar-count').textContent"
        chosen_text = f"{len(POINTERS[engine])} seat" + "s" * (len(POINTERS[engine]) > 1)
        wait_until(driver, f"{count} === {json.dumps(chosen_text)}", "the bar counting them")

"""What every engine journey shares (issue 35, NF4): the engines and widths, the ``driver``
fixture (one page of each engine at each width; registered in the browser conftest), a run's
number (so parallel runs pick their own seats and sessions), and the checks each page passes —
no sideways scroll, no script error, every control reachable with Tab."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.engines import Driver, opened, wait_until
from tests.browser.keyboard import unreachable

ENGINES = ("chromium", "webkit", "firefox")
WIDTHS = {360: 740, 1366: 768}
DOCS_SHOTS = os.environ.get("ADMIT_SCREENSHOTS_DIR", "")


@pytest.fixture(params=[(e, w) for e in ENGINES for w in WIDTHS], ids=lambda p: f"{p[0]}-{p[1]}")
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    engine, width = request.param
    with opened(engine, width, WIDTHS[width], chromium=chromium_for(request, engine)) as d:
        yield d


def chromium_for(request: pytest.FixtureRequest, engine: str) -> Browser | None:
    """Chromium (package-scoped) only where it is driven: a worker running the WebKit or the
    Firefox journeys (``tests/parallel.py``) never starts it."""
    return request.getfixturevalue("browser") if engine == "chromium" else None  # type: ignore[no-any-return]


def run_index(driver: Driver) -> int:
    """This engine × width's number, 0–5: each run its own seats, should they run at once."""
    width = driver.evaluate("innerWidth")
    return ENGINES.index(driver.engine) * len(WIDTHS) + list(WIDTHS).index(width)


def keep(driver: Driver, width: int, shot: Path) -> None:
    """With ``ADMIT_SCREENSHOTS_DIR`` (``make screenshots``), the 360 px pages go to docs."""
    if DOCS_SHOTS and width == 360:
        folder = Path(DOCS_SHOTS) / "engines"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, folder / f"{driver.engine}-{shot.name}")


def fits(driver: Driver, what: str) -> None:
    """No sideways scroll, and no script error or unhandled rejection so far on the page
    (``static/errors.js`` keeps them in ``window.admitErrors``)."""
    wait_until(driver, "document.readyState === 'complete'", f"{what} loaded")
    wide, inner = driver.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    if wide > inner:
        past = driver.evaluate(
            "[...document.querySelectorAll('body *')]"
            ".filter((e) => e.getBoundingClientRect().right > innerWidth)"
            ".map((e) => `${e.tagName}#${e.id}.${e.getAttribute('class')}`).slice(0, 8)"
        )
        raise AssertionError(
            f"{driver.engine}: {what} scrolls sideways ({wide} > {inner} px): {past}"
        )
    errors = driver.evaluate("window.admitErrors || []")
    assert errors == [], f"{driver.engine}: script errors on {what}: {errors}"


def reachable(driver: Driver, what: str) -> None:
    """Every control of the page can be reached with Tab (``tests/browser/keyboard.py``)."""
    missed = unreachable(driver)
    assert missed == [], f"{driver.engine}: Tab never reaches {missed} on {what}"

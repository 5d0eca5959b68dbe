"""Page tests: Playwright for Python drives Debian's Chromium (``/usr/bin/chromium``, installed
by ``.ci/run``) against a live ``admit demo`` server started here. A missing browser fails the
run, never skips it. Screenshots go to ``test-artifacts/screenshots/<test>/`` (not committed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from tests.browser.gate_site import gate_site  # noqa: F401 (a fixture: the gate's live server)
from tests.browser.journeys import driver  # noqa: F401 (a fixture: each engine at each width)
from tests.e2e.harness import running_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE: ViewportSize = {"width": 360, "height": 740}  # the phone of issue 32
DESKTOP: ViewportSize = {"width": 1366, "height": 768}
SIZES: dict[str, ViewportSize] = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium, launched once for the page tests in a row. Package-scoped, not session-scoped:
    while Playwright's sync API is open it runs an event loop in the main thread, beside which
    no asyncio test can run; so when an xdist worker or a random order moves on to another
    package the browser is closed, and launched again if page tests come back."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``admit demo`` on a fresh data dir (SQLite, demo catalogue, simulators and worker in
    process): the base URL."""
    with running_demo(tmp_path_factory.mktemp("site")) as base:
        yield base


@pytest.fixture(params=sorted(SIZES))
def viewport(request: pytest.FixtureRequest) -> str:
    """Run the test at phone (360×740, touch) and at desktop (1366×768) size."""
    name: str = request.param
    return name


@pytest.fixture
def context(browser: Browser, viewport: str) -> Iterator[BrowserContext]:
    phone = viewport == "phone"
    ctx = browser.new_context(viewport=SIZES[viewport], is_mobile=phone, has_touch=phone)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def take(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return Shots(ARTIFACTS / name)

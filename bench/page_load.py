"""Storefront page load: how long the 20,000-seat stadium's session page takes, in Debian's
Chromium, from the start of navigation until the seat map is drawn and clickable.

``python -m bench.page_load`` starts ``admit demo`` on a fresh data directory (SQLite, the
demo catalogue), then opens a stadium session's page again and again through Playwright with
the page tests' Chromium flags:

- **cold**: a new browser context for every load (empty HTTP cache, new connection);
- **warm**: one context, the page loaded again (static files and the map's geometry
  revalidated with their ETags);

at desktop (1366×768) and phone (390×844, touch) size. "Interactive" is the moment
``seatmap.js`` sets ``window.seatmapReady`` (``performance.now()``, whose zero is the start
of navigation): the sections are drawn and take clicks. Then it opens one section (400 seats)
and times that drawing too. Before that, each HTML page (home, search, the stadium's session
page) is fetched one request at a time to show the server's part. Prints tables; ``run()``
returns the rows for ``python -m bench``.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from rich.console import Console

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}
LOADS = int(os.environ.get("BENCH_PAGE_LOADS", "7"))
TARGET_MS = 2000.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server() -> Iterator[str]:
    """``admit demo`` on a fresh data dir: its base URL, once it answers."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="admit-pages-") as data:
        env = {**os.environ, "ADMIT_DATA_DIR": data, "ADMIT_LOG_LEVEL": "WARNING"}
        env.pop("ADMIT_DATABASE_URL", None)
        log = Path(data) / "server.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "admit", "demo", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(log.read_text())
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("admit demo did not start: " + log.read_text()[-2000:])
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def stadium_session(base: str) -> int:
    found = httpx.get(f"{base}/api/v1/sessions", params={"q": "football"}).json()
    return int(found[0]["session"]["id"])


def _load(page: Page, url: str) -> dict[str, float]:
    page.goto(url)
    page.wait_for_function("window.seatmapReady !== undefined", timeout=60_000)
    ready = float(page.evaluate("window.seatmapReady"))
    dom = float(
        page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    )
    section = float(
        page.evaluate(
            "(() => { const t = performance.now(); window.admitSeatMap.showSection(0);"
            " return performance.now() - t; })()"
        )
    )
    assert page.locator(".seatmap .seat").count() == 400
    return {"ready": ready, "dom": dom, "section": section}


def measure(browser: Browser, url: str, size: str, *, warm: bool) -> list[dict[str, float]]:
    out = []
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone") if warm else None
    try:
        if context is not None:
            _load(context.new_page(), url)  # fills the cache; not counted
        for _ in range(LOADS):
            if context is None:
                fresh = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone")
                try:
                    out.append(_load(fresh.new_page(), url))
                finally:
                    fresh.close()
            else:
                page = context.new_page()
                out.append(_load(page, url))
                page.close()
    finally:
        if context is not None:
            context.close()
    return out


def _row(size: str, cache: str, loads: list[dict[str, float]]) -> dict[str, Any]:
    ready = sorted(x["ready"] for x in loads)
    return {
        "backend": "sqlite ×1",
        "what": f"stadium page to interactive, {size}, {cache} cache",
        "pages": len(loads),
        "p50_ms": round(statistics.median(ready), 1),
        "p95_ms": round(ready[-1], 1),  # the slowest of a handful of loads
        "p99_ms": round(ready[-1], 1),
        "min_ms": round(ready[0], 1),
        "dom_content_loaded_p50_ms": round(statistics.median(x["dom"] for x in loads), 1),
        "open_section_p50_ms": round(statistics.median(x["section"] for x in loads), 1),
        "target_ms": TARGET_MS,
        "errors": 0,
    }


PAGES = {
    "home": "/",
    "search ?q=football": "/search?q=football",
    "search, all sessions": "/search",
    "stadium session page (HTML only)": "/sessions/{sid}",
}
PAGE_REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", "30"))


def server_times(base: str, sid: int) -> list[dict[str, Any]]:
    """Each HTML page fetched one request at a time (no concurrency): the server's time to
    build it, as the visitor waits for it before the browser can start."""
    rows = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, path in PAGES.items():
            url = path.format(sid=sid)
            client.get(url).raise_for_status()  # warm the process
            times = []
            for _ in range(PAGE_REQUESTS):
                started = time.perf_counter()
                client.get(url).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            rows.append(
                {
                    "backend": "sqlite ×1",
                    "what": f"page {name}, one at a time",
                    "requests": len(times),
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                    "p99_ms": round(times[-1], 1),
                    "min_ms": round(times[0], 1),
                    "errors": 0,
                }
            )
    return rows


def run() -> list[dict[str, Any]]:
    rows = []
    with demo_server() as base, sync_playwright() as pw:
        sid = stadium_session(base)
        url = f"{base}/sessions/{sid}"
        rows.extend(server_times(base, sid))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            for size in SIZES:
                for cache in ("cold", "warm"):
                    loads = measure(browser, url, size, warm=cache == "warm")
                    rows.append(_row(size, cache, loads))
        finally:
            browser.close()
    return rows


HEADER = (
    "| size, cache | loads | interactive p50 ms | min | max | DOMContentLoaded p50 "
    "| open a section p50 |\n|---|---:|---:|---:|---:|---:|---:|"
)


def main() -> None:
    console = Console(highlight=False, soft_wrap=True)
    rows = run()
    console.print("| page | requests | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|")
    for r in rows:
        if "requests" in r:
            console.print(
                f"| {r['what']} | {r['requests']} | {r['p50_ms']:,.1f} | {r['p95_ms']:,.1f} | "
                f"{r['p99_ms']:,.1f} |"
            )
    console.print(HEADER)
    for r in rows:
        if "requests" in r:
            continue
        console.print(
            f"| {r['what']} | {r['pages']} | {r['p50_ms']:,.0f} | {r['min_ms']:,.0f} | "
            f"{r['p99_ms']:,.0f} | {r['dom_content_loaded_p50_ms']:,.0f} | "
            f"{r['open_section_p50_ms']:,.0f} |"
        )


if __name__ == "__main__":
    main()

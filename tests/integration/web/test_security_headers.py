"""Security headers on every response (``admit.http.security_headers``), on SQLite and
PostgreSQL: every page route of the app (found in ``app.routes``) called with real ids by a
signed-in buyer with a paid order, the JSON API, static files, error pages, the API docs and
the simulators; HSTS only over https."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.http.security_headers import DOCS, SIMULATORS, STRICT
from tests.integration.catalog.catalog_factories import ok
from tests.integration.sales.conftest import Bank, consistent  # noqa: F401 (after every test)
from tests.integration.sales.sale_factories import ROW_A, on_sale
from tests.integration.web.checkout_flows import (
    hold,
    location,
    orders_of,
    path_of,
    pay_key,
    signed_in_buyer,
)
from tests.integration.web.test_malformed_input import page_routes

# The test runtime's settings name no bank: the simulator is at this server's own address.
STRICT_HERE = f"{STRICT} http://127.0.0.1:8000"
COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def policy_for(path: str) -> str:
    if path.startswith("/_sim/"):
        return SIMULATORS
    if path.startswith(("/docs", "/redoc")):
        return DOCS
    return STRICT_HERE


def header_problems(method: str, url: str, response: httpx.Response) -> list[str]:
    path = path_of(url).split("?")[0]
    wanted = {**COMMON, "content-security-policy": policy_for(path)}
    found = [
        f"{method} {url} ({response.status_code}): {name} = {response.headers.get(name)!r}"
        for name, value in wanted.items()
        if response.headers.get(name) != value
    ]
    if "strict-transport-security" in response.headers:
        found.append(f"{method} {url}: HSTS over plain http")
    return found


async def _paid_order(
    web: httpx.AsyncClient, runtime: Runtime, bank: Bank, sid: int
) -> tuple[int, str]:
    """(the hold, its order number) of a buyer who paid for one seat."""
    cid = await signed_in_buyer(runtime, web, "13700000090")
    hold_id = await hold(web, sid, ROW_A[:1])
    page = await web.get(f"/checkout/{hold_id}")
    form = {"key": pay_key(page.text), "ticket_type": "adult"}
    to_bank = location(await web.post(f"/checkout/{hold_id}/pay", data=form))
    [(number, _)] = await orders_of(runtime, cid)
    await bank.decide(to_bank, "approve")
    await bank.settled()
    return hold_id, number


async def test_every_page_route_answers_with_the_security_headers(
    app: FastAPI,
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    event_id = ok(await admin.get(f"/api/v1/sessions/{sid}"))["event"]["id"]
    hold_id, number = await _paid_order(web, runtime, bank, sid)
    ids = {
        "session_id": sid,
        "event_id": event_id,
        "hold_id": hold_id,
        "number": number,
        "identity_id": 1,
        "provider": "demo-id",
        "address_id": 1,
        "product_id": 1,
        "customer_id": 1,
        "pickup_id": 1,
        "shift_id": 1,
    }
    routes = page_routes(app)
    assert len(routes) >= 30  # the discovery found the storefront, account, checkout, gate
    problems: list[str] = []
    pages_seen = 0
    for method, template in routes:
        url = re.sub(r"\{([^}]+)\}", lambda m: str(ids[m.group(1)]), template)
        response = await web.request(method, url)
        assert response.status_code < 500, (method, url, response.text[:300])
        problems += header_problems(method, url, response)
        if method == "GET" and response.headers.get("content-type", "").startswith("text/html"):
            pages_seen += 1
    # Beyond the routes: the JSON API, a static file, a 404 page, a 404 from the API.
    for url in ("/api/v1/sessions", "/static/site.css", "/no/such/page", "/api/v1/nope"):
        problems += header_problems("GET", url, await web.get(url))
    assert problems == []
    assert pages_seen >= 15  # each HTML page answered as a page, with real ids


async def test_the_html_pages_need_nothing_the_strict_policy_blocks(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """No inline script, no event-handler or style attribute, no ``<style>`` element: the
    strict policy would block them (the browser test shows no violation in Chromium)."""
    sid = await on_sale(admin, clock)
    await signed_in_buyer(runtime, web, "13700000091")
    hold_id = await hold(web, sid, ROW_A[:2])
    pages = ["/", "/search?q=a", f"/sessions/{sid}", f"/checkout/{hold_id}", "/account", "/gate/"]
    pages.append("/counter/login")
    for url in pages:
        text = (await web.get(url)).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == [], url
        assert re.findall(r"\s(?:style|on[a-z]+)\s*=", text) == [], url
        assert "<style" not in text, url

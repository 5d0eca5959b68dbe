"""A counter sale in Chromium (issue 19, acceptance): kiosk staff sign in at /counter/login,
find the session, tick two seats, verify a holder's ID through the identity simulator, order,
take cash with the keyboard alone, and the tickets are issued — the QR of an issued ticket
verifies with the organiser's published key; then print them on the outlet's ticket printer
(the printer simulator on raw TCP, which the demo server connects to): the simulator received
both tickets, and the QR in each verifies. A disabled outlet's clerk gets a clear refusal on
the page and at sign-in."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from admit.sims.police import demo_population
from admit.sims.printer import PrinterSim
from admit.ticketing import qr_payload
from tests.browser.conftest import DESKTOP, Shots
from tests.browser.gate_site import GateSite, ok

PASSWORD = "Counter clerk pass 9!"


def _clerk(site: GateSite, outlet: str) -> str:
    username = f"kiosk-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=site.base, headers=site.admin, timeout=30) as http:
        ok(
            http.post(
                "/api/v1/admin/staff",
                json={
                    "username": username,
                    "password": PASSWORD,
                    "grants": [{"role": "kiosk_staff", "scope": "outlet", "scope_id": outlet}],
                },
            ),
            201,
        )
    return username


@contextlib.contextmanager
def printer_on_tcp() -> Iterator[PrinterSim]:
    """The printer simulator on its own event loop in a thread, listening on 127.0.0.1."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sim = PrinterSim()
    asyncio.run_coroutine_threadsafe(sim.start(), loop).result(timeout=30)
    try:
        yield sim
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def _register_printer(site: GateSite, outlet: str, sim: PrinterSim) -> str:
    code = f"{outlet}-P1"
    with httpx.Client(base_url=site.base, headers=site.admin, timeout=30) as http:
        ok(
            http.post(
                "/api/v1/admin/printers",
                json={
                    "code": code,
                    "outlet": outlet,
                    "name": "Kiosk printer",
                    "host": "127.0.0.1",
                    "port": sim.port,
                    "thermal": True,
                },
            ),
            201,
        )
    return code


def _sign_in(page: Page, site: GateSite, username: str) -> None:
    page.goto(f"{site.base}/counter/")
    expect(page.locator("#username")).to_be_focused()  # the redirect to the sign-in form
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def _verifies(site: GateSite, code: str, qr: str) -> qr_payload.TicketClaims:
    with sqlite3.connect(site.data / "admit.db") as db:
        (organiser,) = db.execute(
            "SELECT organiser_id FROM ticket WHERE code = ?", (code,)
        ).fetchone()
    keys = ok(httpx.get(f"{site.base}/api/v1/organisers/{organiser}/ticket-keys", timeout=30))
    public = {
        k["kid"]: base64.urlsafe_b64decode(k["public_key"] + "=" * (-len(k["public_key"]) % 4))
        for k in keys
    }
    _, claims = qr_payload.verify(qr, public)
    return claims


@pytest.fixture
def printer() -> Iterator[PrinterSim]:
    with printer_on_tcp() as sim:
        yield sim


def test_a_counter_sale_with_the_keyboard(
    gate_site: GateSite, browser: Browser, shots: Shots, printer: PrinterSim
) -> None:
    site = gate_site
    username = _clerk(site, "BO-G")
    event = ok(httpx.get(f"{site.base}/api/v1/sessions/{site.session_id}", timeout=30))
    number, name = next(iter(demo_population(1000, seed=1).items()))
    _register_printer(site, "BO-G", printer)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        _sign_in(page, site, username)
        expect(page.locator("#counter-who")).to_contain_text(f"(BO-G) · {username}")
        expect(page.locator("#q")).to_be_focused()
        shots.take(page, "signed-in")

        page.keyboard.type(event["event"]["name"])
        page.keyboard.press("Enter")
        row = page.locator(f'[data-session="{site.session_id}"]')
        expect(row).to_be_visible()
        assert int(row.locator(".remaining").inner_text()) > 0
        shots.take(page, "found")
        row.locator("a").focus()
        page.keyboard.press("Enter")

        expect(page.locator("#quantity")).to_be_focused()
        boxes = page.locator("#seat-list input[type=checkbox]")
        seats = [boxes.nth(i).get_attribute("value") for i in (4, 5)]
        boxes.nth(4).focus()
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        shots.take(page, "seats-ticked")
        page.click("#hold")

        expect(page.locator("#hold-lines li")).to_have_count(2)
        assert [
            page.locator("#hold-lines li").nth(i).get_attribute("data-seat") for i in (0, 1)
        ] == seats
        page.fill("#name-0", name)
        page.fill("#number-0", number)
        page.keyboard.press("Enter")
        expect(page.locator("#check-result")).to_have_attribute("data-status", "verified")
        expect(page.locator("#line-0 .holder")).to_be_visible()
        shots.take(page, "id-verified")
        expect(page.locator("#place-order")).to_be_focused()
        page.keyboard.press("Enter")

        expect(page.locator("#received")).to_be_focused()
        expect(page.locator("#order-lines tbody tr").first).to_contain_text(name[0] + "*")
        shots.take(page, "take-cash")
        page.keyboard.press("Enter")  # the amount due is filled in: exact cash

        expect(page.locator("#change")).to_have_text("0.00 CNY")
        tickets = page.locator("#tickets li")
        expect(tickets).to_have_count(2)
        expect(page.locator("#tickets-pdf")).to_be_focused()
        shots.take(page, "tickets-issued")
        code = tickets.first.get_attribute("data-ticket") or ""
        qr = tickets.first.get_attribute("data-qr") or ""
        claims = _verifies(site, code, qr)
        assert (claims.code, claims.session_id) == (code, site.session_id)
        assert claims.seat in seats

        pdf = page.request.get(
            f"{site.base}/counter/orders/{page.url.split('/')[-1].split('?')[0]}/tickets.pdf"
        )
        assert pdf.status == 200
        assert pdf.body().startswith(b"%PDF-")
        # The outlet's ticket printer: the tickets come out of it, each QR verifying.
        codes = {tickets.nth(i).get_attribute("data-ticket") for i in (0, 1)}
        page.click("#print-thermal")
        expect(page.locator("#print-result")).to_have_attribute("data-result", "printed")
        expect(page.locator("#print-result")).to_contain_text("Printed 2 tickets")
        shots.take(page, "printed")
        deadline = time.monotonic() + 30
        while len(printer.printed) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(printer.printed) == 2
        printed = [_verifies(site, code, job.qr_codes[0]) for job in printer.printed]
        assert {c.code for c in printed} == codes
        assert all(c.session_id == site.session_id for c in printed)
    finally:
        context.close()


def test_a_disabled_outlets_clerk_is_refused_clearly(
    gate_site: GateSite, browser: Browser, shots: Shots
) -> None:
    site = gate_site
    outlet = f"BO-{uuid.uuid4().hex[:6].upper()}"
    with httpx.Client(base_url=site.base, headers=site.admin, timeout=30) as http:
        made = ok(
            http.post(
                "/api/v1/admin/outlets",
                json={"channel": "box_office", "code": outlet, "name": "Side kiosk"},
            ),
            201,
        )
    username = _clerk(site, outlet)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        _sign_in(page, site, username)
        expect(page.locator("#counter-who")).to_contain_text(outlet)
        with httpx.Client(base_url=site.base, headers=site.admin, timeout=30) as http:
            ok(http.put(f"/api/v1/admin/outlets/{made['id']}/enabled", json={"enabled": False}))
        page.goto(f"{site.base}/counter/sessions/{site.session_id}")
        refusal = page.locator("[data-error-code]")
        expect(refusal).to_have_attribute("data-error-code", "outlet_disabled")
        expect(page.locator("#refusal-message")).to_contain_text("switched off: it cannot sell")
        shots.take(page, "outlet-disabled")

        context.clear_cookies()
        _sign_in(page, site, username)
        expect(page.locator("#form-problem")).to_have_attribute(
            "data-error-code", "outlet_disabled"
        )
        expect(page.locator("#form-problem")).to_contain_text(outlet)
        shots.take(page, "sign-in-refused")
    finally:
        context.close()

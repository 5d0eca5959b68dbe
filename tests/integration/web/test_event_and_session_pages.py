"""The storefront's event and session pages through the ASGI client, on SQLite and PostgreSQL:
prices, sale status (not yet, on sale, sold out, ended), what the website may still sell, the
seat-map hand-off form, preselected seats and flash messages."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.integration.catalog.catalog_factories import ok
from tests.integration.sales.sale_factories import customers_with_tokens, on_sale
from tests.integration.web.browse_pages import map_config, second_session, text_of


async def test_event_page_lists_its_sessions_to_come(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    event_id = ok(await admin.get(f"/api/v1/sessions/{sid}"))["event"]["id"]
    other = await second_session(admin, sid)
    page = await admin.get(f"/events/{event_id}")
    assert page.status_code == 200
    assert "<h1>Night Film</h1>" in page.text
    assert re.findall(r'href="/sessions/(\d+)"', page.text) == [str(other), str(sid)]
    words = text_of(page)
    assert "On sale 20 left from 50.00 CNY" in words
    assert "Not sold online" in words  # the second session has no website window


async def test_session_page_shows_prices_status_remaining_and_the_checkout_forms(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, limit=4)
    page = await admin.get(f"/sessions/{sid}")
    assert page.status_code == 200
    words = text_of(page)
    assert "Night Film" in words
    assert "Grand Cinema" in words
    assert "Wed 02 Dec 2026, 03:30" in words
    assert "On sale 20 tickets left · up to 4 per person" in words
    assert "Level Adult Left Front (A) 80.00 CNY 10 Back (B) 50.00 CNY 10" in words
    assert page.text.count('action="/checkout/hold"') == 2  # the map's form and best available
    assert f'<input type="hidden" name="session_id" value="{sid}">' in page.text
    assert '<option value="A" >Front · from 80.00 CNY</option>' in page.text
    assert [int(n) for n in re.findall(r'<option value="(\d+)"', page.text)] == [1, 2, 3, 4]
    assert map_config(page) == {
        "session": sid,
        "channel": "web",
        "limit": 4,
        "selected": [],
        "stage": "",
        "pitch": "",
        "levels": {
            "A": {
                "name": "Front",
                "color": "#3b82f6",
                "price": "adult 80.00 CNY",
                "amount": 8000,
                "currency": "CNY",
                "left": 10,
            },
            "B": {
                "name": "Back",
                "color": "#3b82f6",
                "price": "adult 50.00 CNY",
                "amount": 5000,
                "currency": "CNY",
                "left": 10,
            },
        },
    }
    assert "Hall Stalls A, B 20 of 20" in words  # the text alternative: seats by section
    assert re.search(r'<script src="/static/seatmap.js\?v=[0-9a-f]{10}" defer>', page.text)


async def test_session_page_shows_what_the_website_may_still_sell(
    admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock, quota_a=3)
    (buyer,) = await customers_with_tokens(runtime, 1)
    held = await admin.post(
        f"/api/v1/sessions/{sid}/holds",
        json={"seats": ["L1-HALL-C-1", "L1-HALL-C-2"]},
        headers=buyer,
    )
    assert held.status_code == 201, held.text
    words = text_of(await admin.get(f"/sessions/{sid}"))
    assert "On sale 11 tickets left" in words  # A: quota 3 of 10 free; B: 8 of 10 free
    assert "Front (A) 80.00 CNY 3 Back (B) 50.00 CNY 8" in words
    assert "Hall Stalls A, B 18 of 20" in words


async def test_sale_status_not_yet_sold_out_and_ended(
    admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock, quota_a=2)
    clock.advance(timedelta(hours=-2))  # back to T0: the website's window opens at T0 + 1 h
    page = await admin.get(f"/sessions/{sid}")
    words = text_of(page)
    assert "Not on sale yet" in words
    assert "Tickets go on sale on Sun 22 Nov 2026, 17:00 ." in words
    assert 'action="/checkout/hold"' not in page.text
    assert "seatmap.js" not in page.text

    clock.advance(timedelta(hours=2))
    buyers = await customers_with_tokens(runtime, 3)
    for buyer, seats in zip(
        buyers,
        (
            ["L1-HALL-A-1", "L1-HALL-A-2"],
            ["L1-HALL-C-1", "L1-HALL-C-2", "L1-HALL-C-3", "L1-HALL-C-4"],
            ["L1-HALL-C-5", "L1-HALL-D-1", "L1-HALL-D-2", "L1-HALL-D-3"],
        ),
        strict=True,
    ):
        r = await admin.post(f"/api/v1/sessions/{sid}/holds", json={"seats": seats}, headers=buyer)
        assert r.status_code == 201, r.text
    more = await customers_with_tokens(runtime, 1, first=3)
    r = await admin.post(
        f"/api/v1/sessions/{sid}/holds",
        json={"seats": ["L1-HALL-D-4", "L1-HALL-D-5"]},
        headers=more[0],
    )
    assert r.status_code == 201, r.text
    page = await admin.get(f"/sessions/{sid}")
    words = text_of(page)
    assert "Sold out" in words
    assert "Every ticket this website sells for this session has been sold." in words
    assert 'action="/checkout/hold"' not in page.text

    clock.advance(timedelta(days=6))  # past the window's end (T0 + 5 days)
    words = text_of(await admin.get(f"/sessions/{sid}"))
    assert "Sale ended" in words
    assert "Tickets for this session are no longer sold." in words


async def test_session_page_preselects_seats_given_after_signing_in(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, limit=2)
    page = await admin.get(
        f"/sessions/{sid}",
        params={"seats": "L1-HALL-A-1,L1-HALL-A-1,bad<key>,L1-HALL-A-2,L1-HALL-A-3"},
    )
    assert page.status_code == 200
    assert re.findall(r'<input type="hidden" name="seat" value="([^"]+)">', page.text) == [
        "L1-HALL-A-1",
        "L1-HALL-A-2",
    ]
    assert map_config(page)["selected"] == ["L1-HALL-A-1", "L1-HALL-A-2"]
    best = await admin.get(f"/sessions/{sid}", params={"level": "B", "quantity": "2"})
    assert '<option value="B" selected>' in best.text
    assert '<option value="2" selected>2</option>' in best.text


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("seats_taken", "Sorry, some of those seats were just taken. Please pick others."),
        ("limit_exceeded", "That is more tickets than one person may buy for this session."),
        ("not_on_sale", "Tickets for this session are not on sale right now."),
        ("hold_expired", "Your seats were held for a limited time and that time ran out."),
        ("payment_declined", "Your payment was declined and the seats were released."),
    ],
)
async def test_a_refused_choice_comes_back_with_a_friendly_message(
    admin: httpx.AsyncClient, clock: FixedClock, code: str, text: str
) -> None:
    sid = await on_sale(admin, clock)
    page = await admin.get(f"/sessions/{sid}", params={"msg": code})
    assert page.status_code == 200
    assert text in text_of(page)
    assert 'class="flash flash-error" role="alert"' in page.text


async def test_unknown_message_codes_show_nothing_and_are_never_echoed(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    page = await admin.get(f"/sessions/{sid}", params={"msg": "<script>alert(1)</script>"})
    assert page.status_code == 200
    assert 'role="alert"' not in page.text
    assert 'class="flash flash-' not in page.text.replace('id="holding-note" class="flash', "")
    assert "alert(1)" not in page.text

"""The checkout pages through the ASGI client, on SQLite and PostgreSQL: the seat map's
hand-off to checkout, paying on the bank simulator and coming back, declines, the waiting
page, expiry, ticket types, a waiting room's admission, malformed input."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.integration.sales.conftest import Bank, consistent  # noqa: F401 (after every test)
from tests.integration.sales.sale_factories import ROW_A, ROW_B, on_sale, states
from tests.integration.web.checkout_flows import (
    browser,
    counts,
    hold,
    location,
    orders_of,
    path_of,
    pay_key,
    signed_in_buyer,
)

# --- from the seat map to the hold ---------------------------------------------------------


async def test_a_visitor_signs_in_first_and_comes_back_to_hold_the_choice(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    seats = await web.post("/checkout/hold", data={"session_id": str(sid), "seat": ROW_A[:2]})
    target = location(seats)
    assert urlsplit(target).path == "/login"
    back = f"/sessions/{sid}?seats={ROW_A[0]}%2C{ROW_A[1]}&go=1"
    assert parse_qs(urlsplit(target).query) == {"next": [back]}
    best = await web.post(
        "/checkout/hold", data={"session_id": str(sid), "level": "B", "quantity": "3"}
    )
    assert parse_qs(urlsplit(location(best)).query) == {
        "next": [f"/sessions/{sid}?level=B&quantity=3&go=1"]
    }
    login_page = await web.get(target)
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in login_page.text
    # Back on the session page, the chosen form is sent at once (resume.js): the seat form
    # for seats, best available for a level; a plain visit sends nothing.
    resumed = (await web.get(back)).text
    assert re.search(r'<form id="seat-form"[^>]* data-resume>', resumed)
    assert "resume.js" in resumed
    resumed = (await web.get(f"/sessions/{sid}?level=B&quantity=3&go=1")).text
    assert re.search(r'<form [^>]*id="best-form" data-resume>', resumed)
    assert '<option value="3" selected>3</option>' in resumed
    plain = (await web.get(f"/sessions/{sid}?seats={ROW_A[0]}")).text
    assert "data-resume" not in plain
    assert "resume.js" not in plain
    assert await counts(runtime) == (0, 0)


async def test_refused_holds_go_back_to_the_map_with_the_reason_and_hold_nothing(
    app: FastAPI, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, limit=2)
    before = await states(admin, sid)
    async with browser(app) as ana, browser(app) as bo:
        await signed_in_buyer(runtime, ana, "13700000010")
        await signed_in_buyer(runtime, bo, "13700000011")
        first = await hold(ana, sid, ROW_A[:2])
        taken = await bo.post("/checkout/hold", data={"session_id": str(sid), "seat": ROW_A[1:3]})
        # Back to the map with the reason and the choice (the free seat stays chosen there).
        assert location(taken) == (f"/sessions/{sid}?msg=seats_taken&seats={ROW_A[1]}%2C{ROW_A[2]}")
        over = await bo.post("/checkout/hold", data={"session_id": str(sid), "seat": ROW_B[:3]})
        assert location(over) == (
            f"/sessions/{sid}?msg=limit_exceeded&seats={'%2C'.join(ROW_B[:3])}"
        )
        empty = await bo.post("/checkout/hold", data={"session_id": str(sid)})
        assert location(empty) == f"/sessions/{sid}?msg=no_seats"
        assert await counts(runtime) == (1, 0)
        after = await states(admin, sid)
        assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [0, 1]
        # Releasing from the checkout page gives the seats back at once.
        released = await ana.post(f"/checkout/{first}/release")
        assert location(released) == f"/sessions/{sid}?msg=payment_cancelled"
        assert await states(admin, sid) == before


async def test_a_buyer_who_wanders_off_is_shown_their_hold_and_a_cancelled_one_says_so(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    assert (await web.get(f"/checkout/holding/{sid}")).status_code == 204  # not signed in
    await signed_in_buyer(runtime, web, "13700000012")
    assert (await web.get(f"/checkout/holding/{sid}")).status_code == 204  # holding nothing
    hold_id = await hold(web, sid, ROW_B[:2])
    page = await web.get(f"/checkout/{hold_id}")
    assert page.headers["cache-control"] == "no-store"  # Back never shows a stale countdown
    holding = await web.get(f"/checkout/holding/{sid}")
    assert holding.headers["cache-control"] == "no-store, private"
    body = holding.json()
    assert (body["hold"], body["quantity"], body["checkout"]) == (
        hold_id,
        2,
        f"/checkout/{hold_id}",
    )
    assert 0 < body["seconds_left"] <= 15 * 60
    assert 'id="holding-note"' in (await web.get(f"/sessions/{sid}")).text
    # Cancelled: the hold's page, reached again (Back), says it was cancelled.
    await web.post(f"/checkout/{hold_id}/release")
    assert (await web.get(f"/checkout/holding/{sid}")).status_code == 204
    again = location(await web.get(f"/checkout/{hold_id}"))
    assert again == f"/sessions/{sid}?msg=hold_cancelled"
    assert "You cancelled this hold" in (await web.get(again)).text


# --- checkout and payment ------------------------------------------------------------------


async def test_buy_pay_on_the_bank_and_get_the_e_tickets(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    cid = await signed_in_buyer(runtime, web, "13700000020")
    hold_id = await hold(web, sid, [ROW_A[0], ROW_A[1]])
    page = await web.get(f"/checkout/{hold_id}")
    assert page.status_code == 200
    text = page.text
    assert "HALL · Row A · Seat 1" in text or "Row A · Seat 1" in text
    assert text.count('class="held-item"') == 2
    assert 'id="total">160.00 CNY<' in text
    assert 'data-seconds-left="900"' in text
    assert '<time id="hold-deadline" datetime="2026-11-22T10:15:00+00:00">18:15</time>' in text
    assert "real-name-note" not in text

    key = pay_key(text)
    form = {"key": key, "ticket_type": ["adult", "adult"]}
    to_bank = location(await web.post(f"/checkout/{hold_id}/pay", data=form))
    assert to_bank.startswith("http://bank.test/pay/")
    again = location(await web.post(f"/checkout/{hold_id}/pay", data=form))
    assert again == to_bank  # a double submit: one order, one trade
    [(number, status)] = await orders_of(runtime, cid)
    assert status == "pending_payment"
    assert len(await bank.trades()) == 1

    back = await bank.decide(to_bank, "approve")
    assert back.status_code == 303
    returned = path_of(back.headers["location"])
    assert returned.startswith(f"/checkout/orders/{number}/return?out_trade_no={number}P1")
    confirmed = await web.get(returned)
    assert location(confirmed) == f"/account/orders/{number}?msg=paid"
    await bank.settled()

    order = await web.get(f"/account/orders/{number}?msg=paid")
    assert order.status_code == 200
    assert "Thank you! Your payment went through." in order.text
    assert order.text.count('class="card e-ticket"') == 2
    assert order.text.count('class="admit-qr"><title>Ticket QR code</title>') == 2
    assert f'href="/account/orders/{number}/tickets.pdf"' in order.text
    assert 'id="order-status">Paid<' in order.text
    pdf = await web.get(f"/account/orders/{number}/tickets.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    account = await web.get("/account")
    paid_group = account.text.split('id="orders-paid"')[1].split("</section>")[0]
    assert f"Order {number} · 2 tickets · 160.00 CNY" in paid_group
    assert (await web.get(f"/checkout/{hold_id}")).headers["location"] == (
        f"/account/orders/{number}"
    )
    assert await orders_of(runtime, cid) == [(number, "paid")]


async def test_a_declined_payment_goes_back_to_the_map_with_the_seats_released(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    before = await states(admin, sid)
    cid = await signed_in_buyer(runtime, web, "13700000030")
    hold_id = await hold(web, sid, ROW_B[:2])
    assert await states(admin, sid) != before
    page = await web.get(f"/checkout/{hold_id}")
    to_bank = location(
        await web.post(
            f"/checkout/{hold_id}/pay",
            data={"key": pay_key(page.text), "ticket_type": ["adult", "adult"]},
        )
    )
    back = await bank.decide(to_bank, "decline")
    declined = await web.get(path_of(back.headers["location"]))
    assert location(declined) == f"/sessions/{sid}?msg=payment_declined"
    await bank.settled()
    assert await states(admin, sid) == before
    [(_, status)] = await orders_of(runtime, cid)
    assert status == "cancelled"
    assert location(await web.get(f"/checkout/{hold_id}")) == f"/sessions/{sid}?msg=hold_expired"


async def test_the_return_before_the_bank_decides_shows_a_waiting_page(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    cid = await signed_in_buyer(runtime, web, "13700000040")
    hold_id = await hold(web, sid, ROW_A[:1])
    page = await web.get(f"/checkout/{hold_id}")
    to_bank = location(
        await web.post(
            f"/checkout/{hold_id}/pay", data={"key": pay_key(page.text), "ticket_type": "adult"}
        )
    )
    [(number, _)] = await orders_of(runtime, cid)
    waiting = await web.get(f"/checkout/orders/{number}/return")
    assert waiting.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert "Waiting for the bank" in waiting.text
    # The payer comes back to the order later and pays from there: the same trade.
    again = location(await web.post(f"/checkout/orders/{number}/pay"))
    assert again == to_bank
    await bank.decide(to_bank, "approve")
    assert location(await web.get(f"/checkout/orders/{number}/return")) == (
        f"/account/orders/{number}?msg=paid"
    )
    await bank.settled()


async def test_an_expired_hold_goes_back_to_the_map_and_cannot_be_ordered(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
) -> None:
    sid = await on_sale(admin, clock)
    await signed_in_buyer(runtime, web, "13700000050")
    hold_id = await hold(web, sid, ROW_A[:1])
    page = await web.get(f"/checkout/{hold_id}")
    clock.advance(timedelta(minutes=15))
    assert location(await web.get(f"/checkout/{hold_id}")) == f"/sessions/{sid}?msg=hold_expired"
    late = await web.post(
        f"/checkout/{hold_id}/pay", data={"key": pay_key(page.text), "ticket_type": "adult"}
    )
    assert location(late) == f"/sessions/{sid}?msg=hold_expired"
    assert await counts(runtime) == (1, 0)


async def test_wrong_ticket_types_are_shown_on_the_checkout_page_and_order_nothing(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    await signed_in_buyer(runtime, web, "13700000060")
    hold_id = await hold(web, sid, ROW_A[:2])
    page = await web.get(f"/checkout/{hold_id}")
    key = pay_key(page.text)
    unknown = await web.post(
        f"/checkout/{hold_id}/pay", data={"key": key, "ticket_type": ["adult", "vip"]}
    )
    assert unknown.status_code == 400
    assert 'id="checkout-problem">No &#39;vip&#39; price for L1-HALL-A-2.<' in unknown.text
    short = await web.post(f"/checkout/{hold_id}/pay", data={"key": key, "ticket_type": "adult"})
    assert short.status_code == 400
    assert "Choose a ticket type (and a holder) for every ticket." in short.text
    assert await counts(runtime) == (1, 0)


MY_FORMS = {
    "/checkout/hold": ["session_id", "seat", "level", "quantity", "area", "key"],
    "/checkout/{hold}/pay": ["key", "ticket_type", "holder"],
    "/checkout/{hold}/release": [],
    "/login": ["login", "password", "next"],
    "/register/code": ["login", "next"],
    "/register": ["login", "code", "password", "next"],
    "/account/holders": ["doc_type", "number", "name", "whose", "nationality", "visa_expires"],
}
NASTY = ["\x00", "%ff", "-1", "99999999999999999999999", "é" * 300, ""]


async def test_bad_form_input_gets_a_4xx_or_3xx_page_never_a_500_and_changes_nothing(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    await signed_in_buyer(runtime, web, "13700000100")
    hold_id = await hold(web, sid, ROW_A[:1])
    before = await states(admin, sid)
    # Well-formed but never enough for a purchase (no seats chosen, no such ticket type).
    valid = {"session_id": str(sid), "key": "abcdefghijk", "ticket_type": "vip"}
    for path, fields in MY_FORMS.items():
        url = path.format(hold=hold_id)
        if url.endswith("/release"):
            continue  # would rightly release the hold
        for field in fields:
            for nasty in NASTY:
                response = await web.post(url, data={**valid, field: nasty})
                assert 300 <= response.status_code < 500, (url, field, nasty)
                assert "Traceback" not in response.text
        raw = await web.post(
            url,
            content=b"session_id=%ff&seat=%00&key=\xff\xfe&ticket_type=%C0%AF",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert 300 <= raw.status_code < 500, url
    for path in ("/checkout/{}", "/checkout/orders/{}/return", "/account/orders/{}"):
        for nasty in ("%00", "-1", "99999999999999999999999", "%C3%A9", "x" * 3000):
            response = await web.get(path.format(nasty))
            assert 300 <= response.status_code < 500, (path, nasty)
    assert await states(admin, sid) == before
    assert await counts(runtime) == (1, 0)


async def test_a_session_behind_a_waiting_room_needs_the_queues_admission_cookie(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    room = await admin.put(
        f"/api/v1/admin/sessions/{sid}/waiting-room",
        json={"opens_at": clock.now().isoformat(), "rate_per_minute": 600},
    )
    assert room.status_code == 200, room.text
    before = await states(admin, sid)
    await signed_in_buyer(runtime, web, "13700000110")
    form = {"session_id": str(sid), "seat": ROW_A[:1]}
    assert location(await web.post("/checkout/hold", data=form)) == f"/queue/{sid}"
    assert await states(admin, sid) == before

    assert location(await web.post(f"/queue/{sid}")) == f"/queue/{sid}"
    assert location(await web.get(f"/queue/{sid}")) == f"/sessions/{sid}", "admitted at once"
    hold_id = await hold(web, sid, ROW_A[:1])
    assert (await web.get(f"/checkout/{hold_id}")).status_code == 200
    assert await counts(runtime) == (1, 0)

"""Paying through the bank simulator over its HTTP protocol (C6, G6, invariants 2–4): a paid
order gets its tickets and confirmation once however often the bank notifies; a declined one
gives its seats back; a forged notification changes nothing; a payment that arrives after
the hold expired is honoured while the seats are free and refunded when they are not."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import httpx
from pypdf import PdfReader
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import count_rows, order_seats, pay_url
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale, states

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance.models import LedgerEntry
from admit.payments.models import Payment, PaymentInbox, PaymentNotice, Refund
from admit.sales import consistency
from admit.ticketing import qr_payload
from admit.ticketing.models import Ticket


async def _balances(admin: httpx.AsyncClient) -> dict[str, int]:
    body = (await admin.get("/api/v1/admin/finance/ledger/balances")).json()
    assert body["total"] == 0
    assert body["unbalanced_entries"] == []
    return dict(body["accounts"])


async def test_a_paid_order_has_signed_tickets_and_a_confirmation(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    sid = await on_sale(admin, clock)
    admin_headers = dict(client.headers)
    (ann,) = await customers_with_tokens(runtime, 1)
    number = await order_seats(client, sid, ann, ROW_A[:2], "pay-ok-1")
    url = await pay_url(client, number, ann)
    assert await pay_url(client, number, ann) == url  # the same open payment

    back = await bank.decide(url)
    assert back.status_code == 303
    assert dict(parse_qsl(back.headers["location"].split("?", 1)[1]))["result"] == "paid"
    await bank.settled()

    order = (await client.get(f"/api/v1/orders/{number}", headers=ann)).json()
    assert order["status"] == "paid"
    assert order["pickup_code"]
    assert len(order["pickup_code"]) == 10
    assert (await states(client, sid))[:2] == "ss"
    tickets = (await client.get(f"/api/v1/orders/{number}/tickets", headers=ann)).json()
    assert sorted(t["seat"] for t in tickets) == ROW_A[:2]
    assert len({t["code"] for t in tickets}) == 2
    assert all("Row A" in t["label"] for t in tickets)

    # The QR verifies offline with the organiser's published key; a changed byte does not.
    organiser = await _organiser(runtime, tickets[0]["code"])
    keys = (await client.get(f"/api/v1/organisers/{organiser}/ticket-keys")).json()
    public = {
        k["kid"]: base64.urlsafe_b64decode(k["public_key"] + "=" * (-len(k["public_key"]) % 4))
        for k in keys
    }
    kid, claims = qr_payload.verify(tickets[0]["qr"], public)
    assert (claims.code, claims.session_id, claims.seat) == (
        tickets[0]["code"],
        sid,
        tickets[0]["seat"],
    )
    raw = bytearray(qr_payload.b45decode(tickets[0]["qr"][len(qr_payload.PREFIX) :]))
    raw[10] ^= 0x01
    altered = qr_payload.PREFIX + qr_payload.b45encode(bytes(raw))
    try:
        qr_payload.verify(altered, public)
        raise AssertionError("an altered ticket verified")
    except qr_payload.ForgedTicket:
        pass

    svg = await client.get(f"/api/v1/tickets/{tickets[0]['code']}/qr.svg", headers=ann)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text
    pdf = await client.get(f"/api/v1/orders/{number}/tickets.pdf", headers=ann)
    assert pdf.content.startswith(b"%PDF")
    # The ticket prints the session's local time, as the session page shows it.
    when = "Wed 02 Dec 2026, 03:30"  # the session starts 2026-12-01 19:30 UTC
    assert when in " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert when in " ".join((await client.get(f"/sessions/{sid}")).text.split())
    stranger = (await customers_with_tokens(runtime, 1, first=50))[0]
    assert (
        await client.get(f"/api/v1/orders/{number}/tickets", headers=stranger)
    ).status_code == 404

    await run_once(runtime)  # the confirmation leaves after commit
    (sent,) = [m for m in sms.sent if m.template == "SMS_ORDER_CONFIRMED"]
    assert sent.params["order"] == number
    assert sent.params["pickup"] == order["pickup_code"]
    assert sent.params["seats"] == "Hall Row A Seats 1, 2"
    # The short message names the show and its local time too.
    assert (sent.params["event"], sent.params["time"]) == ("Night Film", "Wed 02 Dec 03:30")

    client.headers.update(admin_headers)
    total = order["total"]
    assert await _balances(admin) == {
        "gateway:bank": total,
        f"organiser:{organiser}:payable": -total,
    }


async def _organiser(runtime: Runtime, code: str) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return int(await uow.session.scalar(select(Ticket.organiser_id).where(Ticket.code == code)))


async def test_a_declined_payment_gives_the_seats_back(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    number = await order_seats(client, sid, ann, ROW_A[:2], "pay-decline")
    back = await bank.decide(await pay_url(client, number, ann), "decline")
    assert dict(parse_qsl(back.headers["location"].split("?", 1)[1]))["result"] == "declined"
    await bank.settled()
    order = (await client.get(f"/api/v1/orders/{number}", headers=ann)).json()
    assert order["status"] == "cancelled"
    assert (await states(client, sid))[:2] == "aa"
    payments = (await client.get(f"/api/v1/orders/{number}/payments", headers=ann)).json()
    assert [p["status"] for p in payments] == ["declined"]
    assert await count_rows(runtime, LedgerEntry) == 0


async def test_repeated_notifications_capture_once(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    await bank.control(notify_repeats=2)
    number = await order_seats(client, sid, ann, ROW_A[:2], "pay-twice")
    await bank.decide(await pay_url(client, number, ann))
    await bank.settled()
    (trade,) = await bank.trades()
    assert sum(len(n["attempts"]) for n in trade["notifications"]) == 3
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        (entry,) = (await uow.session.scalars(select(PaymentInbox))).all()
    assert (entry.deliveries, entry.outcome, entry.status) == (3, "paid", "paid")
    assert await count_rows(runtime, Ticket) == 2
    assert await count_rows(runtime, LedgerEntry) == 1
    # A query after the fact (the payer's return) changes nothing either.
    payment = f"{number}P1"
    back = await client.get("/api/v1/payments/return/bank", params={"out_trade_no": payment})
    assert back.json()["order_status"] == "paid"
    assert await count_rows(runtime, Ticket) == 2


async def test_a_forged_notification_is_refused_and_logged(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    await bank.control(lose_notifications=True)
    number = await order_seats(client, sid, ann, ROW_A[:1], "pay-forged")
    await bank.decide(await pay_url(client, number, ann), "decline")
    # A genuine-looking "paid" notification signed with the wrong key, then a tampered one.
    fields = {
        "merchant_id": "admit",
        "out_trade_no": f"{number}P1",
        "trade_no": "T1",
        "amount": "8000",
        "currency": "CNY",
        "trade_status": "SUCCESS",
        "paid_at": clock.now().isoformat(),
        "notify_id": "n1",
        "nonce": "x1",
    }
    from admit.core.signing import sign_params

    forged = {**fields, "sign": sign_params(fields, "not-the-secret")}
    tampered = {**fields, "sign": sign_params(fields, "dev-secret"), "amount": "1"}
    for body in (forged, tampered, {"nonsense": "1"}):
        answer = await client.post(
            "/api/v1/payments/notify/bank",
            content=urlencode(body),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert (answer.status_code, answer.text) == (400, "fail")
    assert await count_rows(runtime, PaymentNotice, PaymentNotice.verified.is_(False)) == 3
    assert (await client.get(f"/api/v1/orders/{number}", headers=ann)).json()["status"] == (
        "pending_payment"
    )
    assert await count_rows(runtime, LedgerEntry) == 0
    assert await count_rows(runtime, Ticket) == 0


async def test_a_late_payment_is_honoured_while_the_seats_are_free(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    await bank.control(lose_notifications=True)  # only a query will reveal the payment
    number = await order_seats(client, sid, ann, ROW_A[:2], "pay-late-ok")
    await bank.decide(await pay_url(client, number, ann))
    clock.advance(timedelta(minutes=16))
    await run_once(runtime)  # the hold expires; closing the trade finds it paid
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:  # settling: not a lost payment
        assert await consistency.problems(uow) == []
        assert await count_rows(runtime, Ticket) == 0
    await run_once(runtime)  # the late payment takes the same seats again
    order = (await client.get(f"/api/v1/orders/{number}", headers=ann)).json()
    assert order["status"] == "paid"
    assert (await states(client, sid))[:2] == "ss"
    assert await count_rows(runtime, Ticket) == 2
    assert await count_rows(runtime, Refund) == 0


async def test_a_late_payment_whose_seats_are_gone_is_refunded(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    sid = await on_sale(admin, clock)
    admin_headers = dict(client.headers)
    ann, bob = await customers_with_tokens(runtime, 2)
    await bank.control(lose_notifications=True)
    number = await order_seats(client, sid, ann, ROW_A[:2], "pay-late-gone")
    await bank.decide(await pay_url(client, number, ann))
    clock.advance(timedelta(minutes=16))
    # Bob takes one of the seats the moment Ann's hold lapses.
    await order_seats(client, sid, bob, ROW_A[1:2], "pay-late-bob")
    for _ in range(3):
        await run_once(runtime)  # expire, close → paid, settle late → refund, refund job
    order = (await client.get(f"/api/v1/orders/{number}", headers=ann)).json()
    assert order["status"] == "expired"
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        payment = await uow.session.scalar(select(Payment).where(Payment.number == f"{number}P1"))
        refund = await uow.session.scalar(select(Refund))
    assert payment is not None
    assert refund is not None
    assert (payment.status, payment.refunded) == ("captured", payment.amount)
    assert (refund.reason, refund.status) == ("late", "done")
    (trade,) = [t for t in await bank.trades() if t["out_trade_no"] == payment.number]
    assert trade["refunded"] == payment.amount
    assert await count_rows(runtime, Ticket) == 0
    await run_once(runtime)
    assert [m.params["order"] for m in sms.sent if m.template == "SMS_PAYMENT_REFUNDED"] == [number]
    client.headers.update(admin_headers)
    balances = await _balances(admin)
    assert balances["gateway:bank"] == 0

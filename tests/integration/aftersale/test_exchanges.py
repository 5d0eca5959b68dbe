"""Exchanges (issue 18, item 2; G11): tickets changed for seats of another session of the
same event while the policy allows it — a dearer session collects the difference through the
new order's payment, a cheaper one refunds it through the old payment; the old QR is refused
at the gate afterwards, the new one admitted; the exchange fee is kept. The autouse
``consistent`` fixture checks every counter afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from tests.conftest import TEST_ACTOR
from tests.integration.aftersale.aftersale_world import other_session
from tests.integration.aftersale.refund_steps import paid_order
from tests.integration.catalog.catalog_factories import STARTS
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import ROW_A, on_sale, states

from admit.checkin import manifests, validation
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance import ledger

ADMIN = "/api/v1/admin"


async def _bought(
    client: httpx.AsyncClient, bank: Bank, runtime: Runtime, sid: int
) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    number, who, tickets = await paid_order(client, bank, runtime, sid, ROW_A[:2], "exchange-buy-1")
    return number, who, sorted(tickets, key=lambda t: t["seat"])


async def _gate(runtime: Runtime, clock: FixedClock, sid: int) -> validation.Validator:
    async with runtime.uow(TEST_ACTOR) as uow:
        doc = await manifests.document(
            uow, runtime.crypto, session_id=sid, since=None, now=clock.now()
        )
    return validation.Validator(validation.Manifest.from_document(doc))


async def _exchange(
    client: httpx.AsyncClient, number: str, who: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/orders/{number}/exchanges", headers=who, json=body)


async def test_a_dearer_session_collects_the_difference_then_the_old_qr_is_refused(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, tickets = await _bought(client, bank, runtime, sid)
    dearer = await other_session(admin, runtime, clock, sid, price=9500)
    old = tickets[0]

    closed = await _exchange(
        client, number, who, tickets=[old["code"]], session_id=dearer, seats=[ROW_A[0]]
    )
    assert closed.status_code == 409
    assert closed.json()["error"]["details"]["reason"] == "refunds_closed"
    opened = await admin.put(
        f"{ADMIN}/sessions/{sid}/refund-policy",
        json={"reason": "postponed", "exchange_fee_fixed": 200},
    )
    assert opened.status_code == 200, opened.text

    started = await _exchange(
        client, number, who, tickets=[old["code"]], session_id=dearer, seats=[ROW_A[0]]
    )
    assert started.status_code == 201, started.text
    ex = started.json()
    # 80.00 given up, 2.00 fee: 78.00 credit against 95.00.
    assert (ex["status"], ex["old_amount"], ex["fee"], ex["new_amount"]) == (
        "pending_payment",
        8000,
        200,
        9500,
    )
    assert (ex["due"], ex["back"]) == (1700, 0)
    assert (await _gate(runtime, clock, sid)).scan(
        old["qr"], gate="MAIN", now=STARTS - timedelta(hours=1)
    ).result == "admitted"  # still the buyer's until the difference is paid

    payment = await client.post(
        f"/api/v1/orders/{ex['new_order_number']}/payments", headers=who, json={"method": "bank"}
    )
    assert payment.status_code == 201, payment.text
    assert payment.json()["amount"] == 1700
    await bank.decide(payment.json()["pay_url"])
    await bank.settled()

    done = (await client.get(f"/api/v1/exchanges/{ex['number']}", headers=who)).json()
    assert done["status"] == "done"
    new_tickets = (
        await client.get(f"/api/v1/orders/{ex['new_order_number']}/tickets", headers=who)
    ).json()
    assert [t["seat"] for t in new_tickets] == [ROW_A[0]]
    at = STARTS - timedelta(hours=1)
    assert (await _gate(runtime, clock, sid)).scan(old["qr"], gate="MAIN", now=at).result == (
        "revoked"
    )
    assert (await _gate(runtime, clock, sid)).scan(
        tickets[1]["qr"], gate="MAIN", now=at
    ).result == "admitted"  # the ticket kept is untouched
    assert (await _gate(runtime, clock, dearer)).scan(
        new_tickets[0]["qr"], gate="MAIN", now=STARTS + timedelta(days=1, hours=-1)
    ).result == "admitted"
    assert (await states(client, sid))[:2] == "as"  # the old seat is on sale again
    assert (await states(client, dearer))[:1] == "s"
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await ledger.unbalanced_entries(uow) == []
        balances = await ledger.balances(uow)
    assert sum(balances.values()) == 0
    assert balances["gateway:bank"] == 16000 + 1700  # the old order, then the difference


async def test_a_cheaper_session_refunds_the_difference_at_once(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, tickets = await _bought(client, bank, runtime, sid)
    cheaper = await other_session(admin, runtime, clock, sid, price=6000)
    await admin.put(
        f"{ADMIN}/sessions/{sid}/refund-policy",
        json={"reason": "postponed", "exchange_fee_fixed": 100},
    )
    codes = [t["code"] for t in tickets]
    started = await _exchange(
        client, number, who, tickets=codes, session_id=cheaper, seats=ROW_A[3:5]
    )
    assert started.status_code == 201, started.text
    ex = started.json()
    # 160.00 given up, 2.00 fees: 120.00 of credit used, 38.00 back.
    assert (ex["status"], ex["due"], ex["back"], ex["fee"]) == ("done", 0, 3800, 200)
    order = (await client.get(f"/api/v1/orders/{number}", headers=who)).json()
    assert order["status"] == "exchanged"
    new_order = (await client.get(f"/api/v1/orders/{ex['new_order_number']}", headers=who)).json()
    assert (new_order["status"], new_order["total"]) == ("paid", 12000)
    await run_once(runtime)  # the refund job
    (trade,) = await bank.trades()
    assert [r["amount"] for r in trade["refunds"]] == [3800]
    gate = await _gate(runtime, clock, sid)
    at = STARTS - timedelta(hours=1)
    assert {gate.scan(t["qr"], gate="MAIN", now=at).result for t in tickets} == {"revoked"}
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        balances = await ledger.balances(uow)
    assert balances["gateway:bank"] == 16000 - 3800


async def test_exchanges_refused_where_the_policy_or_the_seats_do_not_allow(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, tickets = await _bought(client, bank, runtime, sid)
    other = await other_session(admin, runtime, clock, sid, price=8000)
    await admin.put(
        f"{ADMIN}/sessions/{sid}/refund-policy", json={"reason": "postponed", "exchanges": False}
    )
    code = tickets[0]["code"]
    off = await _exchange(client, number, who, tickets=[code], session_id=other, seats=[ROW_A[0]])
    assert off.json()["error"]["details"]["reason"] == "exchanges_closed"
    await admin.put(f"{ADMIN}/sessions/{sid}/refund-policy", json={"reason": "postponed"})
    mismatch = await _exchange(
        client, number, who, tickets=[code], session_id=other, seats=ROW_A[:2]
    )
    assert mismatch.status_code == 400
    taken = await _exchange(
        client, number, who, tickets=[code], session_id=sid, seats=[ROW_A[1]]
    )  # the buyer's own other seat: sold
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "seats_taken"
    first = await _exchange(client, number, who, tickets=[code], session_id=other, seats=[ROW_A[0]])
    assert first.status_code == 201, first.text  # same price: done at once
    again = await _exchange(client, number, who, tickets=[code], session_id=other, seats=[ROW_A[1]])
    assert again.status_code == 409
    assert again.json()["error"]["details"]["reason"] == "ticket_not_valid"


async def test_an_order_an_exchange_paid_for_is_refunded_through_the_old_payment(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, tickets = await _bought(client, bank, runtime, sid)
    await admin.put(
        f"{ADMIN}/sessions/{sid}/refund-policy",
        json={"reason": "postponed", "approval_required": False},
    )
    # Row C is level B (50.00): the credit of 80.00 pays it, 30.00 goes back.
    started = await _exchange(
        client, number, who, tickets=[tickets[0]["code"]], session_id=sid, seats=["L1-HALL-C-1"]
    )
    ex = started.json()
    assert (ex["status"], ex["due"], ex["back"]) == ("done", 0, 3000)
    refund = await client.post(
        f"/api/v1/orders/{ex['new_order_number']}/refund-requests", headers=who, json={}
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["refund"] == 5000
    await run_once(runtime)
    (trade,) = await bank.trades()  # the new order has no payment of its own: the old one
    assert sorted(r["amount"] for r in trade["refunds"]) == [3000, 5000]
    done = (await client.get("/api/v1/refund-requests", headers=who)).json()
    assert [r["status"] for r in done] == ["done"]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        balances = await ledger.balances(uow)
    assert balances["gateway:bank"] == 16000 - 3000 - 5000

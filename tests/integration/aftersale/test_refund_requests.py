"""Refunds after the sale (issue 18, item 1; S11, G11): refunds are closed until an operator
opens them; a buyer applies for some tickets, staff approve or reject; approved tickets are
refunded at once (the gates' manifest revokes them) and their seats go back on sale; the
money goes back through the bank once — a refund call interrupted after the bank accepted it
is recovered by the bank's refund query, never paid twice; printed tickets come back by post
before the money moves. The autouse ``consistent`` fixture checks every counter afterwards."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.aftersale.refund_steps import (
    open_refunds,
    paid_order,
    revoked,
    settle_refunds,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import count_rows, order_seats, pay_url
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale, states

from admit.accounts.models import StaffUser
from admit.aftersale.models import RefundRequest
from admit.catalog.models import Session
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.finance.models import LedgerEntry
from admit.payments.models import Refund
from admit.sales.models import Order, Pickup

ADMIN = "/api/v1/admin"


async def test_refunds_are_closed_until_an_operator_opens_them(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, _ = await paid_order(client, bank, runtime, sid, ROW_A[:1], "refund-closed-1")
    refused = await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "refund_refused"
    assert refused.json()["error"]["details"]["reason"] == "refunds_closed"

    # Opened for orders paid until a moment before this one: still not eligible.
    clock.advance(timedelta(minutes=1))
    await open_refunds(admin, sid, paid_before=(clock.now() - timedelta(hours=3)).isoformat())
    late = await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    assert late.json()["error"]["details"]["reason"] == "order_not_eligible"
    assert await count_rows(runtime, RefundRequest) == 0


async def test_an_approved_request_revokes_the_tickets_frees_the_seats_and_pays_back_once(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, tickets = await paid_order(client, bank, runtime, sid, ROW_A[:2], "refund-apply-1")
    await open_refunds(admin, sid, fee_percent_bp=1000, fee_fixed=100)
    code = next(t["code"] for t in tickets if t["seat"] == ROW_A[0])

    applied = await client.post(
        f"/api/v1/orders/{number}/refund-requests",
        headers=who,
        json={"tickets": [code], "reason": "cannot come on the new date"},
    )
    assert applied.status_code == 201, applied.text
    request = applied.json()
    assert (request["status"], request["amount"], request["fee"], request["refund"]) == (
        "requested",
        8000,
        900,  # 100 fixed + 10 % of 80.00
        7100,
    )
    # Asked for again while it waits: refused by the database's one live request per ticket.
    again = await client.post(
        f"/api/v1/orders/{number}/refund-requests", headers=who, json={"tickets": [code]}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "refund_already_requested"
    assert (await revoked(runtime, sid))[code] is None  # valid until approved

    approved = await admin.post(
        f"{ADMIN}/refund-requests/{request['number']}/approve", json={"note": "postponement"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "refunding"
    assert (await revoked(runtime, sid))[code] == "refunded"
    assert (await states(client, sid))[:2] == "as"  # the seat is on sale again, not its pair
    order = (await client.get(f"/api/v1/orders/{number}", headers=who)).json()
    assert order["status"] == "partially_refunded"

    await settle_refunds(runtime, clock)
    done = (await client.get("/api/v1/refund-requests", headers=who)).json()
    assert [(r["status"], r["refund"]) for r in done] == [("done", 7100)]
    (trade,) = await bank.trades()
    assert [r["amount"] for r in trade["refunds"]] == [7100]
    assert await count_rows(runtime, LedgerEntry, LedgerEntry.kind == "refund") == 1

    # Someone else can buy the freed seat.
    (other,) = await customers_with_tokens(runtime, 1, 5)
    resold = await order_seats(client, sid, other, ROW_A[:1], "refund-resell-1")
    await bank.decide(await pay_url(client, resold, other))
    await bank.settled()
    assert (await states(client, sid))[:2] == "ss"


async def test_a_rejected_request_keeps_the_tickets_and_needs_a_reason(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, tickets = await paid_order(
        client, bank, runtime, sid, ROW_A[:1], "refund-reject-1"
    )
    await open_refunds(admin, sid)
    request = (
        await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    ).json()
    bare = await admin.post(f"{ADMIN}/refund-requests/{request['number']}/reject", json={})
    assert bare.status_code == 400, bare.text
    rejected = await admin.post(
        f"{ADMIN}/refund-requests/{request['number']}/reject", json={"note": "not eligible"}
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_note"] == "not eligible"
    twice = await admin.post(f"{ADMIN}/refund-requests/{request['number']}/approve", json={})
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "refund_request_state"
    assert (await revoked(runtime, sid))[tickets[0]["code"]] is None
    assert (await states(client, sid))[:1] == "s"
    # The tickets may be asked for again.
    again = await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    assert again.status_code == 201, again.text


async def test_without_approval_the_whole_order_is_refunded_at_once_with_a_tiered_fee(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, _ = await paid_order(client, bank, runtime, sid, ROW_A[:2], "refund-tier-1")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        session = await uow.session.get(Session, sid)
        assert session is not None
        hours_left = (session.starts_at - clock.now()).total_seconds() / 3600
    # 5 % far from the session, 20 % within the hours left now + 1: the 20 % applies.
    await open_refunds(
        admin,
        sid,
        approval_required=False,
        fee_percent_bp=500,
        fee_tiers=[[int(hours_left) + 1, 2000], [int(hours_left) + 100, 3000]],
    )
    applied = await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    assert applied.status_code == 201, applied.text
    assert (applied.json()["status"], applied.json()["fee"]) == ("refunding", 3200)
    await settle_refunds(runtime, clock)
    order = (await client.get(f"/api/v1/orders/{number}", headers=who)).json()
    assert order["status"] == "refunded"
    assert (await states(client, sid))[:2] == "aa"
    assert set((await revoked(runtime, sid)).values()) == {"refunded"}
    nothing = await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    assert nothing.json()["error"]["details"]["reason"] == "order_not_paid"


async def test_printed_tickets_come_back_by_post_before_the_money_moves(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, tickets = await paid_order(client, bank, runtime, sid, ROW_A[:1], "refund-post-1")
    async with runtime.uow(TEST_ACTOR) as uow:  # collected printed at a counter
        order = await uow.session.scalar(select(Order).where(Order.number == number))
        staff_id = await uow.session.scalar(select(StaffUser.id).limit(1))
        assert order is not None
        assert staff_id is not None
        uow.session.add(
            Pickup(
                order_id=order.id,
                person_key="k" * 64,
                outlet="BOX-1",
                staff_id=staff_id,
                created_at=clock.now(),
            )
        )
    await open_refunds(admin, sid)
    request = (
        await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    ).json()
    assert request["physical"] is True
    approved = await admin.post(f"{ADMIN}/refund-requests/{request['number']}/approve", json={})
    assert approved.json()["status"] == "awaiting_return"
    assert (await revoked(runtime, sid))[tickets[0]["code"]] == "refunded"
    await settle_refunds(runtime, clock)
    assert await count_rows(runtime, Refund) == 0  # no money until the tickets are back

    back = await admin.post(f"{ADMIN}/refund-requests/{request['number']}/returned")
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "refunding"
    assert back.json()["returned_at"] is not None
    await settle_refunds(runtime, clock)
    assert (await admin.get(f"{ADMIN}/refund-requests", params={"order": number})).json()[0][
        "status"
    ] == "done"


async def test_concurrent_requests_for_the_same_tickets_make_one(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, _ = await paid_order(client, bank, runtime, sid, ROW_A[:2], "refund-race-1")
    await open_refunds(admin, sid)
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
            for _ in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert await count_rows(runtime, RefundRequest) == 1


async def test_someone_elses_order_and_unknown_tickets_are_refused(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, _ = await paid_order(client, bank, runtime, sid, ROW_A[:1], "refund-other-1")
    await open_refunds(admin, sid)
    (stranger,) = await customers_with_tokens(runtime, 1, 7)
    theirs = await client.post(
        f"/api/v1/orders/{number}/refund-requests", headers=stranger, json={}
    )
    assert theirs.status_code == 404
    unknown = await client.post(
        f"/api/v1/orders/{number}/refund-requests", headers=who, json={"tickets": ["NOSUCHCODE"]}
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"]["tickets"] == ["NOSUCHCODE"]
    assert await count_rows(runtime, RefundRequest) == 0

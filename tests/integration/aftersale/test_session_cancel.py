"""Cancelling a session (S11): sales stop, unpaid holds end, every paid order is refunded in
full by the batch (approving requests that waited), a payment arriving afterwards is refunded,
and the batch reports what it did."""

from __future__ import annotations

import httpx
from tests.conftest import TEST_ACTOR
from tests.integration.aftersale.refund_steps import (
    open_refunds,
    paid_order,
    revoked,
    settle_refunds,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import order_seats, pay_url
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale

from admit.aftersale import session_cancel
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

ADMIN = "/api/v1/admin"


async def test_cancelling_a_session_refunds_every_order_and_a_late_payment(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    first, who1, _ = await paid_order(client, bank, runtime, sid, ROW_A[:2], "refund-cancel-1")
    second, who2, _ = await paid_order(
        client, bank, runtime, sid, ROW_A[2:3], "refund-cancel-2", first=1
    )
    (late_buyer,) = await customers_with_tokens(runtime, 1, 2)
    unpaid = await order_seats(client, sid, late_buyer, ROW_A[3:4], "refund-cancel-3")
    url = await pay_url(client, unpaid, late_buyer)

    cancelled = await admin.post(
        f"{ADMIN}/sessions/{sid}/cancellation", json={"note": "storm warning"}
    )
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.json()["holds_released"] == 1
    again = await admin.post(f"{ADMIN}/sessions/{sid}/cancellation", json={"note": "twice"})
    assert again.json()["error"]["code"] == "session_cancelled"
    (newcomer,) = await customers_with_tokens(runtime, 1, 3)
    refused = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=newcomer, json={"seats": ROW_A[4:5]}
    )
    assert refused.status_code in (403, 409), refused.text  # no longer on sale

    await bank.decide(url)  # the payer pays the trade opened before the cancellation
    await bank.settled()
    await settle_refunds(runtime, clock, rounds=3)  # the batch, then the refund jobs

    for number, who in ((first, who1), (second, who2)):
        order = (await client.get(f"/api/v1/orders/{number}", headers=who)).json()
        assert order["status"] == "refunded"
    assert set((await revoked(runtime, sid)).values()) == {"refunded"}
    summary = (await admin.get(f"{ADMIN}/sessions/{sid}/refunds")).json()
    assert summary["refunds"] == {"done": 2}
    trades = {t["out_trade_no"][:12]: t for t in await bank.trades()}
    for number in (first, second, unpaid):  # every yuan went back, the late one too
        trade = trades[number]
        assert sum(r["amount"] for r in trade["refunds"]) == trade["amount"]
    late = (await client.get(f"/api/v1/orders/{unpaid}", headers=late_buyer)).json()
    assert late["status"] == "cancelled"


async def test_the_batch_approves_waiting_requests_and_reports_what_it_did(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    first, _, _ = await paid_order(client, bank, runtime, sid, ROW_A[:2], "refund-batch-1")
    second, who, _ = await paid_order(
        client, bank, runtime, sid, ROW_A[2:3], "refund-batch-2", first=1
    )
    await open_refunds(
        admin, sid, fee_fixed=100
    )  # a request waits for approval on the second order
    made = await client.post(f"/api/v1/orders/{second}/refund-requests", headers=who, json={})
    assert made.status_code == 201
    async with runtime.uow(TEST_ACTOR) as uow:
        await session_cancel.cancel_session(
            uow, session_id=sid, note="test", who="test", now=clock.now(), queue=False
        )
    seen: list[tuple[int, int]] = []
    report, last = await session_cancel.refund_session(
        runtime, sid, progress=lambda done, total: seen.append((done, total))
    )
    # The waiting request is approved on its own terms (its fee kept), the other order
    # refunded in full.
    assert (report.orders, report.refunded, report.tickets, report.amount) == (2, 2, 3, 23900)
    assert report.skipped == {}
    assert seen[-1] == (2, 2)
    assert last is not None
    again, none_left = await session_cancel.refund_session(runtime, sid)
    assert (again.orders, again.refunded, none_left) == (0, 0, None)

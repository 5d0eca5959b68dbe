"""The purchase in one request (issue 17, item 2): hold, order and payment in one call, the
same answers as the three steps, all or nothing up to the payment, safe to retry."""

from __future__ import annotations

import httpx
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import count_rows
from tests.integration.sales.sale_factories import ROW_A, ROW_B, customers_with_tokens, on_sale

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.models import Hold, Order
from admit.ticketing.models import Ticket


def _key(who: dict[str, str], key: str) -> dict[str, str]:
    return {**who, "Idempotency-Key": key}


async def test_one_call_holds_orders_and_opens_the_payment(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    answer = await client.post(
        f"/api/v1/sessions/{sid}/purchases",
        headers=_key(ann, "purchase-one"),
        json={"seats": ROW_A[:2], "pay": {"method": "bank"}},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["hold"]["status"], sorted(body["hold"]["seats"])) == ("active", ROW_A[:2])
    order = body["order"]
    assert (order["status"], order["total"]) == ("pending_payment", 16000)
    assert [(ln["seat"], ln["ticket_type"]) for ln in order["lines"]] == [
        (ROW_A[0], "adult"),
        (ROW_A[1], "adult"),
    ]
    payment = body["payment"]
    assert (payment["status"], payment["amount"], payment["order_number"]) == (
        "pending",
        16000,
        order["number"],
    )
    # Paying on the bank's page settles it as if it had come by the three steps.
    await bank.decide(payment["pay_url"])
    await bank.settled()
    paid = (await client.get(f"/api/v1/orders/{order['number']}", headers=ann)).json()
    assert paid["status"] == "paid"
    assert await count_rows(runtime, Ticket) == 2


async def test_a_retry_returns_the_same_purchase(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    asked = {"best": {"level": "B", "quantity": 3}, "pay": {"method": "bank"}}
    first, again = [
        await client.post(
            f"/api/v1/sessions/{sid}/purchases", headers=_key(ann, "purchase-twice"), json=asked
        )
        for _ in range(2)
    ]
    assert (first.status_code, again.status_code) == (201, 201), again.text
    one, two = first.json(), again.json()
    assert two["hold"] == one["hold"]
    assert two["order"]["number"] == one["order"]["number"]
    assert two["payment"]["number"] == one["payment"]["number"]
    assert len(one["hold"]["seats"]) == 3
    assert (await count_rows(runtime, Hold), await count_rows(runtime, Order)) == (1, 1)


async def test_a_refused_order_leaves_no_hold(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    before = (await client.get(f"/api/v1/sessions/{sid}/availability")).json()["states"]
    for key, lines, code in [
        ("purchase-bad-type", [{"seat": ROW_B[0], "ticket_type": "pensioner"}], "invalid_input"),
        ("purchase-bad-lines", [{"seat": ROW_B[1]}], "invalid_input"),
    ]:
        answer = await client.post(
            f"/api/v1/sessions/{sid}/purchases",
            headers=_key(ann, key),
            json={"seats": [ROW_B[0]], "lines": lines},
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == code
    after = (await client.get(f"/api/v1/sessions/{sid}/availability")).json()["states"]
    assert after == before
    assert (await count_rows(runtime, Hold), await count_rows(runtime, Order)) == (0, 0)
    # Without a retry key nothing is tried at all.
    answer = await client.post(
        f"/api/v1/sessions/{sid}/purchases", headers=ann, json={"seats": [ROW_B[0]]}
    )
    assert answer.status_code == 422
    assert await count_rows(runtime, Hold) == 0


async def test_without_pay_it_holds_and_orders_only(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    answer = await client.post(
        f"/api/v1/sessions/{sid}/purchases",
        headers=_key(ann, "purchase-no-pay"),
        json={"seats": [ROW_B[2]]},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["payment"] is None
    number = answer.json()["order"]["number"]
    payments = (await client.get(f"/api/v1/orders/{number}/payments", headers=ann)).json()
    assert payments == []

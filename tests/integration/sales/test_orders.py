"""Orders from holds (S8, G12): priced by level × ticket type, idempotent, ended with their
hold, cancelled by the buyer; bad lines write nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale, states

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.sales.models import Order, OrderLine


async def _hold(client: httpx.AsyncClient, sid: int, who: dict[str, str], seats: list[str]) -> int:
    response = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=who, json={"seats": seats}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _order(
    client: httpx.AsyncClient, hold: int, who: dict[str, str], key: str, lines: list[dict[str, str]]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/holds/{hold}/order",
        json={"lines": lines},
        headers={**who, "Idempotency-Key": key},
    )


async def _rows(runtime: Runtime) -> tuple[int, int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        orders = await uow.session.scalar(select(func.count()).select_from(Order))
        lines = await uow.session.scalar(select(func.count()).select_from(OrderLine))
    return orders or 0, lines or 0


async def test_an_order_prices_each_ticket_and_is_idempotent(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    await admin.put(
        f"/api/v1/admin/sessions/{sid}/price-levels",
        json={"levels": [{"code": "A", "name": "Front", "prices": {"adult": 8000, "child": 4000}}]},
    )
    (ann,) = await customers_with_tokens(runtime, 1)
    hold = await _hold(client, sid, ann, ROW_A[:2])
    lines = [{"seat": ROW_A[0], "ticket_type": "adult"}, {"seat": ROW_A[1], "ticket_type": "child"}]
    first = await _order(client, hold, ann, "order-key-1", lines)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["status"], body["total"], body["currency"]) == ("pending_payment", 12000, "CNY")
    assert [(ln["seat"], ln["amount"]) for ln in body["lines"]] == [
        (ROW_A[0], 8000),
        (ROW_A[1], 4000),
    ]
    again = await _order(client, hold, ann, "order-key-1", lines)
    assert again.json()["number"] == body["number"]
    other_key = await _order(client, hold, ann, "order-key-2", lines)
    assert other_key.status_code == 409
    assert await _rows(runtime) == (1, 2)
    listed = (await client.get("/api/v1/orders", headers=ann)).json()
    assert [o["number"] for o in listed] == [body["number"]]


async def test_lines_must_match_the_hold_and_prices_must_exist(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    hold = await _hold(client, sid, ann, ROW_A[:2])
    short = await _order(client, hold, ann, "k-short-1", [{"seat": ROW_A[0]}])
    assert short.json()["error"]["code"] == "invalid_input"
    assert short.json()["error"]["details"]["held_seats"] == ROW_A[:2]
    wrong_type = await _order(
        client, hold, ann, "k-type-01", [{"seat": s, "ticket_type": "senior"} for s in ROW_A[:2]]
    )
    assert wrong_type.status_code == 400
    assert "senior" in wrong_type.json()["error"]["message"]
    assert await _rows(runtime) == (0, 0)


async def test_an_unpaid_order_expires_with_its_hold(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob = await customers_with_tokens(runtime, 2)
    hold = await _hold(client, sid, ann, ROW_A[:1])
    number = (await _order(client, hold, ann, "k-expire-1", [{"seat": ROW_A[0]}])).json()["number"]
    clock.advance(timedelta(minutes=15))
    late = await _order(client, hold, ann, "k-expire-2", [{"seat": ROW_A[0]}])
    assert late.json()["error"]["code"] == "hold_expired"
    await run_once(runtime)
    order = (await client.get(f"/api/v1/orders/{number}", headers=ann)).json()
    assert order["status"] == "expired"
    assert (
        await client.post(f"/api/v1/sessions/{sid}/holds", headers=bob, json={"seats": ROW_A[:1]})
    ).status_code == 201


async def test_cancelling_an_unpaid_order_frees_the_seats(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    hold = await _hold(client, sid, ann, ROW_A[:2])
    number = (
        await _order(client, hold, ann, "k-cancel-1", [{"seat": s} for s in ROW_A[:2]])
    ).json()["number"]
    cancelled = await client.post(f"/api/v1/orders/{number}/cancel", headers=ann)
    assert cancelled.json()["status"] == "cancelled"
    assert (await states(client, sid))[:5] == "aaaaa"
    again = await client.post(f"/api/v1/orders/{number}/cancel", headers=ann)
    assert again.status_code == 409
    (stranger,) = await customers_with_tokens(runtime, 1, first=50)
    assert (await client.get(f"/api/v1/orders/{number}", headers=stranger)).status_code == 404

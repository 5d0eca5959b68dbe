"""Selling a settled batch (issue 17), the same on both databases: on PostgreSQL the state
changes are two statements (``admit_sell``, then ``admit_sell_slices`` last), on SQLite the
statements of ``sales.selling``. Every order paid with its own pickup code, its seats sold to
it, the buyers' counters moved from held to bought; a pickup code drawn that an order already
has is drawn again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import one_seat_each, pay_each
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale
from tests.integration.sales.statements import statements_sent

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.inventory.models import SessionSeat
from admit.sales import consistency, pickup_codes
from admit.sales.models import BuyerUsage, Order
from admit.sales.notice_settler import settle_pending


async def _sold(runtime: Runtime, numbers: list[str]) -> dict[str, Any]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        s = uow.session
        orders = (
            await s.execute(
                select(Order.number, Order.id, Order.status, Order.pickup_code, Order.paid_by)
                .where(Order.number.in_(numbers))
                .order_by(Order.number)
            )
        ).all()
        seats = (
            await s.execute(
                select(SessionSeat.order_id, SessionSeat.status, SessionSeat.hold_id).where(
                    SessionSeat.order_id.is_not(None)
                )
            )
        ).all()
        usage = (await s.execute(select(BuyerUsage.held, BuyerUsage.bought))).all()
        return {"orders": orders, "seats": seats, "usage": usage}


async def test_a_batch_is_sold_in_two_statements_on_postgresql(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    no_settler: None,
) -> None:
    sid = await on_sale(admin, clock)
    buyers = await customers_with_tokens(runtime, 4)
    numbers = await one_seat_each(client, sid, buyers, ROW_A)
    await pay_each(client, bank, numbers, buyers)
    await bank.delivered()
    with statements_sent(runtime) as sent:
        assert await settle_pending(runtime) == 4
    sold = await _sold(runtime, numbers)
    assert [status for _, _, status, _, _ in sold["orders"]] == ["paid"] * 4
    assert [paid_by for *_, paid_by in sold["orders"]] == [f"{n}P1" for n in sorted(numbers)]
    codes = [code for _, _, _, code, _ in sold["orders"]]
    assert len(set(codes)) == 4
    assert all(code and len(code) == pickup_codes.LENGTH for code in codes)
    order_ids = {order_id for _, order_id, *_ in sold["orders"]}
    assert sorted(o for o, _, _ in sold["seats"]) == sorted(order_ids)
    assert {status for _, status, _ in sold["seats"]} == {"sold"}
    assert sold["usage"] == [(0, 1)] * 4
    state = ("UPDATE session_seat", "UPDATE sales_buyer_usage", "UPDATE sales_order SET status")
    slices = ("UPDATE session_ga_slice", "UPDATE sales_window_quota_slice")
    if runtime.engine.dialect.name == "postgresql":
        assert sum("admit_sell(" in s for s in sent) == 1, sent
        assert sum("admit_sell_slices(" in s for s in sent) == 1, sent
        assert [s for s in sent if s.startswith(state + slices)] == []
        # The shared counters last: after the tickets and the confirmations.
        at = {s.split("(")[0]: i for i, s in enumerate(sent)}
        slices_at = max(i for i, s in enumerate(sent) if "admit_sell_slices(" in s)
        assert at["INSERT INTO ticket "] < slices_at
        assert at["INSERT INTO outbound_message "] < slices_at
    else:
        assert any(s.startswith(state) for s in sent)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await consistency.problems(uow) == []


async def test_a_pickup_code_an_order_has_is_drawn_again(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    no_settler: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = await on_sale(admin, clock)
    buyers = await customers_with_tokens(runtime, 2)
    numbers = await one_seat_each(client, sid, buyers, ROW_A)
    await pay_each(client, bank, numbers[:1], buyers)
    await bank.delivered()
    assert await settle_pending(runtime) == 1
    (first,) = (await _sold(runtime, numbers[:1]))["orders"]
    taken = first.pickup_code
    drawn: list[str] = []
    fresh = pickup_codes.new_code

    def taken_first() -> str:
        drawn.append(taken if not drawn else fresh())
        return drawn[-1]

    monkeypatch.setattr(pickup_codes, "new_code", taken_first)
    await pay_each(client, bank, numbers[1:], buyers[1:])
    await bank.delivered()
    assert await settle_pending(runtime) == 1
    (second,) = (await _sold(runtime, numbers[1:]))["orders"]
    assert second.status == "paid"
    assert drawn[0] == taken
    assert second.pickup_code not in (None, taken)
    assert second.pickup_code in drawn[1:]

"""Pickup codes (issue 30, item 17): ten characters of Crockford's base32 from ``secrets`` (50
bits), never derived from the order id, unique by an index on both databases; a collision is
retried inside the settling transaction instead of failing it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError
from tests.conftest import TEST_ACTOR
from tests.integration.checkin.gate_factories import ok, sell

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales import pickup_codes
from admit.sales.models import Order


async def _cash_sale(admin: httpx.AsyncClient, session_id: int, seat: str) -> str:
    """Another box-office sale in the session ``sell`` set up; the order's number."""
    hold = ok(
        await admin.post(
            f"/api/v1/counter/sessions/{session_id}/holds",
            json={"channel": "box_office", "outlet": "BO-1", "seats": [seat]},
        ),
        201,
    )
    order = ok(
        await admin.post(
            f"/api/v1/counter/holds/{hold['id']}/order",
            headers={"Idempotency-Key": f"pickup-{uuid.uuid4()}"},
            json={"lines": [{"seat": seat}]},
        ),
        201,
    )
    paid = ok(
        await admin.post(
            f"/api/v1/counter/orders/{order['number']}/cash", json={"received": order["total"]}
        )
    )
    assert paid["order"]["status"] == "paid"
    return str(order["number"])


async def _orders(runtime: Runtime) -> dict[str, tuple[int, str | None, str]]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.execute(
            select(Order.number, Order.id, Order.pickup_code, Order.status)
        )
        return {number: (oid, code, status) for number, oid, code, status in rows.all()}


def test_codes_are_fixed_length_unambiguous_and_drawn_from_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codes = {pickup_codes.new_code() for _ in range(20_000)}
    assert len(codes) == 20_000  # 50 bits: a repeat among 20,000 has odds of ~2e-7
    assert {len(c) for c in codes} == {10}
    assert set("".join(codes)) == set(pickup_codes.ALPHABET)  # every symbol turns up
    assert not set("ILOU") & set(pickup_codes.ALPHABET)
    asked: list[int] = []

    def randbits(bits: int) -> int:
        asked.append(bits)
        return (1 << bits) - 2

    monkeypatch.setattr(pickup_codes.secrets, "randbits", randbits)
    assert pickup_codes.new_code() == "ZZZZZZZZZY"
    assert asked == [50]


async def test_a_paid_order_gets_a_random_code_unrelated_to_its_id(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    second = await _cash_sale(admin, sold.session_id, "L1-HALL-A-2")
    orders = await _orders(runtime)
    codes = {number: code for number, (_, code, _) in orders.items()}
    assert set(codes) == {sold.order_number, second}
    for oid, code, status in orders.values():
        assert status == "paid"
        assert code is not None
        assert len(code) == pickup_codes.LENGTH
        assert set(code) <= set(pickup_codes.ALPHABET)
        assert not code.startswith(f"{oid:06d}")  # the old code: the id, then four digits
    assert len(set(codes.values())) == 2


async def test_a_collision_is_retried_without_failing_the_sale(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    taken = (await _orders(runtime))[sold.order_number][1]
    assert taken is not None
    drawn = iter([taken, "7QX3M9K2PD"])
    monkeypatch.setattr(pickup_codes, "new_code", lambda: next(drawn))
    second = await _cash_sale(admin, sold.session_id, "L1-HALL-A-2")
    orders = await _orders(runtime)
    assert (orders[second][1], orders[second][2]) == ("7QX3M9K2PD", "paid")
    assert orders[sold.order_number][1] == taken
    assert next(drawn, None) is None  # exactly two draws: the taken code, then a free one


async def test_pickup_codes_are_unique_by_an_index(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    second = await _cash_sale(admin, sold.session_id, "L1-HALL-A-2")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        conn = await uow.session.connection()
        unique = await conn.run_sync(
            lambda sync: [
                *(u["column_names"] for u in inspect(sync).get_unique_constraints("sales_order")),
                *(
                    i["column_names"]
                    for i in inspect(sync).get_indexes("sales_order")
                    if i.get("unique")
                ),
            ]
        )
    assert ["pickup_code"] in unique
    taken = (await _orders(runtime))[sold.order_number][1]
    with pytest.raises(IntegrityError):
        async with runtime.uow(TEST_ACTOR) as uow:
            await uow.session.execute(
                update(Order).where(Order.number == second).values(pickup_code=taken)
            )
    assert (await _orders(runtime))[second][1] != taken

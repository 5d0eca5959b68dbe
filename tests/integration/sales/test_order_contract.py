"""The contract of an order (issue 17), the same on both databases: PostgreSQL places it with
one statement (``admit_order``, ``sales.order_statement``), SQLite — and PostgreSQL for
whatever that statement refuses — with the statements of ``sales.orders.place_order``. Lines
priced and kept in the buyer's order, the replay under the same key, every refusal with its
error and nothing written, and a race on one hold that makes one order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from tests.conftest import TEST_ACTOR
from tests.integration.sales.hold_contract_sale import PAY_MINUTES, ROW_A, Sale, arena
from tests.integration.sales.statements import statements_sent

from admit.accounts.eligibility import RealNameRequired
from admit.core.clock import FixedClock
from admit.core.errors import AdmitError, Conflict, InvalidInput, NotFound
from admit.core.runtime import Runtime
from admit.sales import orders
from admit.sales.hold_endings import give_back
from admit.sales.models import Hold, Order, OrderLine, SalesWindow
from admit.sales.order_views import LineInput, OrderView
from admit.sales.orders import HoldExpired

PRICE = 5000  # every level's adult price in the arena


@pytest.fixture
async def sale(admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock) -> Sale:
    return Sale(runtime, clock, await arena(admin, clock))


def seat(key: str, ticket_type: str = "adult") -> LineInput:
    return LineInput(ticket_type=ticket_type, seat=key)


def place(area: str = "FLOOR", ticket_type: str = "adult") -> LineInput:
    return LineInput(ticket_type=ticket_type, area=area)


async def stored(sale: Sale) -> dict[str, Any]:
    """Every row an order writes."""
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        s = uow.session
        return {
            "orders": (
                await s.execute(
                    select(Order.number, Order.hold_id, Order.status, Order.total).order_by(
                        Order.id
                    )
                )
            ).all(),
            "lines": (
                await s.execute(
                    select(
                        OrderLine.order_id,
                        OrderLine.seat_key,
                        OrderLine.area_code,
                        OrderLine.ticket_type,
                        OrderLine.amount,
                    ).order_by(OrderLine.id)
                )
            ).all(),
        }


async def refused(sale: Sale, hold_id: int, lines: Sequence[LineInput], **kw: Any) -> AdmitError:
    """The refusal of this order, having checked that it wrote nothing."""
    before = await stored(sale)
    try:
        await sale.order(hold_id, lines, **kw)
    except AdmitError as refusal:
        assert await stored(sale) == before
        return refusal
    raise AssertionError("the order was placed")


async def test_lines_are_priced_and_kept_in_the_buyers_order(sale: Sale) -> None:
    placed = await sale.hold("customer:1", [ROW_A[3], ROW_A[1]], places=3)
    lines = [place(), seat(ROW_A[3]), place(), seat(ROW_A[1]), place()]
    view = await sale.order(placed.hold.id, lines, key="order-1")
    assert (view.session_id, view.status, view.currency) == (sale.sid, "pending_payment", "CNY")
    assert view.total == 5 * PRICE
    assert view.pay_by == placed.hold.expires_at
    assert view.paid_at is None
    assert view.pickup_code is None
    assert [(ln.seat, ln.area, ln.ticket_type, ln.amount, ln.holder) for ln in view.lines] == [
        (line.seat, line.area, "adult", PRICE, None) for line in lines
    ]
    rows = await stored(sale)
    assert [(n, h, s, t) for n, h, s, t in rows["orders"]] == [
        (view.number, placed.hold.id, "pending_payment", 5 * PRICE)
    ]
    assert [(seat_key, area) for _, seat_key, area, _, _ in rows["lines"]] == [
        (line.seat, line.area) for line in lines
    ]
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        again = await orders.get_order(uow, number=view.number, buyer="customer:1")
        assert await orders.view_of(uow, again) == view  # the same, read through the ORM
    assert await sale.problems() == []


async def test_on_postgresql_an_order_is_one_statement(sale: Sale) -> None:
    placed = await sale.hold("customer:1", ROW_A[:2], places=1)
    lines = [seat(ROW_A[0]), seat(ROW_A[1]), place()]
    with statements_sent(sale.runtime) as sent:
        view = await sale.order(placed.hold.id, lines, key="order-1")
        replay = await sale.order(placed.hold.id, lines, key="order-1")
    assert replay == view
    hot = [s for s in sent if "platform_mode" not in s]
    if sale.runtime.engine.dialect.name == "postgresql":
        assert len(hot) == 2, hot
        assert all("admit_order(" in s for s in hot)
    else:
        assert len(hot) >= 12, hot


async def test_a_repeated_key_returns_the_order_and_writes_nothing(sale: Sale) -> None:
    placed = await sale.hold("customer:1", ROW_A[:2])
    first = await sale.order(placed.hold.id, [seat(ROW_A[0]), seat(ROW_A[1])], key="order-1")
    before = await stored(sale)
    # A retry may differ in its lines: the key decides, and the first order is returned.
    again = await sale.order(placed.hold.id, [seat(ROW_A[1]), seat(ROW_A[0])], key="order-1")
    assert again == first
    sale.clock.advance(timedelta(minutes=PAY_MINUTES, seconds=1))
    late = await sale.order(placed.hold.id, [seat(ROW_A[0])], key="order-1")
    assert late == first  # even once the hold has lapsed
    assert await stored(sale) == before


async def test_refusals_name_what_is_wrong_and_write_nothing(sale: Sale) -> None:
    placed = await sale.hold("customer:1", ROW_A[:2], places=2)
    hold_id = placed.hold.id
    full = [seat(ROW_A[0]), seat(ROW_A[1]), place(), place()]
    missing = await refused(sale, hold_id, full[:3], key="k1")
    assert isinstance(missing, InvalidInput)
    assert missing.details == {"held_seats": ROW_A[:2], "held_places": {"FLOOR": 2}}
    for lines in (
        [*full, place()],  # a place more than held
        [seat(ROW_A[0]), seat(ROW_A[0]), place(), place()],  # a seat twice, one missing
        [seat(ROW_A[0]), seat(ROW_A[2]), place(), place()],  # a seat not held
        [seat(ROW_A[0]), seat(ROW_A[1]), place(), place("BOX")],  # another area
    ):
        wrong = await refused(sale, hold_id, lines, key="k1")
        assert isinstance(wrong, InvalidInput), lines
        assert wrong.details is not None
        assert "held_seats" in wrong.details
    child = await refused(sale, hold_id, [*full[:3], place(ticket_type="child")], key="k1")
    assert isinstance(child, InvalidInput)
    assert child.message == "no 'child' price for FLOOR"
    someone_else = await refused(sale, hold_id, full, buyer="customer:2", key="k1")
    assert isinstance(someone_else, NotFound)
    nowhere = await refused(sale, hold_id + 1000, full, key="k1")
    assert isinstance(nowhere, NotFound)
    await sale.order(hold_id, full, key="k1")
    twice = await refused(sale, hold_id, full, key="k2")
    assert isinstance(twice, Conflict)
    assert twice.message == "this hold already has an order"
    assert await sale.problems() == []


async def test_a_lapsed_or_released_hold_cannot_be_ordered(sale: Sale) -> None:
    lapsed = await sale.hold("customer:1", [ROW_A[0]])
    released = await sale.hold("customer:1", [ROW_A[1]])
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        hold = await uow.session.get(Hold, released.hold.id, with_for_update=True)
        assert hold is not None
        await give_back(uow, hold, "released", sale.clock.now())
    gone = await refused(sale, released.hold.id, [seat(ROW_A[1])], key="k1")
    assert isinstance(gone, HoldExpired)
    sale.clock.advance(timedelta(minutes=PAY_MINUTES))
    late = await refused(sale, lapsed.hold.id, [seat(ROW_A[0])], key="k2")
    assert isinstance(late, HoldExpired)


async def test_a_real_name_sale_wants_a_holder_on_every_line(sale: Sale) -> None:
    placed = await sale.hold("customer:1", [ROW_A[0]])
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(update(SalesWindow).values(real_name_required=True))
    for cache in sale.runtime.caches.values():  # the sale's configuration is read anew
        cache.clear()
    refusal = await refused(sale, placed.hold.id, [seat(ROW_A[0])], key="k1")
    assert isinstance(refusal, RealNameRequired)
    assert refusal.details == {"lines": [0]}


async def test_orders_racing_on_one_hold_make_one_order(sale: Sale) -> None:
    """20 requests at once for one hold: ten retries under one key and ten under keys of
    their own. One order is made; every retry of its key gets it, the others a conflict."""
    placed = await sale.hold("customer:1", ROW_A[:2], places=1)
    lines = [seat(ROW_A[0]), seat(ROW_A[1]), place()]

    async def attempt(i: int) -> OrderView | AdmitError:
        try:
            return await sale.order(placed.hold.id, lines, key="same" if i % 2 else f"own-{i}")
        except AdmitError as refusal:
            return refusal

    answers = await asyncio.gather(*(attempt(i) for i in range(20)))
    views = [a for a in answers if isinstance(a, OrderView)]
    assert len({v.number for v in views}) == 1
    rows = await stored(sale)
    assert len(rows["orders"]) == 1
    assert len(rows["lines"]) == 3
    assert all(isinstance(a, Conflict) for a in answers if not isinstance(a, OrderView))
    assert await sale.problems() == []

"""The contract of opening a payment (issue 17), the same on both databases: PostgreSQL opens it
with one statement (``admit_open_payment``, ``sales.payment_statement``), SQLite — and
PostgreSQL for whatever that statement refuses — with ``checkout.open_payment``'s statements.
The payment of the order's total with its query job, the open payment returned again, every
refusal with nothing written, a new number after a declined payment, and calls at once that
open one payment; then the trade recorded in one statement, which leaves a payment alone once
it is no longer ``created``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import Bank
from tests.integration.sales.hold_contract_sale import PAY_MINUTES, ROW_A, Sale, arena
from tests.integration.sales.statements import statements_sent

from admit.core.audit_context import Actor
from admit.core.clock import FixedClock
from admit.core.errors import AdmitError, NotFound
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.payments.models import Payment
from admit.sales import checkout
from admit.sales.models import Order
from admit.sales.order_views import LineInput, OrderView
from admit.sales.orders import HoldExpired
from admit.sales.payment_views import PaymentView
from admit.sales.selling import organiser_of

BUYER = "customer:1"


@pytest.fixture
async def sale(admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock) -> Sale:
    return Sale(runtime, clock, await arena(admin, clock))


async def ordered(sale: Sale, seats: list[str], *, key: str = "order-1") -> OrderView:
    placed = await sale.hold(BUYER, seats)
    lines = [LineInput(ticket_type="adult", seat=s) for s in seats]
    return await sale.order(placed.hold.id, lines, key=key)


async def open_payment(sale: Sale, number: str, *, buyer: str = BUYER) -> PaymentView:
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        return await checkout.open_payment_view(
            uow, order_number=number, buyer=buyer, method="bank", now=sale.clock.now()
        )


async def stored(sale: Sale) -> dict[str, Any]:
    """Every row opening a payment writes."""
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        s = uow.session
        return {
            "payments": (
                await s.execute(
                    select(
                        Payment.number,
                        Payment.order_number,
                        Payment.organiser_id,
                        Payment.status,
                        Payment.amount,
                        Payment.currency,
                        Payment.created_at,
                        Payment.expires_at,
                        Payment.refunded,
                    ).order_by(Payment.id)
                )
            ).all(),
            "jobs": (
                await s.execute(
                    select(OutboxJob.kind, OutboxJob.payload, OutboxJob.run_after)
                    .where(OutboxJob.kind == checkout.QUERY_JOB)
                    .order_by(OutboxJob.id)
                )
            ).all(),
        }


async def refused(sale: Sale, number: str, **kw: Any) -> AdmitError:
    before = await stored(sale)
    try:
        await open_payment(sale, number, **kw)
    except AdmitError as refusal:
        assert await stored(sale) == before
        return refusal
    raise AssertionError("the payment was opened")


async def test_a_payment_of_the_total_is_opened_with_its_query_job(sale: Sale) -> None:
    order = await ordered(sale, ROW_A[:2])
    now = sale.clock.now()
    view = await open_payment(sale, order.number)
    assert view == PaymentView(
        f"{order.number}P1", order.number, "bank", "created", 10000, "CNY", None, order.pay_by
    )
    rows = await stored(sale)
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        organiser = await organiser_of(uow, sale.sid)
    assert rows["payments"] == [
        (view.number, order.number, organiser, "created", 10000, "CNY", now, order.pay_by, 0)
    ]
    assert rows["jobs"] == [
        (checkout.QUERY_JOB, {"payment": view.number, "step": 0}, now + checkout.query_gap(0))
    ]
    again = await open_payment(sale, order.number)
    assert again == view
    assert await stored(sale) == rows


async def test_on_postgresql_a_payment_is_opened_in_one_statement(sale: Sale) -> None:
    order = await ordered(sale, ROW_A[:1])
    with statements_sent(sale.runtime) as sent:
        first = await open_payment(sale, order.number)
        again = await open_payment(sale, order.number)
    assert again == first
    hot = [s for s in sent if "platform_mode" not in s]
    if sale.runtime.engine.dialect.name == "postgresql":
        assert len(hot) == 2, hot
        assert all("admit_open_payment(" in s for s in hot)
    else:
        assert len(hot) >= 5, hot


async def test_refusals_write_nothing(sale: Sale) -> None:
    order = await ordered(sale, ROW_A[:1])
    someone_else = await refused(sale, order.number, buyer="customer:2")
    assert isinstance(someone_else, NotFound)
    nowhere = await refused(sale, "A00000000000")
    assert isinstance(nowhere, NotFound)
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(
            update(Order).where(Order.number == order.number).values(status="cancelled")
        )
    cancelled = await refused(sale, order.number)
    assert isinstance(cancelled, checkout.NotPayable)
    assert cancelled.message == "the order is cancelled"
    late = await ordered(sale, ROW_A[1:2], key="order-2")
    sale.clock.advance(timedelta(minutes=PAY_MINUTES))
    out_of_time = await refused(sale, late.number)
    assert isinstance(out_of_time, HoldExpired)


async def test_after_a_declined_payment_the_next_is_numbered_after_it(sale: Sale) -> None:
    order = await ordered(sale, ROW_A[:1])
    first = await open_payment(sale, order.number)
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(
            update(Payment).where(Payment.number == first.number).values(status="closed")
        )
    second = await open_payment(sale, order.number)
    assert second.number == f"{order.number}P2"
    assert len((await stored(sale))["jobs"]) == 2


async def test_calls_at_once_open_one_payment(sale: Sale) -> None:
    order = await ordered(sale, ROW_A[:2])
    views = await asyncio.gather(*(open_payment(sale, order.number) for _ in range(12)))
    assert {v.number for v in views} == {f"{order.number}P1"}
    rows = await stored(sale)
    assert len(rows["payments"]) == 1
    assert len(rows["jobs"]) == 1


async def test_the_trade_is_recorded_once_and_an_ended_payment_left_alone(
    sale: Sale, bank: Bank
) -> None:
    order = await ordered(sale, ROW_A[:1])
    opened = await open_payment(sale, order.number)
    actor = Actor(kind="customer", id="1")
    traded = await checkout.create_trade(sale.runtime, actor, opened)
    assert traded.status == "pending"
    assert traded.pay_url
    assert traded.number == opened.number
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(
            update(Payment).where(Payment.number == opened.number).values(status="closed")
        )
    # A retry that still holds the ``created`` view finds the payment ended meanwhile.
    again = await checkout.create_trade(sale.runtime, actor, opened)
    assert again.status == "closed"
    assert again.pay_url == traded.pay_url

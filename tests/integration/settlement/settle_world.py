"""Sales made quickly for the settlement tests: the rows a sale leaves (hold, order, lines,
payment) written directly, the capture posted with the product's own entry
(``sales.settlement.capture_entry``), refunds decided with ``sales.refunds.request_refund`` and
completed as the refund job (``complete_refund``, after the gateway agrees) or a clerk's
hand-over (``record_handover``, cash) complete them. What is under test is what the ledger and
the sales rows say, not how a sale gets there (the sales tests prove that)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import on_sale

from admit.catalog.models import Organiser
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.finance import ledger
from admit.payments.models import Payment, Refund
from admit.sales.models import Hold, Order, OrderLine, Outlet, SalesWindow
from admit.sales.refunds import complete_refund, record_handover, request_refund
from admit.sales.settlement import capture_entry

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Stage:
    """A session on sale (its web window), where every sale of the tests happens."""

    session_id: int
    window_id: int


async def stage(admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock) -> Stage:
    sid = await on_sale(admin, clock)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        window = await uow.session.scalar(
            select(SalesWindow.id).where(SalesWindow.session_id == sid)
        )
    assert window is not None
    return Stage(sid, window)


async def organiser(runtime: Runtime, now: datetime) -> int:
    """A fresh organiser (each example settles its own)."""
    n = next(_numbers)
    async with runtime.uow(TEST_ACTOR) as uow:
        row = Organiser(code=f"ORG-S{n}", name=f"Settled {n}", created_at=now)
        uow.session.add(row)
        await uow.session.flush()
        return row.id


async def outlet(runtime: Runtime, channel: str, now: datetime) -> str:
    code = f"{channel.upper()[:2]}-{next(_numbers)}"
    async with runtime.uow(TEST_ACTOR) as uow:
        uow.session.add(Outlet(channel=channel, code=code, name=code, created_at=now))
    return code


async def sale(
    runtime: Runtime,
    st: Stage,
    *,
    organiser_id: int,
    outlet: str | None,
    method: str,
    tickets: int,
    price: int,
    at: datetime,
    outcome: str = "captured",
    buyer: str = "guest:1",
) -> str:
    """One order of ``tickets`` at ``price`` each, paid (``captured``: posted to the ledger at
    ``at``), declined at the bank or closed unpaid. Returns the payment's number."""
    n = next(_numbers)
    number = f"ST{n}"
    total = tickets * price
    async with runtime.uow(TEST_ACTOR) as uow:
        hold = Hold(
            session_id=st.session_id,
            window_id=st.window_id,
            buyer=buyer,
            channel="agent" if outlet else "web",
            outlet=outlet,
            status="sold" if outcome == "captured" else "expired",
            quantity=tickets,
            created_at=at,
            expires_at=at + timedelta(minutes=15),
        )
        uow.session.add(hold)
        await uow.session.flush()
        paid = outcome == "captured"
        order = Order(
            number=number,
            hold_id=hold.id,
            session_id=st.session_id,
            buyer=buyer,
            channel=hold.channel,
            status="paid" if paid else "expired",
            total=total,
            currency="CNY",
            idempotency_key=f"settle-{n}",
            created_at=at,
            pay_by=at + timedelta(minutes=15),
            paid_at=at if paid else None,
            paid_by=f"{number}P1" if paid else None,
        )
        uow.session.add(order)
        await uow.session.flush()
        uow.session.add_all(
            OrderLine(order_id=order.id, price_level_id=None, ticket_type="adult", amount=price)
            for _ in range(tickets)
        )
        payment = Payment(
            number=f"{number}P1",
            order_number=number,
            organiser_id=organiser_id,
            method=method,
            amount=total,
            currency="CNY",
            status=outcome,
            outlet=outlet if method == "cash" else None,
            staff="staff:1" if method == "cash" else None,
            created_at=at,
            expires_at=at + timedelta(minutes=15),
            captured_at=at if paid else None,
            ended_at=at,
        )
        uow.session.add(payment)
        await uow.session.flush()
        if paid:
            await ledger.post_many(uow, [capture_entry(payment, at)])
    return payment.number


async def refund(
    runtime: Runtime, payment_number: str, *, amount: int, at: datetime, done: datetime | None
) -> str:
    """Decide a refund at ``at``; complete it at ``done`` (or leave it owed)."""
    async with runtime.uow(TEST_ACTOR) as uow:
        payment = await uow.session.scalar(
            select(Payment).where(Payment.number == payment_number).with_for_update()
        )
        assert payment is not None
        decided = await request_refund(uow, payment, amount=amount, reason="buyer", now=at)
        number = decided.number
    if done is None:
        return number
    async with runtime.uow(TEST_ACTOR) as uow:
        if payment.method == "cash":
            await record_handover(uow, runtime.crypto, number=number, staff="clerk", now=done)
        else:
            row = await uow.session.scalar(select(Refund).where(Refund.number == number))
            pay = await uow.session.scalar(select(Payment).where(Payment.number == payment_number))
            assert row is not None
            assert pay is not None
            await complete_refund(uow, runtime.crypto, row, pay, refund_no=f"B{number}", now=done)
    return number

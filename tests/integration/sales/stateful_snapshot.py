"""What the database says about a session, read in one transaction after every step of the
stateful sales test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.stateful_world import GA, World

from admit.catalog.models import GAArea, PriceLevel, Seat
from admit.core.clock import as_utc
from admit.core.outbox import OutboxJob
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionGA, SessionSeat
from admit.payments.models import Payment, Refund
from admit.sales import consistency
from admit.sales.models import Hold, Order, OrderLine, SalesWindow, WindowQuota
from admit.sales.settlement import LATE_JOB


class HoldRow(NamedTuple):
    buyer: str
    status: str
    quantity: int
    expires_at: datetime


class OrderRow(NamedTuple):
    id: int
    hold_id: int
    status: str
    paid_by: str | None
    total: int


class SeatRow(NamedTuple):
    status: str
    hold_id: int | None
    order_id: int | None
    hold_expires_at: datetime | None


class Counters(NamedTuple):
    limit: int
    held: int
    sold: int


class PaymentRow(NamedTuple):
    order: str
    method: str
    status: str
    amount: int
    refunded: int


class TradeRow(NamedTuple):
    status: str
    amount: int
    refunded: int


@dataclass
class Snapshot:
    now: datetime
    problems: list[str]
    holds: dict[int, HoldRow]
    orders: dict[str, OrderRow]
    lines: dict[int, list[tuple[str | None, str | None]]]
    seats: dict[str, SeatRow]
    quotas: dict[str, Counters]
    ga: Counters
    payments: dict[str, PaymentRow]
    refunds: dict[str, list[tuple[int, str, str]]]  # amount, status, reason
    failed_jobs: list[str]
    settling: set[str]  # payments captured late whose settle job has not run yet
    trades: dict[str, TradeRow]

    def order_of_hold(self, hold_id: int) -> tuple[str, OrderRow] | None:
        return next(((n, o) for n, o in self.orders.items() if o.hold_id == hold_id), None)


async def snapshot(world: World, sid: int) -> Snapshot:
    async with world.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        snap = Snapshot(
            now=world.clock.now(),
            problems=await consistency.problems(uow),
            holds=await _holds(uow, sid),
            orders=await _orders(uow, sid),
            lines={},
            seats=await _seats(uow, sid),
            quotas=await _quotas(uow, sid),
            ga=await _ga(uow, sid),
            payments={},
            refunds={},
            failed_jobs=[],
            settling=set(),
            trades={},
        )
        await _money(uow, snap)
        await _jobs(uow, snap)
    snap.trades = {
        t["out_trade_no"]: TradeRow(t["status"], t["amount"], t["refunded"])
        for t in await world.bank.trades()
        if t["out_trade_no"] in snap.payments
    }
    return snap


async def _holds(uow: UnitOfWork, sid: int) -> dict[int, HoldRow]:
    rows = await uow.session.execute(
        select(Hold.id, Hold.buyer, Hold.status, Hold.quantity, Hold.expires_at).where(
            Hold.session_id == sid
        )
    )
    return {hid: HoldRow(b, s, q, as_utc(e)) for hid, b, s, q, e in rows}


async def _orders(uow: UnitOfWork, sid: int) -> dict[str, OrderRow]:
    rows = await uow.session.execute(
        select(
            Order.number, Order.id, Order.hold_id, Order.status, Order.paid_by, Order.total
        ).where(Order.session_id == sid)
    )
    return {n: OrderRow(i, h, s, p, t) for n, i, h, s, p, t in rows}


async def _seats(uow: UnitOfWork, sid: int) -> dict[str, SeatRow]:
    rows = await uow.session.execute(
        select(
            Seat.key,
            SessionSeat.status,
            SessionSeat.hold_id,
            SessionSeat.order_id,
            SessionSeat.hold_expires_at,
        )
        .join(Seat, Seat.id == SessionSeat.seat_id)
        .where(SessionSeat.session_id == sid)
    )
    return {k: SeatRow(s, h, o, as_utc(e) if e else None) for k, s, h, o, e in rows}


async def _quotas(uow: UnitOfWork, sid: int) -> dict[str, Counters]:
    rows = await uow.session.execute(
        select(PriceLevel.code, WindowQuota.quota, WindowQuota.held, WindowQuota.sold)
        .join(PriceLevel, PriceLevel.id == WindowQuota.price_level_id)
        .join(SalesWindow, SalesWindow.id == WindowQuota.window_id)
        .where(SalesWindow.session_id == sid)
    )
    return {code: Counters(q, h, s) for code, q, h, s in rows}


async def _ga(uow: UnitOfWork, sid: int) -> Counters:
    row = (
        await uow.session.execute(
            select(SessionGA.capacity, SessionGA.held, SessionGA.sold)
            .join(GAArea, GAArea.id == SessionGA.ga_area_id)
            .where(SessionGA.session_id == sid, GAArea.code == GA)
        )
    ).one()
    return Counters(*row)


async def _money(uow: UnitOfWork, snap: Snapshot) -> None:
    """Order lines, payments and refunds of the session's orders."""
    ids = {o.id: n for n, o in snap.orders.items()}
    for order_id, seat, area in await uow.session.execute(
        select(OrderLine.order_id, OrderLine.seat_key, OrderLine.area_code).where(
            OrderLine.order_id.in_(list(ids))
        )
    ):
        snap.lines.setdefault(order_id, []).append((seat, area))
    payments = await uow.session.execute(
        select(
            Payment.id,
            Payment.number,
            Payment.order_number,
            Payment.method,
            Payment.status,
            Payment.amount,
            Payment.refunded,
        ).where(Payment.order_number.in_(list(snap.orders)))
    )
    numbers = {}
    for pid, number, order, method, status, amount, refunded in payments:
        snap.payments[number] = PaymentRow(order, method, status, amount, refunded)
        numbers[pid] = number
    for pid, amount, status, reason in await uow.session.execute(
        select(Refund.payment_id, Refund.amount, Refund.status, Refund.reason).where(
            Refund.payment_id.in_(list(numbers))
        )
    ):
        snap.refunds.setdefault(numbers[pid], []).append((amount, status, reason))


async def _jobs(uow: UnitOfWork, snap: Snapshot) -> None:
    """Failed sales jobs of the session's orders, and payments waiting to be settled late."""
    rows = await uow.session.execute(
        select(OutboxJob.kind, OutboxJob.payload, OutboxJob.last_error, OutboxJob.done_at).where(
            OutboxJob.kind.like("sales.%")
        )
    )
    for kind, payload, error, done_at in rows:
        # Payments are numbered after their order, refunds after their payment.
        ref = str(next(iter(payload.values()), ""))
        if error and any(ref.startswith(number) for number in snap.orders):
            snap.failed_jobs.append(f"{kind} {payload}: {error}")
        if kind == LATE_JOB and done_at is None:
            snap.settling.add(ref)

"""The correctness check after a sale, read from one snapshot: seats sold equal the seat
tickets and the seats of paid orders, no seat is in two paid orders or two tickets, no quota
or GA capacity is passed, every paid order has one ticket per line, and the platform's own
consistency checker (``admit check``) finds nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admit.catalog.models import PriceLevel
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionGA, SessionSeat
from admit.sales import consistency
from admit.sales.models import Order, OrderLine, SalesWindow, WindowQuota
from admit.ticketing.models import Ticket
from bench.harness import BENCH_ACTOR


@dataclass
class SaleCheck:
    session_id: int
    seats_sold: int = 0  # session_seat rows sold
    seat_tickets: int = 0  # valid tickets for a seat
    paid_seat_lines: int = 0  # seat lines of paid orders
    places_sold: int = 0  # GA places sold (session_ga.sold)
    place_tickets: int = 0
    paid_orders: int = 0
    seats_twice: list[str] = field(default_factory=list)
    over_quota: list[str] = field(default_factory=list)
    orders_without_tickets: list[str] = field(default_factory=list)
    quotas: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # quota, held, sold
    problems: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        out = []
        if not self.seats_sold == self.seat_tickets == self.paid_seat_lines:
            out.append(
                f"seats sold {self.seats_sold}, seat tickets {self.seat_tickets}, "
                f"seats in paid orders {self.paid_seat_lines}"
            )
        if self.places_sold != self.place_tickets:
            out.append(f"places sold {self.places_sold}, place tickets {self.place_tickets}")
        out += [f"seat sold twice: {s}" for s in self.seats_twice]
        out += [f"over quota or capacity: {q}" for q in self.over_quota]
        out += [f"paid order without its tickets: {n}" for n in self.orders_without_tickets]
        out += [f"admit check: {p}" for p in self.problems]
        return out

    @property
    def ok(self) -> bool:
        return not self.failures()

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "failures": self.failures()[:20]}


async def check_sale(rt: Runtime, session_id: int) -> SaleCheck:
    """The check in one snapshot (REPEATABLE READ on PostgreSQL; SQLite reads one snapshot
    per transaction anyway)."""
    engine = rt.engine
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    async with AsyncSession(engine) as session:
        try:
            return await check_in(session, session_id)
        finally:
            await session.rollback()


async def check_in(s: AsyncSession, session_id: int) -> SaleCheck:
    """The check on an open database session (its transaction is the caller's)."""
    found = SaleCheck(session_id)
    found.seats_sold = await _count(
        s, SessionSeat.session_id == session_id, SessionSeat.status == "sold"
    )
    await _tickets(s, found)
    await _orders(s, found)
    await _limits(s, found)
    found.problems = await consistency.problems(UnitOfWork(s, BENCH_ACTOR))
    return found


async def _count(s: AsyncSession, *where: Any) -> int:
    table = where[0].left.table
    return int(await s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def _tickets(s: AsyncSession, found: SaleCheck) -> None:
    sid = found.session_id
    seat_keys = (
        await s.scalars(
            select(Ticket.seat_key).where(
                Ticket.session_id == sid, Ticket.status == "valid", Ticket.seat_key.is_not(None)
            )
        )
    ).all()
    found.seat_tickets = len(seat_keys)
    found.place_tickets = await _count(
        s, Ticket.session_id == sid, Ticket.status == "valid", Ticket.area_code.is_not(None)
    )
    paid_keys = (
        await s.scalars(
            select(OrderLine.seat_key)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.session_id == sid, Order.status == "paid", OrderLine.seat_key.is_not(None))
        )
    ).all()
    found.paid_seat_lines = len(paid_keys)
    twice = {k for k, n in Counter(seat_keys).items() if n > 1}
    twice |= {k for k, n in Counter(paid_keys).items() if n > 1}
    found.seats_twice = sorted(k for k in twice if k is not None)


async def _orders(s: AsyncSession, found: SaleCheck) -> None:
    sid = found.session_id
    lines = dict(
        (
            await s.execute(
                select(Order.number, func.count(OrderLine.id))
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(Order.session_id == sid, Order.status == "paid")
                .group_by(Order.number)
            )
        ).all()
    )
    tickets = dict(
        (
            await s.execute(
                select(Ticket.order_number, func.count())
                .where(Ticket.session_id == sid, Ticket.status == "valid")
                .group_by(Ticket.order_number)
            )
        ).all()
    )
    found.paid_orders = len(lines)
    found.orders_without_tickets = sorted(n for n, k in lines.items() if tickets.get(n) != k)


async def _limits(s: AsyncSession, found: SaleCheck) -> None:
    sid = found.session_id
    for code, quota, held, sold in (
        await s.execute(
            select(PriceLevel.code, WindowQuota.quota, WindowQuota.held, WindowQuota.sold)
            .join(PriceLevel, PriceLevel.id == WindowQuota.price_level_id)
            .join(SalesWindow, SalesWindow.id == WindowQuota.window_id)
            .where(SalesWindow.session_id == sid)
            .order_by(PriceLevel.code)
        )
    ).all():
        found.quotas[code] = (quota, held, sold)
        if held + sold > quota or min(held, sold) < 0:
            found.over_quota.append(f"quota {code}: {held} held + {sold} sold against {quota}")
    for area_id, capacity, held, sold in (
        await s.execute(
            select(SessionGA.id, SessionGA.capacity, SessionGA.held, SessionGA.sold).where(
                SessionGA.session_id == sid
            )
        )
    ).all():
        found.places_sold += sold
        if held + sold > capacity or min(held, sold) < 0:
            found.over_quota.append(
                f"GA area {area_id}: {held} held + {sold} sold against {capacity}"
            )

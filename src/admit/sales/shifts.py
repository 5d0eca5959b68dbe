"""A clerk's shift at the counter and its till report (FE2): open with the float in the
drawer, close with the cash counted; the report sums the payments the clerk took at the outlet
between the two, by payment method, and the cash the drawer should hold (float + cash taken).

Payments name the clerk who took them (``Payment.staff``, the username) and the outlet, so the
report is a read over the payments; a shift only fixes the period. Card-terminal and agent
collections, when they land, record the clerk the same way and appear under their method."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.core import audit
from admit.core.errors import Conflict, NotFound
from admit.core.uow import UnitOfWork
from admit.payments.models import Payment, Refund
from admit.sales.counter_gate import refuse_if_closed
from admit.sales.shift_models import CounterShift

TAKEN = ("captured",)  # a refunded payment stays captured (``Payment.refunded``)


class ShiftOpen(Conflict):
    code = "shift_open"


class NoOpenShift(Conflict):
    code = "no_open_shift"


@dataclass(frozen=True, slots=True)
class MethodTotal:
    method: str
    payments: int
    amount: int


@dataclass(frozen=True, slots=True)
class TillReport:
    shift: CounterShift
    until: datetime
    totals: list[MethodTotal]
    cash_refunded: int = 0  # cash refunds the clerk handed back at the outlet meanwhile

    @property
    def taken(self) -> int:
        return sum(t.amount for t in self.totals)

    @property
    def cash_taken(self) -> int:
        return sum(t.amount for t in self.totals if t.method == "cash")

    @property
    def cash_expected(self) -> int:
        """What the drawer should hold: the float plus the cash taken, less the cash refunds
        handed back."""
        return self.shift.opening_float + self.cash_taken - self.cash_refunded

    @property
    def difference(self) -> int | None:
        """Counted minus expected, once the shift is closed (negative: cash missing)."""
        counted = self.shift.counted_cash
        return None if counted is None else counted - self.cash_expected


async def current_shift(uow: UnitOfWork, staff_id: int) -> CounterShift | None:
    return await uow.session.scalar(select(CounterShift).where(CounterShift.open_for == staff_id))


async def open_shift(
    uow: UnitOfWork, *, staff_id: int, staff: str, outlet: str, opening_float: int, now: datetime
) -> CounterShift:
    """Open the clerk's shift at ``outlet``. Raises ``ShiftOpen`` while one is open (one
    ``INSERT … ON CONFLICT DO NOTHING`` on the unique ``open_for``: of two racing counters
    one opens it) and ``OutletDisabled``."""
    await refuse_if_closed(uow, outlet)
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    shift: CounterShift | None = await uow.session.scalar(
        upsert(CounterShift)
        .values(
            staff_id=staff_id,
            staff=staff,
            outlet=outlet,
            opening_float=opening_float,
            opened_at=now,
            open_for=staff_id,
        )
        .on_conflict_do_nothing(index_elements=[CounterShift.open_for])
        .returning(CounterShift)
    )
    if shift is None:  # open already (or opened by another counter a moment ago)
        raise ShiftOpen("close your open shift first")
    await audit.record(
        uow,
        action="shift.opened",
        entity_type="counter_shift",
        entity_id=shift.id,
        now=now,
        data={"outlet": outlet, "float": opening_float},
    )
    return shift


async def close_shift(
    uow: UnitOfWork, *, staff_id: int, counted_cash: int, now: datetime
) -> CounterShift:
    """Close the clerk's open shift with the cash counted; one conditional ``UPDATE``, so a
    shift is closed once. Raises ``NoOpenShift``."""
    shift = await current_shift(uow, staff_id)
    if shift is None:
        raise NoOpenShift("you have no open shift")
    closed = await uow.session.execute(
        update(CounterShift)
        .where(CounterShift.id == shift.id, CounterShift.open_for.is_not(None))
        .values(open_for=None, closed_at=now, counted_cash=counted_cash)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise NoOpenShift("the shift was closed meanwhile")
    await uow.session.refresh(shift)
    await audit.record(
        uow,
        action="shift.closed",
        entity_type="counter_shift",
        entity_id=shift.id,
        now=now,
        data={"outlet": shift.outlet, "counted": counted_cash},
    )
    return shift


async def get_shift(uow: UnitOfWork, shift_id: int, *, staff_id: int) -> CounterShift:
    shift = await uow.session.get(CounterShift, shift_id)
    if shift is None or shift.staff_id != staff_id:
        raise NotFound(f"shift {shift_id} does not exist")
    return shift


async def recent_shifts(uow: UnitOfWork, staff_id: int, limit: int = 10) -> list[CounterShift]:
    rows = await uow.session.scalars(
        select(CounterShift)
        .where(CounterShift.staff_id == staff_id)
        .order_by(CounterShift.opened_at.desc(), CounterShift.id.desc())
        .limit(limit)
    )
    return list(rows)


async def till_report(uow: UnitOfWork, shift: CounterShift, *, now: datetime) -> TillReport:
    """What the clerk took at the shift's outlet from its opening to its close (or now)."""
    until = shift.closed_at or now
    rows = await uow.session.execute(
        select(Payment.method, func.count(), func.coalesce(func.sum(Payment.amount), 0))
        .where(
            Payment.staff == shift.staff,
            Payment.outlet == shift.outlet,
            Payment.status.in_(TAKEN),
            Payment.captured_at >= shift.opened_at,
            Payment.captured_at <= until,
        )
        .group_by(Payment.method)
        .order_by(Payment.method)
    )
    totals = [MethodTotal(method, int(n), int(amount)) for method, n, amount in rows]
    handed_back = await uow.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Refund.handed_by == shift.staff,
            Refund.status == "done",
            Refund.done_at >= shift.opened_at,
            Refund.done_at <= until,
            Payment.outlet == shift.outlet,
            Payment.method == "cash",
        )
    )
    return TillReport(shift=shift, until=until, totals=totals, cash_refunded=int(handed_back or 0))

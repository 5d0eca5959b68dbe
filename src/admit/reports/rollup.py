"""The daily roll-up: each closed UTC day's figures, written once by the worker, so a report
over a year reads a few hundred thousand small rows instead of a million payments and tickets
joined to their orders.

A day is closed an hour after it ends (``MARGIN``): what moves money or issues tickets stamps
the time it ran, and no transaction lasts an hour, so nothing lands on a day once it is closed.
Each worker cycle rolls up at most one day (the one after ``report_rollup.through``), under a
lock on that row (a worker finding it locked goes on with its cycle), so several workers
never write the same day; the day's rows and the new
``through`` are committed together. A report reads the days up to ``through`` from here and
the others live (``reports.figures``). Rolling a day again (``admit reports rollup --from``,
after data was imported into the past) replaces its rows in one transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.accounts.models import Customer, CustomerAddress
from admit.core.uow import UnitOfWork
from admit.core.worker import sweeper
from admit.payments.models import Payment, Refund
from admit.reports.dimensions import Dimension, Movements, key_of
from admit.reports.live import Scope, buyer_kind, join_buyer, money_query, tickets_query
from admit.reports.models import ReportDayBuyer, ReportDayFigure, ReportRollup
from admit.reports.periods import GRAINS, Grain, Period, bucket_of, day_of
from admit.sales.models import Order
from admit.ticketing.models import Ticket

MARGIN = timedelta(hours=1)
# What the roll-up stores: every dimension but the coarser grains (read from the days).
ROLLED: tuple[Dimension, ...] = tuple(d for d in get_args(Dimension) if d not in ("week", "month"))
Figure = tuple[int, int, int, int, int]  # payments, paid, refunds, refunded, tickets


def last_closed(now: datetime) -> date:
    return (now - MARGIN).astimezone(UTC).date() - timedelta(days=1)


async def rolled_through(uow: UnitOfWork) -> date | None:
    """The last day rolled up, if any."""
    through: date | None = await uow.session.scalar(
        select(ReportRollup.through).where(ReportRollup.id == 1)
    )
    return through


async def _locked_state(uow: UnitOfWork, *, wait: bool = True) -> ReportRollup | None:
    """The roll-up's row, locked for this transaction; ``None`` if another holds it and
    ``wait`` is false (PostgreSQL; SQLite has one writer at a time anyway)."""
    locked = select(ReportRollup).where(ReportRollup.id == 1).with_for_update(skip_locked=not wait)
    state: ReportRollup | None = await uow.session.scalar(locked)
    if state is None:
        there = await uow.session.scalar(select(ReportRollup.id).where(ReportRollup.id == 1))
        if there is not None:
            return None  # locked by another transaction
        # Made by the migration; a database made otherwise gets it on first use.
        upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
        await uow.session.execute(upsert(ReportRollup).values(id=1).on_conflict_do_nothing())
        state = await uow.session.scalar(locked)
    return state


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def roll(uow: UnitOfWork, first: date, last: date) -> int:
    """Write the figures of the days ``first``..``last`` for every organiser, replacing any
    rows of those days; returns how many figure rows were written."""
    dialect = uow.dialect
    scope = Scope(None, Period(first, last), per_day=True)
    s = uow.session
    await s.execute(delete(ReportDayFigure).where(ReportDayFigure.day.between(first, last)))
    await s.execute(delete(ReportDayBuyer).where(ReportDayBuyer.day.between(first, last)))
    written = 0
    for dim in ROLLED:
        rows = await _day_figures(uow, scope, dim)
        if rows:
            await s.execute(
                insert(ReportDayFigure),
                [
                    {
                        "organiser_id": org,
                        "dimension": dim,
                        "day": day,
                        "key": key,
                        "payments": f[0],
                        "paid": f[1],
                        "refunds": f[2],
                        "refunded": f[3],
                        "tickets": f[4],
                    }
                    for (org, day, key), f in rows.items()
                ],
            )
        written += len(rows)
    await s.execute(_payers_insert(scope, dialect))
    return written


async def _day_figures(
    uow: UnitOfWork, scope: Scope, dim: Dimension
) -> dict[tuple[int, date, str], list[int]]:
    """Each organiser's figures by day and key of ``dim`` (``day`` itself: the key ``""``)."""
    rows: dict[tuple[int, date, str], list[int]] = {}

    def row(org: int, day: Any, key: Any) -> list[int]:
        at = (org, _as_date(day), "" if dim == "day" else key_of(key))
        return rows.setdefault(at, [0, 0, 0, 0, 0])

    money = money_query(scope, dim, "all", uow.dialect)
    for org, day, key, *moved in await uow.session.execute(money):
        row(org, day, key)[:4] = [int(v) for v in moved]
    if dim != "reason":
        for org, day, key, tickets in await uow.session.execute(
            tickets_query(scope, dim, uow.dialect)
        ):
            row(org, day, key)[4] = int(tickets)
    return rows


def _payers_insert(scope: Scope, dialect: str) -> Any:
    """Who paid each day, in which channel — and of which kind, account source and province."""
    day = day_of(Payment.captured_at, dialect)
    chosen = (
        select(
            Payment.organiser_id,
            day,
            Order.buyer,
            Order.channel,
            buyer_kind(Order.buyer),
            Customer.source_channel,
            CustomerAddress.province,
        )
        .select_from(Payment)
        .join(Order, Order.number == Payment.order_number)
    )
    chosen = join_buyer(chosen, address=True)
    chosen = chosen.where(
        Payment.captured_at >= scope.period.start, Payment.captured_at < scope.period.end
    ).distinct()
    columns = ["organiser_id", "day", "buyer", "channel", "buyer_kind", "source", "region"]
    return insert(ReportDayBuyer).from_select(columns, chosen)


async def _first_day(uow: UnitOfWork) -> date | None:
    """The first day anything moved or was issued on (where a new roll-up starts)."""
    s, firsts = uow.session, []
    for earliest in (
        select(func.min(Payment.captured_at)),
        select(func.min(Refund.done_at)).where(Refund.status == "done"),
        select(func.min(Ticket.issued_at)),
    ):
        at = await s.scalar(earliest)
        if at is not None:
            firsts.append(at.astimezone(UTC).date() if at.tzinfo else at.date())
    return min(firsts, default=None)


async def advance(
    uow: UnitOfWork, now: datetime, *, days: int = 1, wait: bool = True
) -> list[date]:
    """Roll up the next ``days`` closed days not yet rolled up; returns those rolled. With
    ``wait`` false, another transaction rolling up meanwhile is left to it (none rolled)."""
    closed = last_closed(now)
    state = await _locked_state(uow, wait=wait)
    if state is None or (state.through is not None and state.through >= closed):
        return []
    first = state.through + timedelta(days=1) if state.through else await _first_day(uow)
    if first is None or first > closed:  # nothing ever happened: nothing to roll up before
        state.through, state.rolled_at = closed, now
        return []
    last = min(closed, first + timedelta(days=days - 1))
    await roll(uow, first, last)
    state.through, state.rolled_at = last, now
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def pending(uow: UnitOfWork, now: datetime) -> int:
    """How many closed days are not rolled up yet."""
    through = await rolled_through(uow)
    first = through + timedelta(days=1) if through else await _first_day(uow)
    return 0 if first is None else max(0, (last_closed(now) - first).days + 1)


async def rewind(uow: UnitOfWork, to: date) -> None:
    """Make ``to`` and the days after it not rolled up (reports read them live until they are
    rolled up again): after sales were imported into the past."""
    state = await _locked_state(uow)
    before = to - timedelta(days=1)
    if state is not None and state.through is not None and state.through > before:
        state.through = before


@sweeper("reports.rollup")
async def roll_closed_day(uow: UnitOfWork, now: datetime) -> int:
    # Another worker rolling a day up is not waited for: this one's cycle goes on.
    return len(await advance(uow, now, wait=False))


async def read(
    uow: UnitOfWork, organiser_id: int, period: Period, dim: Dimension, movements: Movements
) -> list[tuple[str, Figure]]:
    """The rolled-up figures of ``period`` by ``dim``'s key (a grain's key: its first day)."""
    f = ReportDayFigure
    stored = "day" if dim in GRAINS else dim
    grouped = f.day if dim in GRAINS else f.key
    query = (
        select(
            grouped,
            func.sum(f.payments),
            func.sum(f.paid),
            func.sum(f.refunds),
            func.sum(f.refunded),
            func.sum(f.tickets),
        )
        .where(f.organiser_id == organiser_id, f.dimension == stored)
        .where(f.day.between(period.first, period.last))
        .group_by(grouped)
    )
    if movements == "refunds":
        query = query.where(f.refunds > 0)
    found: list[tuple[str, Figure]] = []
    for at, *sums in await uow.session.execute(query):
        payments, paid, refunds, refunded, tickets = (int(v) for v in sums)
        if movements == "refunds":
            payments = paid = tickets = 0
        key = str(at)
        if dim in GRAINS:
            grain: Grain = dim
            key = bucket_of(_as_date(at), grain).isoformat()
        found.append((key, (payments, paid, refunds, refunded, tickets)))
    return found


def payers(organiser_id: int, period: Period, dim: Dimension) -> Any:
    """(key, buyer) from the rolled-up days, as ``live.payers_query`` gives them live."""
    b = ReportDayBuyer
    assert dim in ("channel", "buyer_kind", "source", "region"), dim
    columns: dict[str, Any] = {
        "channel": b.channel,
        "buyer_kind": b.buyer_kind,
        "source": b.source,
        "region": b.region,
    }
    return select(columns[dim].label("key"), b.buyer.label("buyer")).where(
        b.organiser_id == organiser_id, b.day.between(period.first, period.last)
    )

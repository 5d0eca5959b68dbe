"""Holds that end (S5): released by their buyer, expired by the sweeper (or when a quota
looks used up), given back when a payment is declined or comes too late. Everything a hold
took comes back — the buyer's counter, its seats, its unpaid order and that order's holders'
counts, the shared counters' slices — with one statement per step whatever the number of
holds (``end_holds``), so the sweeper expires two hundred holds in about the statements one
release takes.

Lock order, as everywhere: holds (locked by the caller) → orders → buyer counters → seats →
holder documents → the shared counters' slices, last, in (counter, slice) order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from admit.core import outbox, sliced_counters
from admit.core.db import table
from admit.core.errors import NotFound
from admit.core.sliced_counters import CounterSlice
from admit.core.uow import UnitOfWork
from admit.core.worker import sweeper
from admit.inventory.claims import release_seats
from admit.inventory.models import SessionGASlice
from admit.payments.models import Payment
from admit.sales.hold_end_statement import end_once, fits, release_once
from admit.sales.hold_requests import HoldSummary
from admit.sales.limits import give_back_holder_usage
from admit.sales.models import BuyerUsage, Hold, HoldCount, Order, WindowQuotaSlice
from admit.sales.outside_inventory import outside

CLOSE_PAYMENTS_JOB = "sales.close_payments"  # handled in admit.sales.checkout
OPEN_PAYMENTS = ("created", "pending")
EXPIRE_BATCH = 200


class Ending(Protocol):
    """What ending a hold needs of it: a ``Hold`` row, or a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def session_id(self) -> int: ...
    @property
    def buyer(self) -> str: ...
    @property
    def quantity(self) -> int: ...


async def give_back(uow: UnitOfWork, hold: Hold, status: str, now: datetime) -> None:
    """The hold (locked by the caller) ends ``released`` or ``expired``: everything it took
    comes back."""
    await end_holds(uow, [hold], status, now)


async def end_holds(uow: UnitOfWork, holds: Sequence[Ending], status: str, now: datetime) -> None:
    """The active holds (locked by the caller) end with ``status``; everything they took
    comes back, their unpaid orders end with them (``expired`` or ``cancelled``) and those
    orders' open trades are closed by a job. A ``Hold`` object passed in shows the end."""
    if not holds:
        return
    ids = sorted(h.id for h in holds)
    if fits(uow) and await end_once(uow, ids, status, now):
        # Counters, seats, the holds and the slices in one statement; the holds had no
        # unpaid order. A cinema's lock behind a hold is released after: every path that
        # touches it locks the hold first, so the order of the rest does not matter.
        for hold in holds:
            _ended(hold, status, now)
            if outside().known(uow.caches, hold.session_id) is not False:
                await outside().hold_ended(uow, hold.id, now)
        return
    usage = table(BuyerUsage)
    await uow.session.execute(
        update(usage)
        .where(usage.c.session_id == bindparam("e_session"), usage.c.buyer == bindparam("e_buyer"))
        .values(held=usage.c.held - bindparam("e_n")),
        [
            {"e_session": h.session_id, "e_buyer": h.buyer, "e_n": h.quantity}
            for h in sorted(holds, key=lambda h: (h.session_id, h.buyer))
        ],
    )
    await release_seats(uow, ids, now=now)
    await _end_orders(uow, ids, "expired" if status == "expired" else "cancelled", now)
    held = table(Hold)
    await uow.session.execute(
        update(held).where(held.c.id.in_(ids)).values(status=status, ended_at=now)
    )
    for hold in holds:
        _ended(hold, status, now)
        if outside().known(uow.caches, hold.session_id) is not False:
            await outside().hold_ended(uow, hold.id, now)  # e.g. a cinema's lock behind it
    taken = await taken_slices(uow, ids)
    await sliced_counters.move_many(
        uow, [sliced_counters.Move(model, cid, sl, -n, 0) for model, cid, sl, n in taken]
    )


def _ended(hold: Ending, status: str, now: datetime) -> None:
    """A ``Hold`` object passed in shows its end (without a statement)."""
    if isinstance(hold, Hold):
        set_committed_value(hold, "status", status)
        set_committed_value(hold, "ended_at", now)


async def _end_orders(uow: UnitOfWork, hold_ids: list[int], status: str, now: datetime) -> None:
    """The holds' unpaid orders end; their holders' tickets stop counting, and their open
    trades are closed (so they can no longer be paid) by a job."""
    orders = table(Order)
    pending = (
        await uow.session.execute(
            select(orders.c.id, orders.c.number, orders.c.session_id)
            .where(orders.c.hold_id.in_(hold_ids), orders.c.status == "pending_payment")
            .order_by(orders.c.id)
            .with_for_update()
        )
    ).all()
    if not pending:
        return
    await give_back_holder_usage(uow, [(o.id, o.session_id) for o in pending])
    payments = table(Payment)
    open_trades = (
        await uow.session.scalars(
            select(payments.c.order_number)
            .where(
                payments.c.order_number.in_([o.number for o in pending]),
                payments.c.status.in_(OPEN_PAYMENTS),
            )
            .distinct()
        )
    ).all()
    await outbox.enqueue_many(
        uow, CLOSE_PAYMENTS_JOB, [{"order": n} for n in sorted(open_trades)], now=now
    )
    await uow.session.execute(
        update(orders)
        .where(orders.c.id.in_([o.id for o in pending]))
        .values(status=status, ended_at=now)
    )


async def taken_slices(
    uow: UnitOfWork, hold_ids: Sequence[int]
) -> list[tuple[type[CounterSlice], int, int, int]]:
    """What the holds' counts took, per counter slice — (slice table, counter, slice, n) — in
    lock order: GA areas, then quotas, each by id and slice, the order a rebalance locks in,
    so that releasing or selling several holds together cannot deadlock with it."""
    counts = table(HoldCount)
    rows = await uow.session.execute(
        select(counts.c.session_ga_id, counts.c.quota_id, counts.c.slice, counts.c.quantity).where(
            counts.c.hold_id.in_(list(hold_ids))
        )
    )
    ga: Counter[tuple[int, int]] = Counter()
    quota: Counter[tuple[int, int]] = Counter()
    for session_ga_id, quota_id, slice_, n in rows:
        if session_ga_id is not None:
            ga[session_ga_id, slice_] += n
        elif quota_id is not None:
            quota[quota_id, slice_] += n
    return [(SessionGASlice, cid, sl, n) for (cid, sl), n in sorted(ga.items())] + [
        (WindowQuotaSlice, cid, sl, n) for (cid, sl), n in sorted(quota.items())
    ]


async def release_hold(
    uow: UnitOfWork, *, hold_id: int, buyer: str, now: datetime
) -> Hold | HoldSummary:
    """The buyer gives the hold up: seats, places, quota and limit come back at once. On
    PostgreSQL one statement (``admit_release``) unless the hold has an unpaid order or is
    not the buyer's (then the statements below, which raise ``NotFound``)."""
    if fits(uow):
        released = await release_once(uow, hold_id=hold_id, buyer=buyer, now=now)
        if released is not None:
            ended, summary = released
            if ended and outside().known(uow.caches, summary.session_id) is not False:
                await outside().hold_ended(uow, hold_id, now)
            return summary
    hold = await uow.session.scalar(select(Hold).where(Hold.id == hold_id).with_for_update())
    if hold is None or hold.buyer != buyer:
        raise NotFound(f"hold {hold_id} does not exist")
    if hold.status == "active":
        await give_back(uow, hold, "released", now)
    return hold


async def expire_due(
    uow: UnitOfWork, *, now: datetime, session_id: int | None = None, limit: int = EXPIRE_BATCH
) -> int:
    """Expire active holds past their time (the sweeper; also called when a quota looks used
    up), ``limit`` at a time with one statement per step; returns how many. Holds another
    transaction has locked are skipped."""
    held = table(Hold)
    query = (
        select(held.c.id, held.c.session_id, held.c.buyer, held.c.quantity)
        .where(held.c.status == "active", held.c.expires_at <= now)
        .order_by(held.c.expires_at)
        .limit(limit)
    )
    if session_id is not None:
        query = query.where(held.c.session_id == session_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = (await uow.session.execute(query)).all()
    await end_holds(uow, due, "expired", now)
    return len(due)


@sweeper("sales.expire_holds")
async def _sweep_expired(uow: UnitOfWork, now: datetime) -> int:
    return await expire_due(uow, now=now)

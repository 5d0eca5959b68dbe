"""Capacity counters split into slices, so that buyers of one on-sale do not queue on one row.

A counter (a window's quota of a price level, a session's general-admission area) has a fixed
total. That total is split over ``slices`` rows (``counter_id``, ``slice``), each with its own
``capacity``, ``held`` and ``sold``; every slice keeps ``held + sold <= capacity`` and the
capacities always add up to the total, so the counter as a whole can never be exceeded.

A hold takes from one slice with one conditional ``UPDATE`` — starting from its *home* slice
(its id modulo the number of slices) and skipping slices another transaction is updating — and
records which slice it took from; release and sale touch that slice only. Concurrent buyers so
update different rows and never wait for each other. When no slice has room and is free, the
counter is *rebalanced*: all its slices are locked in slice order, the free capacity is spread
evenly again with enough of it on the home slice, and the take is written there.

Locks: a taker waits on no slice; a rebalancer holds no slice of the counter before locking
them all in ascending order; a release or sale of several holds (the sweeper) updates slices
in ascending order. So no two transactions can wait for each other on a counter's slices. (A
PostgreSQL ``UPDATE`` that waited on a row and then found it no longer matched keeps that row
locked to the end of the transaction; the taker's ``SKIP LOCKED`` pick never waits, so it never
holds a slice it did not take.)

The number of slices is fixed when the counter is made (``slices_for``): one per
``PLACES_PER_SLICE`` of capacity, at most ``MAX_SLICES``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from sqlalchemy import ForeignKey, SmallInteger, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from admit.core.db import BigIntKey
from admit.core.uow import UnitOfWork

MAX_SLICES = 16
PLACES_PER_SLICE = 16  # a small counter stays in one slice; rebalancing is for the tail


class CounterSlice:
    """Mixin of a slice table: ``__counter_of__`` names the counter's table (its ``id``)."""

    __counter_of__: ClassVar[str]

    @declared_attr
    def counter_id(cls) -> Mapped[int]:
        return mapped_column(
            BigIntKey,
            ForeignKey(f"{cls.__counter_of__}.id", ondelete="CASCADE"),
            primary_key=True,
            sort_order=-1,  # the key is (counter_id, slice): a counter's slices side by side
        )

    slice: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    capacity: Mapped[int]
    held: Mapped[int] = mapped_column(default=0)
    sold: Mapped[int] = mapped_column(default=0)


def slices_for(total: int) -> int:
    """How many slices a counter of this total gets (fixed for its life)."""
    return max(1, min(MAX_SLICES, total // PLACES_PER_SLICE))


def home_slice(owner_id: int, slices: int) -> int:
    """The slice a hold tries first (so that concurrent holds start on different rows)."""
    return owner_id % slices


def spread(total: int, slices: int) -> list[int]:
    """``total`` split as evenly as possible over ``slices``."""
    base, extra = divmod(total, slices)
    return [base + (1 if i < extra else 0) for i in range(slices)]


def slice_rows(counter_id: int, total: int, slices: int) -> list[dict[str, int]]:
    """The rows of a new counter: the total spread over its slices, nothing held or sold."""
    return [
        {"counter_id": counter_id, "slice": i, "capacity": cap, "held": 0, "sold": 0}
        for i, cap in enumerate(spread(total, slices))
    ]


async def create(
    uow: UnitOfWork, model: type[CounterSlice], counters: Iterable[tuple[int, int, int]]
) -> None:
    """Write the slices of new counters, given as (counter id, total, slices)."""
    rows = [row for cid, total, slices in counters for row in slice_rows(cid, total, slices)]
    if rows:
        await uow.session.execute(insert(model), rows)


def total_of(model: type[CounterSlice], column: str, counter_id: Any) -> Any:
    """A correlated scalar subquery: the sum of one column over a counter's slices (for a
    ``column_property`` of the counter: its ``held``, ``sold``)."""
    return (
        select(func.coalesce(func.sum(getattr(model, column)), 0))
        .where(model.counter_id == counter_id)
        .correlate_except(model)
        .scalar_subquery()
    )


def _fits(model: type[CounterSlice], n: int) -> ColumnElement[bool]:
    return model.held + model.sold + n <= model.capacity


async def take(
    uow: UnitOfWork, model: type[CounterSlice], counter_id: int, home: int, n: int
) -> int | None:
    """Count ``n`` more held against the counter if they fit in it; returns the slice they were
    counted on (the caller records it), or None when the counter has fewer than ``n`` left.

    One statement in the common case: the first slice, starting from ``home``, that has room
    and that no other transaction is updating (``FOR UPDATE SKIP LOCKED``: a taker never waits
    on a slice, and a statement that finds nothing locks nothing). When no slice qualifies, the
    counter is rebalanced (``_rebalance``). The caller must hold no slice of this counter."""
    pick = (
        select(model.slice)
        .where(model.counter_id == counter_id, _fits(model, n))
        .order_by((model.slice + MAX_SLICES - home) % MAX_SLICES)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    done = await uow.session.execute(
        update(model)
        .where(model.counter_id == counter_id, model.slice == pick)
        .values(held=model.held + n)
        .returning(model.slice),
        execution_options={"synchronize_session": False},
    )
    took = done.scalar()
    if took is not None:
        return int(took)
    return await _rebalance(uow, model, counter_id, home, n)


async def _rebalance(
    uow: UnitOfWork, model: type[CounterSlice], counter_id: int, home: int, n: int
) -> int | None:
    """Every slice is short or busy: lock them all in slice order (waiting for the busy ones),
    spread the free capacity evenly again with ``n`` more on ``home``, and count the ``n``
    there — or find that the counter has fewer than ``n`` left (first without locking)."""
    free = await uow.session.scalar(
        select(func.sum(model.capacity - model.held - model.sold)).where(
            model.counter_id == counter_id
        )
    )
    if free is None or free < n:  # used up as last committed: no need to lock anything
        return None
    rows = (
        await uow.session.execute(
            select(model.slice, model.capacity, model.held, model.sold)
            .where(model.counter_id == counter_id)
            .order_by(model.slice)
            .with_for_update()
        )
    ).all()
    free = sum(cap - held - sold for _, cap, held, sold in rows)
    if free < n:
        return None
    home = home % len(rows)
    shares = spread(free - n, len(rows))
    changes = []
    for (sl, _, held, sold), share in zip(rows, shares, strict=True):
        took = n if sl == home else 0
        changes.append(
            {
                "counter_id": counter_id,
                "slice": sl,
                "capacity": held + sold + share + took,
                "held": held + took,
            }
        )
    await uow.session.execute(update(model), changes)
    return home


@dataclass(frozen=True, slots=True)
class Move:
    """``held`` and ``sold`` added to one slice of a counter (negative to take away)."""

    model: type[CounterSlice]
    counter_id: int
    slice: int
    held: int
    sold: int


async def move_many(uow: UnitOfWork, moves: Sequence[Move]) -> None:
    """Several slices moved at once — what holds that end give back, what a batch of sales
    sells — with one executemany per slice table, each slice updated in the order given:
    the caller's lock order ((counter, slice), areas before quotas)."""
    for model in dict.fromkeys(m.model for m in moves):
        slices = cast(Table, model.__table__)  # type: ignore[attr-defined]  # a mapped mixin
        await uow.session.execute(
            update(slices)
            .where(
                slices.c.counter_id == bindparam("m_counter"),
                slices.c.slice == bindparam("m_slice"),
            )
            .values(
                held=slices.c.held + bindparam("m_held"), sold=slices.c.sold + bindparam("m_sold")
            ),
            [
                {"m_counter": m.counter_id, "m_slice": m.slice, "m_held": m.held, "m_sold": m.sold}
                for m in moves
                if m.model is model
            ],
        )

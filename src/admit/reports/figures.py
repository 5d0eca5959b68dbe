"""A report's figures: money that moved in a period (captured payments in, done refunds out,
each on the UTC day it moved — as the daily bill counts them), tickets issued in it and, for
the audience, distinct buyers, grouped by one dimension.

The days the worker has rolled up (``reports.rollup``) are read from the roll-up — a few rows
per day and key — and only the days after them (today, normally) from the sale's own tables
(``reports.live``): a year reads 365 days of small rows, not a million payments and tickets
joined to their orders. Both give the same figures for a day (the tests compare them), so a
report does not change when its days are rolled up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, text, union

from admit.core.uow import UnitOfWork
from admit.reports import live, rollup
from admit.reports.dimensions import Dimension, Movements, key_of, labels
from admit.reports.periods import GRAINS, Period

WORK_MEM = "64MB"


@dataclass(slots=True)
class Row:
    """One group: money in and out of the period, tickets issued in it, distinct buyers."""

    key: str
    label: str
    payments: int = 0
    paid: int = 0
    refunds: int = 0
    refunded: int = 0
    tickets: int = 0
    buyers: int = 0

    @property
    def net(self) -> int:
        return self.paid - self.refunded

    def add(self, payments: int, paid: int, refunds: int, refunded: int, tickets: int) -> None:
        self.payments += payments
        self.paid += paid
        self.refunds += refunds
        self.refunded += refunded
        self.tickets += tickets


@dataclass(frozen=True, slots=True)
class Figures:
    dimension: Dimension
    period: Period
    rows: list[Row]
    totals: Row = field(default_factory=lambda: Row("", "total"))


async def figures(
    uow: UnitOfWork,
    *,
    organiser_id: int,
    period: Period,
    dimension: Dimension,
    movements: Movements = "all",
    with_buyers: bool = False,
) -> Figures:
    """The groups of ``dimension`` in ``period``: money (and, unless only refunds are asked
    for, tickets) merged by key; rows in key order for time, the biggest first otherwise."""
    dialect = uow.dialect
    if dialect == "postgresql":
        # Sorts and hashes of the live days fit in memory instead of spilling to disk; for
        # this read-only transaction only.
        await uow.session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    rolled, fresh = period.split(await rollup.rolled_through(uow))
    rows: dict[str, Row] = {}
    if rolled is not None:
        for key, moved in await rollup.read(uow, organiser_id, rolled, dimension, movements):
            _row(rows, key).add(*moved)
    if fresh is not None:
        await _read_live(uow, rows, live.Scope(organiser_id, fresh), dimension, movements)
    if with_buyers:
        for key, buyers in await uow.session.execute(
            _buyers(organiser_id, rolled, fresh, dimension, dialect)
        ):
            _row(rows, key).buyers = int(buyers)
    named = await labels(uow, dimension, list(rows))
    for key, row in rows.items():
        row.label = named[key]
    if dimension in GRAINS:
        ordered = [rows[k] for k in sorted(rows)]
    else:  # the biggest first: a ranking reads from the top
        ordered = sorted(rows.values(), key=lambda r: (-r.net, -r.tickets, r.label))
    totals = Row("", "total")
    for row in ordered:
        totals.add(row.payments, row.paid, row.refunds, row.refunded, row.tickets)
        totals.buyers += row.buyers  # a buyer in two groups counts twice: see the docs
    return Figures(dimension, period, ordered, totals)


def _row(rows: dict[str, Row], key: Any) -> Row:
    if isinstance(key, datetime):  # PostgreSQL's bucket: the midnight it starts
        key = key.date().isoformat()
    k = key_of(key)
    return rows.setdefault(k, Row(k, k))


async def _read_live(
    uow: UnitOfWork,
    rows: dict[str, Row],
    scope: live.Scope,
    dimension: Dimension,
    movements: Movements,
) -> None:
    """Add the figures of ``scope``'s days read from the sale's own tables."""
    money = live.money_query(scope, dimension, movements, uow.dialect)
    for _, key, payments, paid, refunds, refunded in await uow.session.execute(money):
        _row(rows, key).add(int(payments), int(paid), int(refunds), int(refunded), 0)
    if movements == "all" and dimension != "reason":
        tickets = live.tickets_query(scope, dimension, uow.dialect)
        for _, key, count in await uow.session.execute(tickets):
            _row(rows, key).tickets += int(count)


def _buyers(
    organiser_id: int,
    rolled: Period | None,
    fresh: Period | None,
    dim: Dimension,
    dialect: str,
) -> Select[Any]:
    """Distinct buyers who paid, per key, over the rolled-up and the live days together (a
    buyer of both counts once: sets of buyers do not add up)."""
    parts: list[Select[Any]] = []
    if rolled is not None:
        parts.append(rollup.payers(organiser_id, rolled, dim))
    if fresh is not None:
        parts.append(live.payers_query(live.Scope(organiser_id, fresh), dim, dialect))
    # The distinct (key, buyer) pairs, then a count per key: a hash of the pairs, where
    # ``count(DISTINCT buyer)`` would sort every key's buyers (a third of the time on a year).
    pairs = (parts[0].distinct() if len(parts) == 1 else union(*parts)).subquery("p")
    return select(pairs.c.key, func.count()).group_by(pairs.c.key)

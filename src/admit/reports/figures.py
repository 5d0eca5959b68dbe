"""The figures behind every report, computed by the database: money that moved in the
period (captured payments in, done refunds out, each on the day it moved — as the daily
bill counts them) and tickets issued in it, grouped by one dimension. Nothing here loads a
payment or a ticket into Python: each query is one ``GROUP BY`` whose rows are the groups.

Money reaches a dimension through the payment's order (session, event, channel, the hold's
outlet, the buyer). A ticket type has no payment of its own: each payment and refund is
spread over its order's lines in proportion to their prices, by cumulative shares
(``⌊A·C_i/T⌋ − ⌊A·C_{i-1}/T⌋`` with ``C_i`` the lines' running total), so the shares of a
movement add up to it exactly and a report by ticket type totals the same as the others."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute

from admit.accounts.models import Customer, CustomerAddress, StaffUser
from admit.catalog.models import Event
from admit.catalog.models import Session as Showing
from admit.core.uow import UnitOfWork
from admit.payments.models import Payment, Refund
from admit.reports.periods import GRAINS, Grain, Period, bucket
from admit.sales.models import Channel, Hold, Order, OrderLine, Outlet
from admit.ticketing.models import Ticket

Dimension = Literal[
    "day",
    "week",
    "month",
    "event",
    "session",
    "channel",
    "outlet",
    "ticket_type",
    "staff",
    "reason",
    "buyer_kind",
    "source",
    "region",
]
Movements = Literal["all", "refunds"]
WORK_MEM = "64MB"

NONE_LABELS: dict[str, str] = {
    "outlet": "(online, no outlet)",
    "reason": "(payment)",
    "source": "(not a customer account)",
    "region": "(no address)",
}


# A column to group or join by: a mapped attribute or an expression.
Col = ColumnElement[Any] | InstrumentedAttribute[Any]


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


@dataclass(frozen=True, slots=True)
class Figures:
    dimension: Dimension
    period: Period
    rows: list[Row]
    totals: Row = field(default_factory=lambda: Row("", "total"))


@dataclass(frozen=True, slots=True)
class _Source:
    """What a dimension reads on one side (money or tickets), after the joins it asked for."""

    at: Col
    order_number: Col
    session_id: Col | None  # tickets carry it; money finds it on the order
    ticket_type: Col | None
    reason: Col | None


def _customer_id(buyer: Col) -> ColumnElement[Any]:
    # "customer:12" → 12; other buyers join nothing (and the cast never sees "staff:3").
    return case((buyer.like("customer:%"), cast(func.substr(buyer, 10), BigInteger)), else_=null())


def _staff_id(buyer: Col) -> ColumnElement[Any]:
    return case((buyer.like("staff:%"), cast(func.substr(buyer, 7), BigInteger)), else_=null())


@dataclass(frozen=True, slots=True)
class _Grouping:
    keys: tuple[Col, ...]  # the first is the row's key, the rest its label
    joins: tuple[str, ...]
    where: ColumnElement[bool] | None = None
    label: Callable[[Sequence[Any]], str] = lambda parts: str(parts[0])


def _grouping(dim: Dimension, src: _Source, dialect: str) -> _Grouping:
    """How ``dim`` groups one side: the key and label columns and the joins they need."""
    if dim in GRAINS:
        grain: Grain = dim
        return _Grouping((bucket(src.at, grain, dialect),), ())
    session_id = src.session_id if src.session_id is not None else Order.session_id
    match dim:
        case "event":
            return _Grouping(
                (Showing.event_id, Event.name), ("order?", "session", "event"), None, _second
            )
        case "session":
            return _Grouping(
                (session_id, Event.name, Showing.name, Showing.starts_at),
                ("order?", "session", "event"),
                None,
                _session_label,
            )
        case "channel":
            return _Grouping((Order.channel, Channel.name), ("order", "channel"), None, _named)
        case "outlet":
            return _Grouping((Hold.outlet, Outlet.name), ("order", "hold", "outlet"), None, _named)
        case "ticket_type":
            assert src.ticket_type is not None
            return _Grouping((src.ticket_type,), ())
        case "staff":
            return _Grouping(
                (Order.buyer, StaffUser.username),
                ("order", "staff"),
                Order.buyer.like("staff:%"),
                _second,
            )
        case "reason":
            return _Grouping((src.reason if src.reason is not None else null(),), ())
        case "buyer_kind" | "source" | "region":
            return _buyer_grouping(dim)
    raise AssertionError(dim)


def _buyer_grouping(dim: Dimension) -> _Grouping:
    """Who bought: a customer, staff at a counter, or another kind of buyer; the channel a
    customer's account was opened on; the province of its default address."""
    match dim:
        case "buyer_kind":
            kind = case(
                (Order.buyer.like("customer:%"), literal("customer")),
                (Order.buyer.like("staff:%"), literal("staff")),
                else_=literal("other"),
            )
            return _Grouping((kind,), ("order",))
        case "source":
            return _Grouping((Customer.source_channel,), ("order", "customer"))
        case "region":
            return _Grouping((CustomerAddress.province,), ("order", "customer", "address"))
    raise AssertionError(dim)


def _second(parts: Sequence[Any]) -> str:
    return str(parts[1] if parts[1] is not None else parts[0])


def _named(parts: Sequence[Any]) -> str:
    return f"{parts[0]} · {parts[1]}" if parts[1] else str(parts[0])


def _session_label(parts: Sequence[Any]) -> str:
    _, event, name, starts_at = parts
    when = starts_at.strftime("%Y-%m-%d %H:%M") if starts_at is not None else ""
    return " · ".join(p for p in (event, name, when) if p)


def _join(query: Select[Any], joins: Sequence[str], src: _Source) -> Select[Any]:
    """Add the joins a grouping asked for ("order?": only if the side lacks the session)."""
    wanted = set(joins)
    if "order?" in wanted and src.session_id is None:
        wanted.add("order")
    if "order" in wanted:
        query = query.join(Order, Order.number == src.order_number)
    if "session" in wanted:
        sid = src.session_id if src.session_id is not None else Order.session_id
        query = query.join(Showing, Showing.id == sid)
    if "event" in wanted:
        query = query.join(Event, Event.id == Showing.event_id)
    if "channel" in wanted:
        query = query.outerjoin(Channel, Channel.code == Order.channel)
    if "hold" in wanted:
        query = query.join(Hold, Hold.id == Order.hold_id)
    if "outlet" in wanted:
        query = query.outerjoin(Outlet, Outlet.code == Hold.outlet)
    if "staff" in wanted:
        query = query.outerjoin(StaffUser, StaffUser.id == _staff_id(Order.buyer))
    if "customer" in wanted:
        query = query.outerjoin(Customer, Customer.id == _customer_id(Order.buyer))
    if "address" in wanted:
        query = query.outerjoin(
            CustomerAddress,
            and_(CustomerAddress.customer_id == Customer.id, CustomerAddress.is_default),
        )
    return query


def _moves(organiser_id: int, period: Period, movements: Movements) -> FromClause:
    """Money that moved: +captured payments, −done refunds, each at the time it moved."""
    refunds = (
        select(
            Payment.order_number.label("order_number"),
            Refund.number.label("ref"),
            (-Refund.amount).label("amount"),
            Refund.done_at.label("at"),
            Refund.reason.label("reason"),
        )
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Payment.organiser_id == organiser_id,
            Refund.status == "done",
            Refund.done_at >= period.start,
            Refund.done_at < period.end,
        )
    )
    if movements == "refunds":
        return refunds.subquery("m")
    pays = select(
        Payment.order_number.label("order_number"),
        Payment.number.label("ref"),
        Payment.amount.label("amount"),
        Payment.captured_at.label("at"),
        cast(null(), String).label("reason"),
    ).where(
        Payment.organiser_id == organiser_id,
        Payment.captured_at >= period.start,
        Payment.captured_at < period.end,
    )
    return union_all(pays, refunds).subquery("m")


def _moves_by_line(m: FromClause) -> FromClause:
    """Each movement once per line of its order, with the lines' running total and whole
    (for the shares): the window runs over the period's movements only."""
    return (
        select(
            m.c.ref,
            m.c.amount,
            m.c.at,
            m.c.reason,
            m.c.order_number,
            OrderLine.ticket_type,
            OrderLine.amount.label("line"),
            func.sum(OrderLine.amount)
            .over(partition_by=m.c.ref, order_by=OrderLine.id)
            .label("upto"),
            func.sum(OrderLine.amount).over(partition_by=m.c.ref).label("whole"),
        )
        .select_from(m)
        .join(Order, Order.number == m.c.order_number)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .subquery("ml")
    )


def money_query(
    organiser_id: int,
    period: Period,
    dim: Dimension,
    movements: Movements,
    with_buyers: bool,
    dialect: str,
) -> Select[Any]:
    m = _moves(organiser_id, period, movements)
    by_line = dim == "ticket_type"
    if by_line:
        m = _moves_by_line(m)
    src = _Source(
        at=m.c.at,
        order_number=m.c.order_number,
        session_id=None,
        ticket_type=m.c.ticket_type if by_line else None,
        reason=m.c.reason,
    )
    grouping = _grouping(dim, src, dialect)
    amount: ColumnElement[Any] = m.c.amount
    if by_line:
        whole = func.nullif(m.c.whole, 0)
        amount = func.coalesce(
            # ``//``: whole-number division on every database (``/`` is numeric on PostgreSQL)
            m.c.amount * m.c.upto // whole - m.c.amount * (m.c.upto - m.c.line) // whole,
            0,
        )
    pay, back = m.c.amount > 0, m.c.amount < 0
    # With lines, one movement has a row per line: count the movements, not the rows.
    counted = (lambda c: func.count(func.distinct(c))) if by_line else func.count
    query: Select[Any] = select(
        *grouping.keys,
        counted(case((pay, m.c.ref))),
        func.coalesce(func.sum(case((pay, amount), else_=0)), 0),
        counted(case((back, m.c.ref))),
        func.coalesce(func.sum(case((back, -amount), else_=0)), 0),
        func.count(func.distinct(case((pay, Order.buyer)))) if with_buyers else literal(0),
    ).select_from(m)
    joins = grouping.joins + (("order",) if with_buyers else ())
    query = _join(query, joins, src)
    if grouping.where is not None:
        query = query.where(grouping.where)
    return query.group_by(*grouping.keys)


def tickets_query(organiser_id: int, period: Period, dim: Dimension, dialect: str) -> Select[Any]:
    src = _Source(
        at=Ticket.issued_at,
        order_number=Ticket.order_number,
        session_id=Ticket.session_id,
        ticket_type=Ticket.ticket_type,
        reason=None,
    )
    grouping = _grouping(dim, src, dialect)
    query: Select[Any] = select(*grouping.keys, func.count()).select_from(Ticket)
    query = _join(query, grouping.joins, src)
    query = query.where(
        Ticket.organiser_id == organiser_id,
        Ticket.issued_at >= period.start,
        Ticket.issued_at < period.end,
    )
    if grouping.where is not None:
        query = query.where(grouping.where)
    return query.group_by(*grouping.keys)


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
    for, tickets) — two aggregate queries, merged by key; rows in key order."""
    dialect = uow.session.get_bind().dialect.name
    if dialect == "postgresql":
        # Sorts and hashes of a year's movements fit in memory instead of spilling to disk;
        # for this read-only transaction only.
        await uow.session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    blank = _Source(literal(0), literal(""), None, literal(""), None)
    grouping = _grouping(dimension, blank, dialect)
    width = len(grouping.keys)
    rows: dict[str, Row] = {}

    def row_of(parts: Sequence[Any]) -> Row:
        if isinstance(parts[0], datetime):  # PostgreSQL's bucket: the day it starts
            parts = (parts[0].date().isoformat(),)
        key = "" if parts[0] is None else str(parts[0])
        if key not in rows:
            label = NONE_LABELS.get(dimension, "") if parts[0] is None else grouping.label(parts)
            rows[key] = Row(key, label or key)
        return rows[key]

    money = money_query(organiser_id, period, dimension, movements, with_buyers, dialect)
    for found in await uow.session.execute(money):
        row = row_of(found[:width])
        payments, paid, refunds, refunded, buyers = found[width:]
        row.payments, row.paid = int(payments), int(paid)
        row.refunds, row.refunded, row.buyers = int(refunds), int(refunded), int(buyers)
    if movements == "all" and dimension != "reason":
        tickets = tickets_query(organiser_id, period, dimension, dialect)
        for found in await uow.session.execute(tickets):
            row_of(found[:width]).tickets = int(found[width])
    if dimension in GRAINS:
        ordered = [rows[k] for k in sorted(rows)]
    else:  # the biggest first: a ranking reads from the top
        ordered = sorted(rows.values(), key=lambda r: (-r.net, -r.tickets, r.label))
    totals = Row("", "total")
    for row in ordered:
        totals.payments += row.payments
        totals.paid += row.paid
        totals.refunds += row.refunds
        totals.refunded += row.refunded
        totals.tickets += row.tickets
        totals.buyers += row.buyers  # a buyer in two groups counts twice: see the docs
    return Figures(dimension, period, ordered, totals)

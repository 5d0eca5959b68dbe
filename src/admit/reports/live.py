"""The figures read from the sale's own tables: money that moved in a period (captured payments
in, done refunds out, each on the day it moved — as the daily bill counts them), tickets issued
in it, and who paid, grouped by one dimension. Nothing here loads a payment or a ticket into
Python: each query is one ``GROUP BY`` whose rows are the groups, by organiser (one, or all of
them for the roll-up), by UTC day when asked (the roll-up writes days), and by the key.

Money reaches a dimension through the payment's order (session, event, channel, the hold's
outlet, the buyer). A ticket type has no payment of its own: each payment and refund is
spread over its order's lines in proportion to their prices, by cumulative shares
(``⌊A·C_i/T⌋ − ⌊A·C_{i-1}/T⌋`` with ``C_i`` the lines' running total), so the shares of a
movement add up to it exactly and a report by ticket type totals the same as the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute

from admit.accounts.models import Customer, CustomerAddress
from admit.catalog.models import Session as Showing
from admit.payments.models import Payment, Refund
from admit.reports.dimensions import Dimension, Movements
from admit.reports.periods import GRAINS, Grain, Period, bucket, day_of
from admit.sales.models import Hold, Order, OrderLine
from admit.ticketing.models import Ticket

# A column to group or join by: a mapped attribute or an expression.
Col = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures (one organiser, or every one when ``None``), over which days, and
    whether each row is also one UTC day's."""

    organiser_id: int | None
    period: Period
    per_day: bool = False


@dataclass(frozen=True, slots=True)
class _Source:
    """What a dimension reads on one side (money or tickets), after the joins it asked for."""

    at: Col
    order_number: Col
    session_id: Col | None  # tickets carry it; money finds it on the order
    ticket_type: Col | None
    reason: Col | None


@dataclass(frozen=True, slots=True)
class _Grouping:
    key: Col
    joins: tuple[str, ...]
    where: ColumnElement[bool] | None = None


def _customer_id(buyer: Col) -> ColumnElement[Any]:
    # "customer:12" → 12; other buyers join nothing (and the cast never sees "staff:3").
    return case((buyer.like("customer:%"), cast(func.substr(buyer, 10), BigInteger)), else_=null())


def buyer_kind(buyer: Col) -> ColumnElement[Any]:
    return case(
        (buyer.like("customer:%"), literal("customer")),
        (buyer.like("staff:%"), literal("staff")),
        else_=literal("other"),
    )


def _grouping(dim: Dimension, src: _Source, dialect: str) -> _Grouping:
    """How ``dim`` groups one side: its key column and the joins it needs."""
    if dim in GRAINS:
        grain: Grain = dim
        return _Grouping(bucket(src.at, grain, dialect), ())
    session_id = src.session_id if src.session_id is not None else Order.session_id
    match dim:
        case "event":
            return _Grouping(Showing.event_id, ("order?", "session"))
        case "session":
            return _Grouping(session_id, ("order?",))
        case "channel":
            return _Grouping(Order.channel, ("order",))
        case "outlet":
            return _Grouping(Hold.outlet, ("order", "hold"))
        case "ticket_type":
            assert src.ticket_type is not None
            return _Grouping(src.ticket_type, ())
        case "staff":
            return _Grouping(Order.buyer, ("order",), Order.buyer.like("staff:%"))
        case "reason":
            return _Grouping(src.reason if src.reason is not None else null(), ())
        case "buyer_kind" | "source" | "region":
            return _buyer_grouping(dim)
    raise AssertionError(dim)


def _buyer_grouping(dim: Dimension) -> _Grouping:
    """Who bought: a customer, staff at a counter, or another kind of buyer; the channel a
    customer's account was opened on; the province of its default address."""
    match dim:
        case "buyer_kind":
            return _Grouping(buyer_kind(Order.buyer), ("order",))
        case "source":
            return _Grouping(Customer.source_channel, ("order", "customer"))
        case "region":
            return _Grouping(CustomerAddress.province, ("order", "customer", "address"))
    raise AssertionError(dim)


def join_buyer(query: Select[Any], *, address: bool) -> Select[Any]:
    """The order's customer account, and its default address (none for other buyers)."""
    query = query.outerjoin(Customer, Customer.id == _customer_id(Order.buyer))
    if address:
        query = query.outerjoin(
            CustomerAddress,
            (CustomerAddress.customer_id == Customer.id) & CustomerAddress.is_default,
        )
    return query


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
    if "hold" in wanted:
        query = query.join(Hold, Hold.id == Order.hold_id)
    if "customer" in wanted:
        query = join_buyer(query, address="address" in wanted)
    return query


def _moves(scope: Scope, movements: Movements) -> FromClause:
    """Money that moved: +captured payments, −done refunds, each at the time it moved."""
    period = scope.period
    refunds = select(
        Payment.organiser_id.label("organiser_id"),
        Payment.order_number.label("order_number"),
        Refund.number.label("ref"),
        (-Refund.amount).label("amount"),
        Refund.done_at.label("at"),
        Refund.reason.label("reason"),
    ).join(Payment, Payment.id == Refund.payment_id)
    refunds = refunds.where(
        Refund.status == "done", Refund.done_at >= period.start, Refund.done_at < period.end
    )
    pays = select(
        Payment.organiser_id.label("organiser_id"),
        Payment.order_number.label("order_number"),
        Payment.number.label("ref"),
        Payment.amount.label("amount"),
        Payment.captured_at.label("at"),
        cast(null(), String).label("reason"),
    ).where(Payment.captured_at >= period.start, Payment.captured_at < period.end)
    if scope.organiser_id is not None:
        refunds = refunds.where(Payment.organiser_id == scope.organiser_id)
        pays = pays.where(Payment.organiser_id == scope.organiser_id)
    if movements == "refunds":
        return refunds.subquery("m")
    return union_all(pays, refunds).subquery("m")


def _moves_by_line(m: FromClause) -> FromClause:
    """Each movement once per line of its order, with the lines' running total and whole
    (for the shares): the window runs over the period's movements only."""
    return (
        select(
            m.c.organiser_id,
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


def _heads(organiser_id: Col, at: Col, key: Col, scope: Scope, dialect: str) -> list[Col]:
    """The group's columns: organiser, the UTC day (when per day) and the key."""
    heads = [organiser_id]
    if scope.per_day:
        heads.append(day_of(at, dialect))
    return [*heads, key]


def money_query(scope: Scope, dim: Dimension, movements: Movements, dialect: str) -> Select[Any]:
    """Rows of (organiser, [day,] key, payments, paid, refunds, refunded)."""
    m = _moves(scope, movements)
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
    heads = _heads(m.c.organiser_id, m.c.at, grouping.key, scope, dialect)
    query: Select[Any] = select(
        *heads,
        counted(case((pay, m.c.ref))),
        func.coalesce(func.sum(case((pay, amount), else_=0)), 0),
        counted(case((back, m.c.ref))),
        func.coalesce(func.sum(case((back, -amount), else_=0)), 0),
    ).select_from(m)
    query = _join(query, grouping.joins, src)
    if grouping.where is not None:
        query = query.where(grouping.where)
    return query.group_by(*heads)


def tickets_query(scope: Scope, dim: Dimension, dialect: str) -> Select[Any]:
    """Rows of (organiser, [day,] key, tickets issued)."""
    src = _Source(
        at=Ticket.issued_at,
        order_number=Ticket.order_number,
        session_id=Ticket.session_id,
        ticket_type=Ticket.ticket_type,
        reason=None,
    )
    grouping = _grouping(dim, src, dialect)
    heads = _heads(Ticket.organiser_id, Ticket.issued_at, grouping.key, scope, dialect)
    query: Select[Any] = select(*heads, func.count()).select_from(Ticket)
    query = _join(query, grouping.joins, src)
    query = query.where(Ticket.issued_at >= scope.period.start, Ticket.issued_at < scope.period.end)
    if scope.organiser_id is not None:
        query = query.where(Ticket.organiser_id == scope.organiser_id)
    if grouping.where is not None:
        query = query.where(grouping.where)
    return query.group_by(*heads)


def payers_query(scope: Scope, dim: Dimension, dialect: str) -> Select[Any]:
    """(key, buyer) once for each buyer who paid in the period, in each group they paid in:
    the audience report counts them distinct."""
    src = _Source(
        at=Payment.captured_at,
        order_number=Payment.order_number,
        session_id=None,
        ticket_type=None,
        reason=None,
    )
    grouping = _grouping(dim, src, dialect)
    columns: list[Any] = [grouping.key.label("key"), Order.buyer.label("buyer")]
    query: Select[Any] = select(*columns).select_from(Payment)
    query = _join(query, ("order", *grouping.joins), src)
    query = query.where(
        Payment.captured_at >= scope.period.start, Payment.captured_at < scope.period.end
    )
    if scope.organiser_id is not None:
        query = query.where(Payment.organiser_id == scope.organiser_id)
    if grouping.where is not None:
        query = query.where(grouping.where)
    return query.distinct()

"""Per-person limits (S5, RN1): counters moved by conditional statements in the caller's
transaction, so concurrent holds and orders cannot pass a limit together. The buyer's account
counts held and bought tickets per session; on a real-name sale each holder's document counts
its tickets too: every paid ticket, whoever bought it, and the buyer's own unpaid orders.
Another account's unpaid orders never count against a holder (issue 30, item 12: whoever knows
a person's document could otherwise use up their limit with orders left unpaid); whether they
still fit is asked again when such an order is paid (``holders_fit``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.core.db import table
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.sales.models import BuyerUsage, HolderUsage, Order, OrderLine, SalesWindow

PAID = ("paid", "confirm_pending")  # a partner's order is paid while the cinema confirms


class LimitExceeded(Conflict):
    code = "limit_exceeded"


async def take_buyer_usage(
    uow: UnitOfWork, session_id: int, buyer: str, n: int, limit: int
) -> None:
    """One statement: create the buyer's counter or add to it, only within the limit."""
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    statement = insert(BuyerUsage).values(session_id=session_id, buyer=buyer, held=n, bought=0)
    upsert = statement.on_conflict_do_update(
        index_elements=[BuyerUsage.session_id, BuyerUsage.buyer],
        set_={"held": BuyerUsage.held + n},
        where=BuyerUsage.held + BuyerUsage.bought + n <= limit,
    ).returning(BuyerUsage.id)
    if (await uow.session.execute(upsert)).first() is None:
        raise LimitExceeded(
            f"at most {limit} tickets per person for this session", details={"limit": limit}
        )


async def take_holder_usage(
    uow: UnitOfWork,
    session_id: int,
    per_key: Counter[str],
    limit: int,
    *,
    buyer: str,
    order_id: int,
) -> None:
    """Count the order's tickets against each holder's document within the per-person limit.
    Each document's counter row (every live ticket) is taken first, in key order, so that
    concurrent orders for one person queue on it and cannot deadlock; then what counts for
    this buyer is summed: the document's paid tickets, the buyer's own unpaid orders and this
    order. Raises ``LimitExceeded``."""
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    await uow.session.flush()  # the order's lines are counted below
    for key in sorted(per_key):
        n = per_key[key]
        upsert = (
            insert(HolderUsage)
            .values(session_id=session_id, holder_key=key, tickets=n)
            .on_conflict_do_update(
                index_elements=[HolderUsage.session_id, HolderUsage.holder_key],
                set_={"tickets": HolderUsage.tickets + n},
            )
        )
        await uow.session.execute(upsert)
        mine = or_(
            Order.id == order_id,
            Order.status.in_(PAID),
            (Order.status == "pending_payment") & (Order.buyer == buyer),
        )
        if n > limit or await _tickets(uow, session_id, key, mine) > limit:
            raise LimitExceeded(
                f"a holder may have at most {limit} tickets for this session",
                details={"limit": limit},
            )


async def holders_fit(uow: UnitOfWork, order: Order, window_id: int) -> bool:
    """Whether the order's holders still fit their window's limit once it is paid: its
    tickets and every other paid one (others' unpaid orders did not count when it was placed,
    so some of them may have been paid since)."""
    keys = (
        await uow.session.scalars(
            select(OrderLine.holder_key)
            .where(OrderLine.order_id == order.id, OrderLine.holder_key.is_not(None))
            .distinct()
        )
    ).all()
    if not any(keys):
        return True
    window = await uow.session.get(SalesWindow, window_id)
    assert window is not None
    paid = or_(Order.id == order.id, Order.status.in_(PAID))
    for key in sorted(k for k in keys if k):
        if await _tickets(uow, order.session_id, key, paid) > window.per_person_limit:
            return False
    return True


async def _tickets(uow: UnitOfWork, session_id: int, key: str, counted: ColumnElement[bool]) -> int:
    found = await uow.session.scalar(
        select(func.count(OrderLine.id))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.session_id == session_id, OrderLine.holder_key == key, counted)
    )
    return int(found or 0)


async def give_back_holder_usage(uow: UnitOfWork, orders: Sequence[tuple[int, int]]) -> None:
    """The orders' tickets — ``orders`` is (order id, session id) — no longer count against
    their holders' documents: one read of their named lines, one update per document, in
    key order."""
    session_of = dict(orders)
    lines = table(OrderLine)
    per_key: Counter[tuple[int, str]] = Counter(
        (session_of[order_id], key)
        for order_id, key in await uow.session.execute(
            select(lines.c.order_id, lines.c.holder_key).where(
                lines.c.order_id.in_(list(session_of)), lines.c.holder_key.is_not(None)
            )
        )
    )
    if not per_key:
        return
    usage = table(HolderUsage)
    await uow.session.execute(
        update(usage)
        .where(
            usage.c.session_id == bindparam("u_session"), usage.c.holder_key == bindparam("u_key")
        )
        .values(tickets=usage.c.tickets - bindparam("u_n")),
        [
            {"u_session": session_id, "u_key": key, "u_n": n}
            for (session_id, key), n in sorted(per_key.items())
        ],
    )

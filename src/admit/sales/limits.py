"""Per-person limits (S5, RN1): counters moved by conditional statements in the caller's
transaction, so concurrent holds and orders cannot pass a limit together. The buyer's account
counts held and bought tickets per session; on a real-name sale each holder's document counts
its tickets too, whoever buys them."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.sales.models import BuyerUsage, Hold, HolderUsage, OrderLine


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


async def give_back_buyer_usage(uow: UnitOfWork, hold: Hold) -> None:
    await uow.session.execute(
        update(BuyerUsage)
        .where(BuyerUsage.session_id == hold.session_id, BuyerUsage.buyer == hold.buyer)
        .values(held=BuyerUsage.held - hold.quantity),
        execution_options={"synchronize_session": False},
    )


async def take_holder_usage(
    uow: UnitOfWork, session_id: int, per_key: Counter[str], limit: int
) -> None:
    """Count tickets against each holder's document within the per-person limit, one
    conditional statement per document, in key order (so concurrent orders cannot deadlock)."""
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    for key in sorted(per_key):
        n = per_key[key]
        upsert = (
            insert(HolderUsage)
            .values(session_id=session_id, holder_key=key, tickets=n)
            .on_conflict_do_update(
                index_elements=[HolderUsage.session_id, HolderUsage.holder_key],
                set_={"tickets": HolderUsage.tickets + n},
                where=HolderUsage.tickets + n <= limit,
            )
            .returning(HolderUsage.id)
        )
        if n > limit or (await uow.session.execute(upsert)).first() is None:
            raise LimitExceeded(
                f"a holder may have at most {limit} tickets for this session",
                details={"limit": limit},
            )


async def give_back_holder_usage(uow: UnitOfWork, order_id: int, session_id: int) -> None:
    """The order's tickets no longer count against their holders' documents."""
    per_key = Counter(
        (
            await uow.session.scalars(
                select(OrderLine.holder_key).where(
                    OrderLine.order_id == order_id, OrderLine.holder_key.is_not(None)
                )
            )
        ).all()
    )
    for key in sorted(k for k in per_key if k):
        await uow.session.execute(
            update(HolderUsage)
            .where(HolderUsage.session_id == session_id, HolderUsage.holder_key == key)
            .values(tickets=HolderUsage.tickets - per_key[key]),
            execution_options={"synchronize_session": False},
        )

"""Locking an order with its hold, in the sale's lock order (hold, then order): what every
path that changes a paid or paying order takes first — a capture, a refund request, an
exchange."""

from __future__ import annotations

from sqlalchemy import select

from admit.core.uow import UnitOfWork
from admit.sales.models import Hold, Order


async def order_and_hold(uow: UnitOfWork, number: str) -> tuple[Order, Hold]:
    fresh = {"populate_existing": True}  # the rows as locked, not as first loaded
    of_order = select(Order.hold_id).where(Order.number == number).scalar_subquery()
    hold = await uow.session.scalar(
        select(Hold).where(Hold.id == of_order).with_for_update().execution_options(**fresh)
    )
    order = await uow.session.scalar(
        select(Order).where(Order.number == number).with_for_update().execution_options(**fresh)
    )
    assert hold is not None
    assert order is not None
    return order, hold

"""Where a refund's money goes back: through the payments that paid the order. An order an
exchange made was paid by its own payment for the difference (if any) and by the credit of
the order it came from — that order's payments, recursively — so its refund is drawn from its
own payment first, then from the older ones, each within what is left of it. The old order's
remaining tickets still fit in what is left of its payment: the new order never draws more
from it than the credit it carried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.payments.models import Payment, Refund
from admit.sales.models import Order
from admit.sales.refunds import request_refund


async def payments_behind(uow: UnitOfWork, order: Order) -> list[Payment]:
    """The order's own payment, then those of the orders it was exchanged from (locked)."""
    found: list[Payment] = []
    seen: set[int] = set()
    current: Order | None = order
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.paid_by:
            payment = await uow.session.scalar(
                select(Payment).where(Payment.number == current.paid_by).with_for_update()
            )
            if payment is not None:  # an exchange's credit-paid order names the exchange
                found.append(payment)
        older = current.exchanged_from
        current = await uow.session.get(Order, older) if older is not None else None
    return found


async def send_back(
    uow: UnitOfWork, order: Order, amount: int, *, reason: str, now: datetime
) -> list[Refund]:
    """Refund ``amount`` of what paid ``order`` (one refund job per payment drawn on)."""
    refunds: list[Refund] = []
    left = amount
    for payment in await payments_behind(uow, order):
        if left <= 0:
            break
        asked = await uow.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.payment_id == payment.id)
        )
        take = min(left, payment.amount - int(asked or 0))
        if take > 0:
            refunds.append(await request_refund(uow, payment, amount=take, reason=reason, now=now))
            left -= take
    if left > 0:
        raise Conflict("a refund cannot exceed what was paid", details={"short": left})
    return refunds

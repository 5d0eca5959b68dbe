"""What counters' drawers owe: cash refunds decided and not yet handed back. Their ledger
entry is posted at the hand-over, so until then a drawer's balance still holds the money."""

from __future__ import annotations

from sqlalchemy import func, select

from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.payments.models import Payment, Refund


async def refunds_owed(uow: UnitOfWork, *, organiser_id: int | None = None) -> dict[str, int]:
    """Per cash account (``cash:<outlet>``), the cash refunds waiting to be handed over."""
    query = (
        select(Payment.outlet, func.sum(Refund.amount))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.method == "cash", Refund.status != "done")
        .group_by(Payment.outlet)
        .order_by(Payment.outlet)
    )
    if organiser_id is not None:
        query = query.where(Payment.organiser_id == organiser_id)
    return {
        ledger.money_account("cash", outlet): int(total)
        for outlet, total in (await uow.session.execute(query)).all()
    }

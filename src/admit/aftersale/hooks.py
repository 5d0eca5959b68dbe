"""The after-sale slice's answers to the sale (``sales.after_sale``): an exchange's new order
sold → the exchange completes; a payment refund done → its refund request is done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from admit.aftersale.exchange_completion import complete
from admit.aftersale.models import RefundRequest
from admit.core.uow import UnitOfWork
from admit.sales.models import Order


class AfterSaleHooks:
    async def order_sold(self, uow: UnitOfWork, order: Order, now: datetime) -> None:
        await complete(uow, order, now)

    async def refund_done(self, uow: UnitOfWork, refund_number: str, now: datetime) -> None:
        await uow.session.execute(
            update(RefundRequest)
            .where(
                RefundRequest.refund_number == refund_number, RefundRequest.status == "refunding"
            )
            .values(status="done", done_at=now),
            execution_options={"synchronize_session": False},
        )

"""The after-sale slice's answers to the sale (``sales.after_sale``): an exchange's new order
sold → the exchange completes; a payment refund done → its refund request is done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from admit.aftersale.exchange_completion import complete
from admit.aftersale.models import RefundRequest, RefundRequestRefund
from admit.core.uow import UnitOfWork
from admit.payments.models import Refund
from admit.sales.models import Order


class AfterSaleHooks:
    async def order_sold(self, uow: UnitOfWork, order: Order, now: datetime) -> None:
        await complete(uow, order, now)

    async def refund_done(self, uow: UnitOfWork, refund_number: str, now: datetime) -> None:
        """The request behind the refund is done once every refund it drew is."""
        request_id = await uow.session.scalar(
            select(RefundRequestRefund.request_id).where(
                RefundRequestRefund.refund_number == refund_number
            )
        )
        if request_id is None:
            return
        await uow.session.flush()  # the refund's own status first
        pending = await uow.session.scalar(
            select(func.count())
            .select_from(RefundRequestRefund)
            .join(Refund, Refund.number == RefundRequestRefund.refund_number)
            .where(RefundRequestRefund.request_id == request_id, Refund.status != "done")
        )
        if not pending:
            await uow.session.execute(
                update(RefundRequest)
                .where(RefundRequest.id == request_id, RefundRequest.status == "refunding")
                .values(status="done", done_at=now),
                execution_options={"synchronize_session": False},
            )

"""A payment opened in one statement on PostgreSQL (issue 17): ``admit_open_payment(…)``, the
SQL function of migration 0025, does what ``sales.checkout.open_payment`` does in four or five
— lock the buyer's order, return its open payment by this method or add one with the job that
queries the gateway later — and answers with the payment, so no ORM object is built. Sent with
``UnitOfWork.call`` on the unit of work's connection (the transaction has begun: the lazy-BEGIN
trap of the design guide). A refused order (not the buyer's, not payable, out of time) writes
nothing; the caller lets ``open_payment``'s statements explain it. Cash is paid on the spot
and never comes here (``fits``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from admit.core.uow import UnitOfWork
from admit.payments.models import IN_PERSON_METHODS
from admit.sales.payment_views import PaymentView

CALL = "SELECT * FROM admit_open_payment($1, $2, $3, $4, $5, $6)"


def fits(uow: UnitOfWork, method: str) -> bool:
    return uow.dialect == "postgresql" and method not in IN_PERSON_METHODS


async def open_once(
    uow: UnitOfWork,
    *,
    order_number: str,
    buyer: str,
    method: str,
    now: datetime,
    query_job: str,
    query_after: timedelta,
) -> PaymentView | None:
    """The order's open payment by ``method``, opened now if it had none (with the job
    ``query_job`` due ``query_after`` from now); ``None`` when the order was refused."""
    args = (order_number, buyer, method, now, query_job, query_after)
    row: Any = (await uow.call(CALL, args)).one()
    if row[0] == "refused":
        return None
    _, number, order, method_, status, amount, currency, pay_url, expires_at = row
    return PaymentView(number, order, method_, status, amount, currency, pay_url, expires_at)

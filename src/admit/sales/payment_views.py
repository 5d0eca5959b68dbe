"""A payment as its buyer sees it: what the payment routes and pages answer, built from
``admit_open_payment``'s row or from a ``Payment``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from admit.payments.models import Payment


@dataclass(frozen=True, slots=True)
class PaymentView:
    number: str
    order_number: str
    method: str
    status: str
    amount: int
    currency: str
    pay_url: str | None
    expires_at: datetime

    @classmethod
    def of(cls, p: Payment) -> PaymentView:
        return cls(
            p.number,
            p.order_number,
            p.method,
            p.status,
            p.amount,
            p.currency,
            p.pay_url,
            p.expires_at,
        )

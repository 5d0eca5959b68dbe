"""What happens to an order after its sale, as the sale sees it: the ``aftersale`` slice
(refunds, exchanges) implements this interface and installs it when it is imported, the way
outbox handlers register. The sale asks at two points of its own transactions:

- an order that was sold is an exchange's new order (``Order.exchanged_from``): the tickets
  it replaces are voided in the same transaction (``order_sold`` raises ``Conflict`` when they
  can no longer be, and the payment is then refunded);
- a payment refund went through: a refund request behind it is done (``refund_done``).

Until one is installed nothing happens at either point: no order is an exchange's, and no
refund has a request behind it, without the ``aftersale`` slice."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from admit.core.uow import UnitOfWork
from admit.sales.models import Order


class AfterSale(Protocol):
    async def order_sold(self, uow: UnitOfWork, order: Order, now: datetime) -> None:
        """``order`` (an exchange's new order) was just sold in the caller's transaction."""
        ...

    async def refund_done(self, uow: UnitOfWork, refund_number: str, now: datetime) -> None:
        """The payment refund ``refund_number`` was just recorded as done."""
        ...


class NothingAfter:
    async def order_sold(self, uow: UnitOfWork, order: Order, now: datetime) -> None:
        return None

    async def refund_done(self, uow: UnitOfWork, refund_number: str, now: datetime) -> None:
        return None


_installed: list[AfterSale] = [NothingAfter()]


def install(hooks: AfterSale) -> None:
    _installed[0] = hooks


def after_sale() -> AfterSale:
    return _installed[0]

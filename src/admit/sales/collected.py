"""Payments collected in person without cash (FE2, API1): a card terminal at a counter, or an
agent collecting from its buyers with its own payment system. Either is recorded as such —
method ``card`` or ``agent``, with the terminal's or the agent's reference as the payment's
``trade_no`` — captured at once (the order paid, its tickets issued) and posted to the
ledger to the account that owes the money until it is settled: ``terminal:<outlet>`` (the
acquirer behind the counter's terminal) or ``agent:<outlet>:receivable`` (the agent). A
switched-off outlet takes no payment: ``OutletDisabled`` (409)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select

from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.payments.models import Payment
from admit.sales.checkout import open_payment
from admit.sales.models import Outlet
from admit.sales.settlement import capture

CollectedMethod = Literal["card", "agent"]


class OutletDisabled(Conflict):
    code = "outlet_disabled"


class NotThisOutlet(Conflict):
    code = "outlet_not_in_channel"


async def check_outlet(uow: UnitOfWork, code: str, *, channel: str | None = None) -> Outlet:
    """The outlet, switched on (and of ``channel``, when given). Raises ``OutletDisabled``
    for one switched off (or unknown: a kiosk that is not one cannot sell either)."""
    outlet = await uow.session.scalar(select(Outlet).where(Outlet.code == code))
    if outlet is None or not outlet.enabled:
        raise OutletDisabled(
            f"outlet {code!r} is switched off: it cannot sell or take payments",
            details={"outlet": code},
        )
    if channel is not None and outlet.channel != channel:
        raise NotThisOutlet(f"outlet {code!r} does not sell through {channel}")
    return outlet


async def pay_collected(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    order_number: str,
    buyer: str,
    method: CollectedMethod,
    reference: str,
    outlet: str,
    taken_by: str,
    now: datetime,
) -> Payment:
    """Record that the order's total was collected by ``method`` at ``outlet`` under
    ``reference`` (the terminal's transaction reference, or the agent's own): the payment is
    captured at once and the order paid. Raises ``OutletDisabled``, ``NotPayable`` (the
    order is not awaiting payment: never paid twice), ``HoldExpired``; ``NotThisOutlet`` for
    an agent's collection anywhere but at an agent's outlet."""
    await check_outlet(uow, outlet, channel="agent" if method == "agent" else None)
    payment = await open_payment(
        uow,
        order_number=order_number,
        buyer=buyer,
        method=method,
        now=now,
        staff=taken_by,
        outlet=outlet,
        trade_no=reference,
    )
    await capture(uow, crypto, payment, now)
    return payment

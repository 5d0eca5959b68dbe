"""The partner cinemas as the sale's outside inventory (C2): the implementation of
``sales.outside_inventory.OutsideInventory`` that ``wiring`` installs. A session is a cinema's
when it has a partner session row; its holds take the cinema's lock first
(``partners.holds``), hand the captured payment to the cinema's confirmation
(``partners.handover``, ``partners.confirm``) and release the lock when they end; the
consistency check follows each order through its lock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Set
from datetime import datetime
from typing import Any

from sqlalchemy import select

from admit.core.audit_context import Actor
from admit.core.errors import InvalidInput
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.partners import handover
from admit.partners.holds import place_partner_hold
from admit.partners.models import PartnerLock
from admit.partners.refunds import refund_at_cinema
from admit.partners.seat_plans import ONLINE_CHANNELS, is_partner, known_partner, remember_partner
from admit.payments.models import Payment, Refund
from admit.sales.hold_requests import HoldRequest
from admit.sales.models import Hold, Order

# What a partner order may be, by its lock at the cinema (a confirmed lock's order refunded
# here waits for the cinema's refund: ``partners.refunds``).
PARTNER_ORDER = {
    "confirming": ("confirm_pending",),
    "confirmed": ("paid", "refunded"),
    "refused": ("confirm_failed",),
    "refunded": ("refunded",),
}


class PartnerCinemas:
    """Sessions whose seats a partner cinema's box office owns."""

    def known(self, caches: dict[str, Any], session_id: int) -> bool | None:
        return known_partner(caches, session_id)

    async def remember(self, caches: dict[str, Any], uow: UnitOfWork, session_id: int) -> bool:
        return await remember_partner(caches, uow, session_id)

    async def place_hold(self, rt: Runtime, actor: Actor, req: HoldRequest) -> int:
        return await place_partner_hold(rt, actor, req)

    async def check_channel(self, uow: UnitOfWork, session_id: int, channel: str) -> None:
        if channel not in ONLINE_CHANNELS and await is_partner(uow, session_id):
            # Only the online hold path takes the cinema's lock before selling its seats.
            raise InvalidInput("a partner cinema's showtimes are sold on the website and app only")

    async def hold_ended(self, uow: UnitOfWork, hold_id: int, now: datetime) -> None:
        await handover.on_hold_ended(uow, hold_id, now)

    async def hand_over(
        self, uow: UnitOfWork, *, order: Order, hold: Hold, payment: str, now: datetime
    ) -> bool:
        return await handover.hand_to_partner(uow, order=order, hold=hold, payment=payment, now=now)

    async def refuse_late(self, uow: UnitOfWork, hold_id: int) -> None:
        await handover.refuse_late(uow, hold_id)

    async def refund_order(self, rt: Runtime, order_number: str) -> None:
        await refund_at_cinema(rt, order_number)

    async def settling_payments(self, uow: UnitOfWork) -> Set[str]:
        return await handover.confirming_payments(uow)

    async def problems(self, uow: UnitOfWork) -> list[str]:
        return await partner_order_problems(uow)


async def partner_order_problems(uow: UnitOfWork) -> list[str]:
    """A partner order follows its lock at the cinema: confirmed ones are paid, refused ones
    were refunded in full, pending ones wait; a lock released or locked has no paid order."""
    out = []
    refunded: Counter[str] = Counter()
    for number, amount in (
        await uow.session.execute(
            select(Payment.number, Refund.amount).join(Payment, Payment.id == Refund.payment_id)
        )
    ).all():
        refunded[number] += amount
    rows = (
        await uow.session.execute(
            select(PartnerLock.ref, PartnerLock.status, PartnerLock.payment_number, Order).join(
                Order, Order.hold_id == PartnerLock.hold_id, isouter=True
            )
        )
    ).all()
    for ref, status, payment, order in rows:
        wanted = PARTNER_ORDER.get(status)
        have = order.status if order is not None else None
        if wanted is not None and have not in wanted:
            out.append(f"partner lock {ref} is {status} but its order is {have}")
        if wanted is None and have in ("paid", "confirm_pending"):
            out.append(f"partner lock {ref} is {status} but its order is {have}")
        if status == "refused" and order is not None and refunded[payment or ""] != order.total:
            out.append(f"partner order {order.number} was refused but not refunded in full")
    return out

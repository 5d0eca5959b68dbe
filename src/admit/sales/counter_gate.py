"""A switched-off outlet sells nothing (S10, issue 19): every counter write — hold, order,
cash, a customer's registration or document, a pickup — and a clerk's sign-in at the counter
asks here first, and a disabled outlet is refused with 409 ``outlet_disabled`` naming it. The
outlet's switch is read in the request's own transaction (no cache), so switching an outlet
off stops its next request."""

from __future__ import annotations

from sqlalchemy import select

from admit.core.uow import UnitOfWork
from admit.sales.models import Hold, Order, Outlet
from admit.sales.windows import OutletDisabled

__all__ = ["CounterOutlets", "OutletDisabled", "refuse_if_closed"]


async def refuse_if_closed(uow: UnitOfWork, outlet: str | None) -> None:
    """Raises ``OutletDisabled`` when ``outlet`` exists and is switched off. ``None`` (a sale
    or registration at no outlet) and an unknown code pass: the hold's own gate refuses an
    outlet that does not exist."""
    if outlet is None:
        return
    enabled = await uow.session.scalar(select(Outlet.enabled).where(Outlet.code == outlet))
    if enabled is False:
        raise OutletDisabled(
            f"outlet {outlet!r} is switched off: it cannot sell",
            details={"outlet": outlet},
        )


async def outlet_of_hold(uow: UnitOfWork, hold_id: int) -> str | None:
    return await uow.session.scalar(select(Hold.outlet).where(Hold.id == hold_id))


async def outlet_of_order(uow: UnitOfWork, number: str) -> str | None:
    of_order = select(Order.hold_id).where(Order.number == number).scalar_subquery()
    return await uow.session.scalar(select(Hold.outlet).where(Hold.id == of_order))


class CounterOutlets:
    """The sale's answer to accounts' ``OutletSwitch`` (registered by ``wiring.py``)."""

    async def refuse_if_closed(self, uow: UnitOfWork, outlet: str | None) -> None:
        await refuse_if_closed(uow, outlet)

"""Counter payments that are not cash (FE2): a card terminal's payment, or the agent's own
collection at an agent outlet — each recorded as such with its reference, captured at once
and settled later (``sales.collected``). Staff of the order's outlet or channel only, as for
cash; a switched-off outlet is refused with 409 ``outlet_disabled``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PrincipalDep, RuntimeDep
from admit.sales import collected, orders
from admit.sales.collected import CollectedMethod
from admit.sales.counter_sale_api import OrderSeller
from admit.sales.hold_api import Model
from admit.sales.models import Hold
from admit.sales.order_api import OrderOut, order_out

router = APIRouter(prefix="/counter", tags=["counter sales"])
Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:/-]+$",
        description="the terminal's transaction reference, or the agent's own payment number",
    ),
]
ORDER_ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "no such order of this counter"},
    409: {
        "description": "``outlet_disabled`` (the outlet is switched off), ``not_payable`` "
        "(paid already, or cancelled), ``hold_expired``, ``outlet_not_in_channel`` (an "
        "agent's collection at an outlet that is not an agent's)"
    },
}


class CollectedIn(Model):
    reference: Reference


class CollectedOut(Model):
    payment: str
    method: CollectedMethod
    reference: str
    outlet: str
    order: OrderOut
    pickup_code: str | None


async def _collect(
    uow: UnitOfWork,
    rt: RuntimeDep,
    who: PrincipalDep,
    *,
    number: str,
    method: CollectedMethod,
    reference: str,
    now: Now,
) -> CollectedOut:
    seller = f"staff:{who.staff_id}"
    pending = await orders.get_order(uow, number=number, buyer=seller)
    outlet = await uow.session.scalar(select(Hold.outlet).where(Hold.id == pending.hold_id))
    payment = await collected.pay_collected(
        uow,
        rt.crypto,
        order_number=number,
        buyer=seller,
        method=method,
        reference=reference,
        outlet=outlet or "counter",
        taken_by=who.username,
        now=now,
    )
    return CollectedOut(
        payment=payment.number,
        method=method,
        reference=reference,
        outlet=payment.outlet or "",
        order=await order_out(uow, pending),
        pickup_code=pending.pickup_code,
    )


@router.post("/orders/{number}/card", responses=ORDER_ERRORS)
async def pay_by_card(
    number: str, body: CollectedIn, uow: OrderSeller, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> CollectedOut:
    """The order was paid on the counter's card terminal under ``reference``: it is paid and
    its tickets issued at once; the money is owed by the terminal's acquirer
    (``terminal:<outlet>`` in the ledger) until settled."""
    return await _collect(
        uow, rt, who, number=number, method="card", reference=body.reference, now=now
    )


@router.post("/orders/{number}/agent-collection", responses=ORDER_ERRORS)
async def agent_collection(
    number: str, body: CollectedIn, uow: OrderSeller, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> CollectedOut:
    """The agent collected the order's total with its own payment system (its reference in
    ``reference``): paid and issued at once; the agent owes the money
    (``agent:<outlet>:receivable``) until settled."""
    return await _collect(
        uow, rt, who, number=number, method="agent", reference=body.reference, now=now
    )

"""The purchase in one request (issue 17, item 2): hold, order and — when asked — the payment
with its gateway page, for a buyer who knows what they want. The hold and the order are one
transaction (all or nothing: an order refused leaves no hold), the payment is opened in it
too, and the gateway's trade is created after the commit (never inside a transaction). The
three steps (``/holds``, ``/holds/{id}/order``, ``/orders/{n}/payments``) keep working."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import Field

from admit.core.audit_context import Actor
from admit.http.deps import ClientIP, CustomerId, Now, RuntimeDep
from admit.http.throttle import DeviceHeader
from admit.inventory.claims import seats_of_hold
from admit.payments.directory import Gateways
from admit.sales import checkout, holds, order_views, orders
from admit.sales.hold_api import HoldIn, HoldOut, Model, check_buyer, hold_out
from admit.sales.hold_requests import HoldSummary, Placed
from admit.sales.models import Hold
from admit.sales.on_sale_limits_api import limit_holds
from admit.sales.order_api import Key, LineIn, OrderOut, order_view_out
from admit.sales.outside_inventory import outside
from admit.sales.payment_api import PaymentIn, PaymentOut, payment_out

router = APIRouter(tags=["holds"])


class PurchaseIn(HoldIn):
    lines: list[LineIn] | None = Field(
        default=None,
        max_length=100,
        description="a ticket type (and holder) per seat and place held; by default one "
        "adult ticket for each",
    )
    pay: PaymentIn | None = Field(default=None, description="open the payment too")


class PurchaseOut(Model):
    hold: HoldOut
    order: OrderOut
    payment: PaymentOut | None


def _lines(body: PurchaseIn, seats: list[str]) -> list[order_views.LineInput]:
    if body.lines is not None:
        return [
            order_views.LineInput(
                ticket_type=ln.ticket_type, seat=ln.seat, area=ln.area, holder=ln.holder
            )
            for ln in body.lines
        ]
    return [order_views.LineInput(ticket_type="adult", seat=s) for s in seats] + [
        order_views.LineInput(ticket_type="adult", area=p.area)
        for p in body.places
        for _ in range(p.quantity)
    ]


@router.post("/sessions/{session_id}/purchases", status_code=201)
async def purchase(
    session_id: int,
    body: PurchaseIn,
    cid: CustomerId,
    address: ClientIP,
    now: Now,
    rt: RuntimeDep,
    idempotency_key: Key,
    x_admission_token: Annotated[str | None, Header(max_length=200)] = None,
    device: DeviceHeader = None,
) -> PurchaseOut:
    """Hold, order and (with ``pay``) open the payment in one call: the hold's answers and
    refusals as ``POST /sessions/{id}/holds``, the order's as ``POST /holds/{id}/order``
    (lines that do not match the hold, unknown ticket types, holders), the payment's as
    ``POST /orders/{n}/payments``. All or nothing up to the payment: a refused order leaves
    no hold. The ``Idempotency-Key`` is required; a retry with it returns the same hold, order
    and open payment. A partner cinema's session is held at the cinema first, as a hold is."""
    await limit_holds(rt, address=address, device=device)
    if body.pay is not None:
        rt.adapter(Gateways).get(body.pay.method)  # an unknown method: 404 before anything
    buyer = f"customer:{cid}"
    req = body.request(session_id, buyer, idempotency_key)
    actor = Actor(kind="customer", id=str(cid))
    inventory = outside()
    partner = inventory.known(rt.caches, session_id)
    hold_id: int | None = None
    placed: Placed | None = None
    if partner is not False:
        async with rt.uow(actor, readonly=True) as uow:
            partner = await inventory.remember(rt.caches, uow, session_id)
    if partner:  # the cinema locks its seats with no transaction open (C2)
        async with rt.uow(actor) as uow:
            await check_buyer(uow, rt, req, cid, x_admission_token, now)
        hold_id = await inventory.place_hold(rt, actor, req)
    async with rt.uow(actor) as uow:
        if hold_id is None:
            await check_buyer(uow, rt, req, cid, x_admission_token, now)
            placed = await holds.hold_seats(uow, req, now=now)
            hold_id = placed.hold.id
        if placed is not None and not placed.replayed:  # the answer is what was claimed
            hold: Hold | HoldSummary = placed.hold
            seats = list(placed.seats)
        else:
            hold = await holds.get_hold(uow, hold_id=hold_id, buyer=buyer)
            seats = list(await seats_of_hold(uow, hold_id))
        order = await orders.order_hold(
            uow,
            hold_id=hold_id,
            buyer=buyer,
            lines=_lines(body, seats),
            idempotency_key=idempotency_key,
            now=now,
        )
        held, ordered = hold_out(hold, seats), order_view_out(order)
        view = None
        if body.pay is not None:
            view = await checkout.open_payment_view(
                uow, order_number=order.number, buyer=buyer, method=body.pay.method, now=now
            )
    if view is not None:
        view = await checkout.create_trade(rt, actor, view)
    return PurchaseOut(
        hold=held, order=ordered, payment=payment_out(view) if view is not None else None
    )

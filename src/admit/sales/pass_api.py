"""Passes over HTTP (INV5): the passes on sale, a customer's pass hold on the website, a
clerk's at a counter. A pass hold is ordered with the hold (``sales.pass_sales``): the answer
carries the pending order, paid by the routes every order takes (``/orders/{number}/payments``,
``/counter/orders/{number}/cash``) and released or cancelled by theirs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header
from pydantic import Field

from admit.catalog.models import SeatMode
from admit.core.permissions import Permission, Principal, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    ClientIP,
    CustomerId,
    CustomerUoW,
    Now,
    Place,
    PrincipalDep,
    PublicReader,
    RuntimeDep,
    narrowed,
    require_any_scope,
    staff_writer,
)
from admit.http.throttle import DeviceHeader
from admit.sales import buyer_checks, pass_listing, pass_sales
from admit.sales.hold_api import HoldStatus, Model
from admit.sales.on_sale_limits_api import limit_holds
from admit.sales.order_api import OrderOut, order_out
from admit.waiting import room as waiting_room

router = APIRouter(tags=["passes"])
AT_COUNTER = (ScopeKind.OUTLET, ScopeKind.CHANNEL)
Seller = Annotated[UnitOfWork, staff_writer(Permission.SELL, scope=narrowed(*AT_COUNTER))]


class PassOnSale(Model):
    id: int
    code: str
    name: str
    seat_mode: SeatMode
    fixed_seat_key: str | None
    currency: str
    price: int | None
    level_prices: dict[str, int]
    session_ids: list[int]


class PassHoldIn(Model):
    channel: Literal["web", "mobile"] = "web"


class CounterPassHoldIn(Model):
    channel: Literal["box_office", "agent", "client_rep"]
    outlet: Annotated[str, Field(min_length=1, max_length=40)]


class PassHoldOut(Model):
    hold_id: int
    product_id: int
    status: HoldStatus
    expires_at: datetime
    session_ids: list[int]
    seat: str | None = Field(description="the fixed seat, held in every session; none: seatless")
    order: OrderOut = Field(description="the pass's order, pending payment until ``pay_by``")


async def _out(uow: UnitOfWork, sale: pass_sales.PassSale) -> PassHoldOut:
    return PassHoldOut(
        hold_id=sale.hold.id,
        product_id=sale.hold.product_id or 0,
        status=sale.hold.status,
        expires_at=sale.hold.expires_at,
        session_ids=list(sale.session_ids),
        seat=sale.seat,
        order=await order_out(uow, sale.order),
    )


@router.get("/passes")
async def passes_on_sale(uow: PublicReader, now: Now) -> list[PassOnSale]:
    """The passes on sale on the website now: every session they cover open through ``web``
    (a seatless pass also needs a stock; whether one is left, or its seat free, the hold
    says)."""
    return [
        PassOnSale(
            id=p.id,
            code=p.code,
            name=p.name,
            seat_mode=p.seat_mode,
            fixed_seat_key=p.fixed_seat_key,
            currency=p.currency,
            price=p.price,
            level_prices={k: int(v) for k, v in p.level_prices.items()},
            session_ids=listed.session_ids,
        )
        for listed in await pass_listing.passes_on_sale(uow, now=now)
        for p in (listed.product,)
    ]


@router.post("/passes/{product_id}/holds", status_code=201)
async def hold_pass(
    product_id: int,
    body: PassHoldIn,
    uow: CustomerUoW,
    cid: CustomerId,
    rt: RuntimeDep,
    address: ClientIP,
    now: Now,
    idempotency_key: Annotated[str | None, Header(max_length=80)] = None,
    x_admission_token: Annotated[str | None, Header(max_length=200)] = None,
    device: DeviceHeader = None,
) -> PassHoldOut:
    """Hold the pass and order it: its fixed seat in every session it covers at once, or 409
    ``pass_seat_taken`` and nothing held; a seatless pass while its stock lasts (409
    ``pass_sold_out``). Every covered session must be on sale through the channel; a first
    session behind a waiting room needs its admission as ``X-Admission-Token``. Pay the
    order before ``pay_by``; send an ``Idempotency-Key`` to retry safely."""
    await limit_holds(rt, address=address, device=device)
    product, session_ids = await pass_sales.get_pass(uow, product_id)
    await buyer_checks.check_buyer(
        uow,
        waiting_room.signer(rt.crypto),
        buyer_checks.Buyer(cid, session_ids[0], body.channel, x_admission_token),
        delay=timedelta(seconds=rt.settings.new_account_hold_delay_seconds),
        now=now,
    )
    sale = await pass_sales.hold_pass(
        uow,
        product_id=product.id,
        buyer=f"customer:{cid}",
        channel=body.channel,
        idempotency_key=idempotency_key,
        now=now,
    )
    return await _out(uow, sale)


@router.post("/counter/passes/{product_id}/holds", status_code=201)
async def counter_hold_pass(
    product_id: int,
    body: CounterPassHoldIn,
    uow: Seller,
    who: PrincipalDep,
    now: Now,
    idempotency_key: Annotated[str | None, Header(max_length=80)] = None,
) -> PassHoldOut:
    """Hold the pass for the person at the counter, through its channel and outlet (a grant
    scoped to another outlet or channel: 403), and order it; take cash for the order with
    ``/counter/orders/{number}/cash``."""
    _check_scope(who, body.channel, body.outlet)
    sale = await pass_sales.hold_pass(
        uow,
        product_id=product_id,
        buyer=f"staff:{who.staff_id}",
        channel=body.channel,
        outlet=body.outlet,
        idempotency_key=idempotency_key,
        now=now,
    )
    return await _out(uow, sale)


def _check_scope(who: Principal, channel: str, outlet: str) -> None:
    places: list[Place] = [(ScopeKind.OUTLET, outlet), (ScopeKind.CHANNEL, channel)]
    require_any_scope(who, Permission.SELL, places)

"""Customers' orders over HTTP (S8, G12): order a hold, look orders up, cancel an unpaid one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field, model_validator

from admit.core.uow import UnitOfWork
from admit.http.deps import CustomerId, CustomerReader, CustomerUoW, Now
from admit.sales import order_views, orders
from admit.sales.models import Order

router = APIRouter(tags=["orders"])
Key = Annotated[str, Header(min_length=8, max_length=80, description="the client's retry key")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineIn(Model):
    """A seat, or a place in a general-admission area: exactly one of ``seat`` and ``area``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["seat"], "properties": {"seat": {"type": "string"}}},
                {"required": ["area"], "properties": {"area": {"type": "string"}}},
            ]
        },
    )
    ticket_type: Annotated[str, Field(min_length=1, max_length=40)] = "adult"
    seat: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    area: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    holder: int | None = Field(
        default=None, ge=1, description="a verified identity linked to your account"
    )

    @model_validator(mode="after")
    def _one(self) -> LineIn:
        if (self.seat is None) == (self.area is None):
            raise ValueError("a line is a seat or a place in an area")
        return self


class OrderIn(Model):
    lines: list[LineIn] = Field(min_length=1, max_length=100)


class LineOut(Model):
    seat: str | None
    area: str | None
    ticket_type: str
    amount: int
    holder: str | None = Field(description="the holder's masked name on real-name tickets")


# Every state an order takes (``orders``, ``holds``, ``settlement``, the partner jobs, and
# refund requests: ``sales.refund_requests``).
OrderStatus = Literal[
    "pending_payment",
    "confirm_pending",
    "confirm_failed",
    "paid",
    "partially_refunded",
    "refunded",
    "exchanged",
    "cancelled",
    "expired",
]


class OrderOut(Model):
    number: str
    session_id: int
    status: OrderStatus
    total: int
    currency: str
    pay_by: datetime
    paid_at: datetime | None
    pickup_code: str | None = Field(description="what the buyer quotes to collect the tickets")
    lines: list[LineOut]


def order_view_out(view: order_views.OrderView) -> OrderOut:
    return OrderOut(
        number=view.number,
        session_id=view.session_id,
        status=view.status,
        total=view.total,
        currency=view.currency,
        pay_by=view.pay_by,
        paid_at=view.paid_at,
        pickup_code=view.pickup_code,
        lines=[
            LineOut(
                seat=ln.seat,
                area=ln.area,
                ticket_type=ln.ticket_type,
                amount=ln.amount,
                holder=ln.holder,
            )
            for ln in view.lines
        ],
    )


async def order_out(uow: UnitOfWork, order: Order) -> OrderOut:
    return order_view_out(await orders.view_of(uow, order))


@router.post("/holds/{hold_id}/order", status_code=201)
async def place_order(
    hold_id: int,
    body: OrderIn,
    uow: CustomerUoW,
    cid: CustomerId,
    now: Now,
    idempotency_key: Key,
) -> OrderOut:
    """Order what the hold has, with a ticket type per line; pay before ``pay_by``. The
    ``Idempotency-Key`` header is required: a retry with the same key returns this order."""
    view = await orders.order_hold(
        uow,
        hold_id=hold_id,
        buyer=f"customer:{cid}",
        idempotency_key=idempotency_key,
        now=now,
        lines=[
            order_views.LineInput(
                ticket_type=ln.ticket_type, seat=ln.seat, area=ln.area, holder=ln.holder
            )
            for ln in body.lines
        ],
    )
    return order_view_out(view)


@router.get("/orders")
async def my_orders(uow: CustomerReader, cid: CustomerId) -> list[OrderOut]:
    return [await order_out(uow, o) for o in await orders.orders_of(uow, buyer=f"customer:{cid}")]


@router.get("/orders/{number}")
async def get_order(number: str, uow: CustomerReader, cid: CustomerId) -> OrderOut:
    return await order_out(uow, await orders.get_order(uow, number=number, buyer=f"customer:{cid}"))


@router.post("/orders/{number}/cancel")
async def cancel_order(number: str, uow: CustomerUoW, cid: CustomerId, now: Now) -> OrderOut:
    order = await orders.cancel_order(uow, number=number, buyer=f"customer:{cid}", now=now)
    return await order_out(uow, order)

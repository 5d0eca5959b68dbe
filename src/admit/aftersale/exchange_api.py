"""Exchanges over HTTP (G11): a customer changes tickets of a paid order for seats of another
session (or the same one) of the event while the session's refund policy allows exchanges;
when the new seats cost more, the new order is paid like any order (``POST
/orders/{new_order}/payments`` for ``due``), and the exchange is done when it is."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from admit.aftersale import exchanges
from admit.aftersale.models import Exchange
from admit.core.uow import UnitOfWork
from admit.http.deps import CustomerId, CustomerReader, CustomerUoW, Now, RuntimeDep
from admit.sales.hold_api import Model
from admit.sales.models import Order

router = APIRouter(tags=["exchanges"])
ExchangeState = Literal["pending_payment", "done", "expired"]
Code = Annotated[str, Field(min_length=1, max_length=16)]
SeatKey = Annotated[str, Field(min_length=1, max_length=60)]


class ExchangeIn(Model):
    tickets: list[Code] = Field(min_length=1, max_length=20, description="codes given up")
    session_id: int = Field(ge=1, description="a session of the same event")
    seats: list[SeatKey] = Field(
        min_length=1, max_length=20, description="one new seat per ticket, in the same order"
    )


class ExchangeOut(Model):
    number: str
    status: ExchangeState
    order_number: str = Field(description="the order the tickets came from")
    new_order_number: str = Field(description="pay this order for `due` when it is not zero")
    tickets: int
    old_amount: int
    fee: int
    new_amount: int
    due: int = Field(description="what the buyer pays on top")
    back: int = Field(description="what goes back through the old payment")
    refund_number: str | None
    created_at: datetime
    done_at: datetime | None


async def exchange_out(uow: UnitOfWork, ex: Exchange) -> ExchangeOut:
    numbers = dict(
        (
            await uow.session.execute(
                select(Order.id, Order.number).where(
                    Order.id.in_([ex.old_order_id, ex.new_order_id])
                )
            )
        ).all()
    )
    return ExchangeOut(
        number=ex.number,
        status=cast(ExchangeState, await exchanges.status_of(uow, ex)),
        order_number=numbers[ex.old_order_id],
        new_order_number=numbers[ex.new_order_id],
        tickets=ex.tickets,
        old_amount=ex.old_amount,
        fee=ex.fee,
        new_amount=ex.new_amount,
        due=ex.due,
        back=ex.back,
        refund_number=ex.refund_number,
        created_at=ex.created_at,
        done_at=ex.done_at,
    )


@router.post("/orders/{number}/exchanges", status_code=201)
async def exchange_tickets(
    number: str, body: ExchangeIn, uow: CustomerUoW, cid: CustomerId, rt: RuntimeDep, now: Now
) -> ExchangeOut:
    """Change tickets for new seats: held and ordered at once, the old tickets' value (less
    the policy's fee) credited. ``due`` 0: done now, ``back`` refunded. Otherwise pay the new
    order for ``due`` before it expires."""
    exchange = await exchanges.start(
        uow,
        rt.crypto,
        order_number=number,
        buyer=f"customer:{cid}",
        codes=body.tickets,
        wanted=exchanges.Wanted(session_id=body.session_id, seats=body.seats),
        now=now,
    )
    return await exchange_out(uow, exchange)


@router.get("/exchanges/{number}")
async def get_exchange(number: str, uow: CustomerReader, cid: CustomerId) -> ExchangeOut:
    return await exchange_out(
        uow, await exchanges.get_exchange(uow, number, buyer=f"customer:{cid}")
    )

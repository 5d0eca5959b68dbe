"""Paying over HTTP: the buyer opens a payment and goes to the gateway's page; the gateway
notifies the platform server to server; the payer's return only triggers a query."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from admit.core.audit_context import ANONYMOUS, Actor
from admit.core.errors import NotFound
from admit.http.deps import ClientIP, CustomerId, CustomerReader, RuntimeDep
from admit.payments.gateway import GatewayName, PaymentMethod
from admit.payments.models import Payment, PaymentStatus
from admit.sales import checkout, notice_settler, payment_views
from admit.sales.models import Order
from admit.sales.order_api import OrderStatus
from admit.sales.orders import get_order

router = APIRouter(tags=["payments"])


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PaymentIn(Model):
    method: GatewayName = "bank"


class PaymentOut(Model):
    number: str
    order_number: str
    method: PaymentMethod
    status: PaymentStatus
    amount: int
    currency: str
    pay_url: str | None = Field(description="where the payer approves the payment")
    expires_at: datetime


class ReturnOut(Model):
    payment: str
    status: PaymentStatus
    order_number: str
    order_status: OrderStatus | Literal["unknown"]


def payment_out(view: payment_views.PaymentView) -> PaymentOut:
    return PaymentOut(
        number=view.number,
        order_number=view.order_number,
        method=view.method,
        status=view.status,
        amount=view.amount,
        currency=view.currency,
        pay_url=view.pay_url,
        expires_at=view.expires_at,
    )


@router.post("/orders/{number}/payments", status_code=201)
async def start_payment(
    number: str, body: PaymentIn, rt: RuntimeDep, cid: CustomerId
) -> PaymentOut:
    """Open a payment of the order's total and get the gateway's page. Calling again returns
    the same open payment (the gateway knows it by the same merchant number)."""
    view = await checkout.start_payment(
        rt,
        Actor(kind="customer", id=str(cid)),
        order_number=number,
        buyer=f"customer:{cid}",
        method=body.method,
    )
    return payment_out(view)


@router.get("/orders/{number}/payments")
async def order_payments(number: str, uow: CustomerReader, cid: CustomerId) -> list[PaymentOut]:
    order = await get_order(uow, number=number, buyer=f"customer:{cid}")
    rows = await uow.session.scalars(
        select(Payment).where(Payment.order_number == order.number).order_by(Payment.id)
    )
    return [payment_out(payment_views.PaymentView.of(p)) for p in rows]


@router.post(
    "/payments/notify/{method}",
    response_class=PlainTextResponse,
    responses={400: {"content": {"text/plain": {"schema": {"type": "string", "enum": ["fail"]}}}}},
)
async def notify(method: str, request: Request, rt: RuntimeDep, ip: ClientIP) -> PlainTextResponse:
    """The gateway's server-to-server notification. Answered with the gateway's exact
    acknowledgement once recorded (or recorded before): it is settled right after, in a
    batch with others; ``fail`` when it does not verify."""
    status, text = await notice_settler.receive_notice(
        rt,
        method=method,
        body=await request.body(),
        content_type=request.headers.get("content-type", ""),
        remote=ip,
    )
    return PlainTextResponse(text, status_code=status)


@router.get("/payments/return/{method}")
async def payer_returns(
    method: str,
    rt: RuntimeDep,
    out_trade_no: Annotated[str, Query(min_length=1, max_length=32)],
) -> ReturnOut:
    """Where the gateway sends the payer back. Its query string proves nothing: the platform
    asks the gateway itself, applies what it says and reports the order's state."""
    await checkout.refresh_payment(rt, number=out_trade_no)
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        payment = await uow.session.scalar(select(Payment).where(Payment.number == out_trade_no))
        if payment is None or payment.method != method:
            raise NotFound(f"payment {out_trade_no} does not exist")
        order_status = await uow.session.scalar(
            select(Order.status).where(Order.number == payment.order_number)
        )
        return ReturnOut(
            payment=payment.number,
            status=payment.status,
            order_number=payment.order_number,
            order_status=order_status or "unknown",
        )

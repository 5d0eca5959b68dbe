"""Selling at a counter (S7, S10): box-office, agent and client-representative staff hold seats
for the person in front of them, order them and take cash; the sale is recorded with the staff
member and the outlet, whose grant may be scoped to that outlet or channel. The tickets of a
counter sale are shown and printed there (each time audited). A cash refund is done when a
clerk of its outlet records that the money was handed back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Response
from pydantic import Field
from sqlalchemy import select

from admit.core import audit
from admit.core.errors import NotFound
from admit.core.permissions import Permission, Principal, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    Place,
    PrincipalDep,
    RuntimeDep,
    by_path,
    narrowed,
    path_int,
    require_any_scope,
    staff_writer,
)
from admit.http.media import PdfResponse
from admit.payments.models import RefundStatus
from admit.sales import checkout, counter_gate, holds, order_views, orders, refunds
from admit.sales.hold_api import HoldOut, Model, PlacesIn, read_hold_out
from admit.sales.models import Hold, Order
from admit.sales.order_api import LineIn, OrderIn, OrderOut, order_out
from admit.sales.ticket_api import TicketOut, ticket_out, tickets_pdf
from admit.ticketing import issue

router = APIRouter(prefix="/counter", tags=["counter sales"])


def _places(hold: Hold | None, what: str) -> list[Place]:
    if hold is None:
        raise NotFound(f"{what} does not exist")
    return [(ScopeKind.OUTLET, hold.outlet or ""), (ScopeKind.CHANNEL, hold.channel)]


async def _hold_places(uow: UnitOfWork, value: str) -> list[Place]:
    return _places(await uow.session.get(Hold, path_int(value, "hold")), f"hold {value}")


async def _order_places(uow: UnitOfWork, value: str) -> list[Place]:
    of_order = select(Order.hold_id).where(Order.number == value).scalar_subquery()
    hold = await uow.session.scalar(select(Hold).where(Hold.id == of_order))
    return _places(hold, f"order {value}")


# A sale lies at its outlet and in its channel: a grant scoped to either covers it.
AT_COUNTER = (ScopeKind.OUTLET, ScopeKind.CHANNEL)
Seller = Annotated[UnitOfWork, staff_writer(Permission.SELL, scope=narrowed(*AT_COUNTER))]
HoldSeller = Annotated[
    UnitOfWork,
    staff_writer(Permission.SELL, scope=by_path("hold_id", *AT_COUNTER, locate=_hold_places)),
]
OrderSeller = Annotated[
    UnitOfWork,
    staff_writer(Permission.SELL, scope=by_path("number", *AT_COUNTER, locate=_order_places)),
]


async def _refund_places(uow: UnitOfWork, value: str) -> list[Place]:
    return [(ScopeKind.OUTLET, await refunds.cash_refund_outlet(uow, value))]


# The money is in one drawer: only a clerk of that outlet (or a global grant) hands it back.
RefundClerk = Annotated[
    UnitOfWork,
    staff_writer(Permission.SELL, scope=by_path("number", ScopeKind.OUTLET, locate=_refund_places)),
]
Key = Annotated[str, Header(min_length=8, max_length=80, description="the client's retry key")]


class CounterHoldIn(Model):
    channel: Literal["box_office", "agent", "client_rep"]
    outlet: Annotated[str, Field(min_length=1, max_length=40)]
    seats: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=100
    )
    places: list[PlacesIn] = Field(default_factory=list, max_length=10)


class CashIn(Model):
    received: int = Field(ge=0, description="cash handed over, in minor units")


class CashOut(Model):
    payment: str
    change: int
    order: OrderOut
    pickup_code: str | None


def _seller(who: Principal) -> str:
    return f"staff:{who.staff_id}"


def _check_scope(who: Principal, channel: str, outlet: str) -> None:
    places: list[Place] = [(ScopeKind.OUTLET, outlet), (ScopeKind.CHANNEL, channel)]
    require_any_scope(who, Permission.SELL, places)


@router.post("/sessions/{session_id}/holds", status_code=201)
async def counter_hold(
    session_id: int, body: CounterHoldIn, uow: Seller, who: PrincipalDep, now: Now
) -> HoldOut:
    """Hold seats through this counter's channel and outlet (both must be switched on and the
    session on sale there)."""
    _check_scope(who, body.channel, body.outlet)
    hold = await holds.place_hold(
        uow,
        holds.HoldRequest(
            session_id=session_id,
            buyer=_seller(who),
            channel=body.channel,
            outlet=body.outlet,
            seat_keys=body.seats,
            places=[(p.area, p.quantity) for p in body.places],
        ),
        now=now,
    )
    return await read_hold_out(uow, hold)


@router.post("/holds/{hold_id}/order", status_code=201)
async def counter_order(
    hold_id: int,
    body: OrderIn,
    uow: HoldSeller,
    who: PrincipalDep,
    now: Now,
    idempotency_key: Key,
) -> OrderOut:
    """Order the held seats (a switched-off outlet: 409 ``outlet_disabled``); on a real-name
    sale each line names a verified identity (``holder``), checked at the counter."""
    await counter_gate.refuse_if_closed(uow, await counter_gate.outlet_of_hold(uow, hold_id))
    order = await orders.place_order(
        uow,
        hold_id=hold_id,
        buyer=_seller(who),
        idempotency_key=idempotency_key,
        now=now,
        lines=[_line(ln) for ln in body.lines],
    )
    return await order_out(uow, order)


def _line(ln: LineIn) -> order_views.LineInput:
    return order_views.LineInput(
        ticket_type=ln.ticket_type, seat=ln.seat, area=ln.area, holder=ln.holder
    )


@router.post("/orders/{number}/cash")
async def take_cash(
    number: str, body: CashIn, uow: OrderSeller, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> CashOut:
    """Take cash for the order: it is paid and its tickets issued at once (a switched-off
    outlet: 409 ``outlet_disabled``)."""
    pending = await orders.get_order(uow, number=number, buyer=_seller(who))
    outlet = await uow.session.scalar(select(Hold.outlet).where(Hold.id == pending.hold_id))
    await counter_gate.refuse_if_closed(uow, outlet)
    payment, change = await checkout.pay_cash(
        uow,
        rt.crypto,
        order_number=number,
        buyer=_seller(who),
        staff=who.username,
        outlet=outlet or "counter",
        received=body.received,
        now=now,
    )
    order = pending  # the same row, now paid
    return CashOut(
        payment=payment.number,
        change=change,
        order=await order_out(uow, order),
        pickup_code=order.pickup_code,
    )


async def _counter_sale(uow: UnitOfWork, number: str, action: str, now: datetime) -> Order:
    """A counter sale's order (a web or app order is not the counter's to print: 404), with
    the showing or printing of its tickets audited."""
    order = await uow.session.scalar(select(Order).where(Order.number == number))
    if order is None or not order.buyer.startswith("staff:"):
        raise NotFound(f"order {number} does not exist")
    await audit.record(uow, action=action, entity_type="order", entity_id=number, data={}, now=now)
    return order


@router.get("/orders/{number}/tickets")
async def counter_tickets(number: str, uow: OrderSeller, now: Now) -> list[TicketOut]:
    """The tickets of a sale made at a counter, with their QR payloads, for staff of its
    outlet or channel (another outlet's staff: 403)."""
    order = await _counter_sale(uow, number, "tickets.shown", now)
    return [ticket_out(t) for t in await issue.tickets_of(uow, order.number)]


@router.get("/orders/{number}/tickets.pdf", response_class=PdfResponse)
async def counter_tickets_pdf(number: str, uow: OrderSeller, now: Now) -> Response:
    """The same tickets as one PDF to print at the counter (404 before they are issued)."""
    order = await _counter_sale(uow, number, "tickets.printed", now)
    return await tickets_pdf(uow, order, await issue.tickets_of(uow, order.number))


class HandedOverOut(Model):
    number: str
    payment: str
    order_number: str
    outlet: str
    amount: int
    status: RefundStatus
    done_at: datetime


@router.post("/refunds/{number}/handed-over")
async def cash_refund_handed_over(
    number: str, uow: RefundClerk, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> HandedOverOut:
    """Record that a cash refund's money was handed back at its outlet: the refund is done and
    leaves the outlet's drawer in the ledger. Recorded once: a second record is 409
    ``refund_already_handed_over``, so the money is never handed over twice."""
    refund, payment = await refunds.record_handover(
        uow, rt.crypto, number=number, staff=who.username, now=now
    )
    return HandedOverOut(
        number=refund.number,
        payment=payment.number,
        order_number=payment.order_number,
        outlet=payment.outlet or "",
        amount=refund.amount,
        status=refund.status,
        done_at=refund.done_at or now,
    )

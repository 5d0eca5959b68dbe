"""A buyer's e-tickets over HTTP (G10): the list with signed QR payloads, each QR as SVG or
PNG, all of an order's tickets as one PDF; and the organisers' public keys gates verify with."""

from __future__ import annotations

import base64
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from admit.catalog.models import Event, Session, Venue
from admit.core.errors import NotFound
from admit.core.local_time import local_time
from admit.core.money import Money
from admit.core.uow import UnitOfWork
from admit.http.deps import CustomerId, CustomerReader, PublicReader
from admit.http.media import PdfResponse, PngResponse, SvgResponse
from admit.sales.models import Order
from admit.sales.orders import get_order
from admit.ticketing import issue, render
from admit.ticketing.models import Ticket, TicketStatus

router = APIRouter(tags=["tickets"])
ADMISSION_NOTES = (
    "One entry per ticket. Keep the QR code private: the first scan admits. "
    "Bring the holder's ID document for real-name tickets."
)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketOut(Model):
    code: str
    seat: str | None
    area: str | None
    label: str
    ticket_type: str
    amount: int
    holder: str | None
    status: TicketStatus
    qr: str
    issued_at: datetime


class KeyOut(Model):
    kid: str
    organiser_id: int
    public_key: str  # raw Ed25519 public key, base64url
    active: bool
    created_at: datetime


async def _tickets(uow: UnitOfWork, number: str, cid: int) -> tuple[Order, list[Ticket]]:
    order = await get_order(uow, number=number, buyer=f"customer:{cid}")
    return order, await issue.tickets_of(uow, order.number)


async def _own_ticket(uow: UnitOfWork, code: str, cid: int) -> Ticket:
    ticket = await uow.session.scalar(
        select(Ticket)
        .join(Order, Order.number == Ticket.order_number)
        .where(Ticket.code == code, Order.buyer == f"customer:{cid}")
    )
    if ticket is None:
        raise NotFound(f"ticket {code} does not exist")
    return ticket


def ticket_out(t: Ticket) -> TicketOut:
    return TicketOut(
        code=t.code,
        seat=t.seat_key,
        area=t.area_code,
        label=t.label,
        ticket_type=t.ticket_type,
        amount=t.amount,
        holder=t.holder_name,
        status=t.status,
        qr=t.qr,
        issued_at=t.issued_at,
    )


@router.get("/orders/{number}/tickets")
async def order_tickets(number: str, uow: CustomerReader, cid: CustomerId) -> list[TicketOut]:
    _, tickets = await _tickets(uow, number, cid)
    return [ticket_out(t) for t in tickets]


@router.get("/tickets/{code}/qr.svg", response_class=SvgResponse)
async def ticket_qr_svg(code: str, uow: CustomerReader, cid: CustomerId) -> Response:
    ticket = await _own_ticket(uow, code, cid)
    return Response(render.qr_svg(ticket.qr), media_type="image/svg+xml")


@router.get("/tickets/{code}/qr.png", response_class=PngResponse)
async def ticket_qr_png(code: str, uow: CustomerReader, cid: CustomerId) -> Response:
    ticket = await _own_ticket(uow, code, cid)
    return Response(render.qr_png(ticket.qr), media_type="image/png")


@router.get("/orders/{number}/tickets.pdf", response_class=PdfResponse)
async def order_pdf(number: str, uow: CustomerReader, cid: CustomerId) -> Response:
    """The order's e-tickets, one page each: event, session, venue, seat, holder, QR."""
    order, tickets = await _tickets(uow, number, cid)
    return await tickets_pdf(uow, order, tickets)


async def tickets_pdf(uow: UnitOfWork, order: Order, tickets: list[Ticket]) -> Response:
    """An order's tickets as one PDF download (the buyer's, or printed at a counter)."""
    if not tickets:
        raise NotFound(f"order {order.number} has no tickets yet")
    event, starts, venue = (
        await uow.session.execute(
            select(Event.name, Session.starts_at, Venue.name)
            .join(Session, Session.event_id == Event.id)
            .join(Venue, Venue.id == Session.venue_id)
            .where(Session.id == order.session_id)
        )
    ).one()
    views = [
        render.TicketView(
            event=event,
            session_time=local_time(starts),
            venue=venue,
            seat=t.label,
            holder=t.holder_name or "",
            ticket_type=t.ticket_type,
            price=Money(t.amount, order.currency).format(),
            order_number=order.number,
            pickup_code=order.pickup_code or "",
            ticket_code=t.code,
            admission_notes=ADMISSION_NOTES,
            qr_text=t.qr,
        )
        for t in tickets
    ]
    return Response(
        render.ticket_pdf(views),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="admit-{order.number}.pdf"'},
    )


@router.get("/organisers/{organiser_id}/ticket-keys")
async def ticket_keys(organiser_id: int, uow: PublicReader) -> list[KeyOut]:
    """The public keys a gate verifies this organiser's tickets with (offline)."""
    return [
        KeyOut(
            kid=k.kid,
            organiser_id=k.organiser_id,
            public_key=base64.urlsafe_b64encode(k.public_key).decode().rstrip("="),
            active=k.active,
            created_at=k.created_at,
        )
        for k in await issue.public_keys(uow, organiser_id=organiser_id)
    ]

"""What a printed ticket shows, read for a set of tickets of one session (the same view the
PDF e-ticket uses, ``ticketing.render.TicketView``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from admit.catalog.models import Event, Session, Venue
from admit.core.local_time import local_time
from admit.core.money import Money
from admit.core.uow import UnitOfWork
from admit.ticketing.models import Ticket
from admit.ticketing.render import TicketView


async def ticket_faces(
    uow: UnitOfWork, tickets: Sequence[Ticket], *, currency: str, pickup_code: str | None
) -> dict[int, TicketView]:
    """Ticket id → its printed face (event, session time, venue, seat, price, holder, QR)."""
    faces: dict[int, TicketView] = {}
    places: dict[int, tuple[str, str, str]] = {}
    for ticket in tickets:
        if ticket.session_id not in places:
            event, starts, venue = (
                await uow.session.execute(
                    select(Event.name, Session.starts_at, Venue.name)
                    .join(Session, Session.event_id == Event.id)
                    .join(Venue, Venue.id == Session.venue_id)
                    .where(Session.id == ticket.session_id)
                )
            ).one()
            places[ticket.session_id] = (event, local_time(starts), venue)
        event, when, venue = places[ticket.session_id]
        faces[ticket.id] = TicketView(
            event=event,
            session_time=when,
            venue=venue,
            seat=ticket.label,
            holder=ticket.holder_name or "",
            ticket_type=ticket.ticket_type,
            price=Money(ticket.amount, currency).format(),
            order_number=ticket.order_number,
            pickup_code=pickup_code or "",
            ticket_code=ticket.code,
            admission_notes="",
            qr_text=ticket.qr,
        )
    return faces

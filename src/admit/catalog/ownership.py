"""Which organiser or venue a catalogue resource belongs to: what scoped staff grants are
checked against."""

from __future__ import annotations

from sqlalchemy import select

from admit.catalog.models import Event, Product, SeatMap, Session
from admit.core.errors import NotFound
from admit.core.uow import UnitOfWork


async def organiser_of_event(uow: UnitOfWork, event_id: int) -> int:
    found = await uow.session.scalar(select(Event.organiser_id).where(Event.id == event_id))
    if found is None:
        raise NotFound(f"event {event_id} does not exist")
    return found


async def organiser_of_session(uow: UnitOfWork, session_id: int) -> int:
    found = await uow.session.scalar(
        select(Event.organiser_id)
        .join(Session, Session.event_id == Event.id)
        .where(Session.id == session_id)
    )
    if found is None:
        raise NotFound(f"session {session_id} does not exist")
    return found


async def venue_of_seatmap(uow: UnitOfWork, seat_map_id: int) -> int:
    found = await uow.session.scalar(select(SeatMap.venue_id).where(SeatMap.id == seat_map_id))
    if found is None:
        raise NotFound(f"seat map {seat_map_id} does not exist")
    return found


async def places_of_session(uow: UnitOfWork, session_id: int) -> tuple[int, int]:
    """(organiser, venue) of a session."""
    found = (
        await uow.session.execute(
            select(Event.organiser_id, Session.venue_id)
            .join(Session, Session.event_id == Event.id)
            .where(Session.id == session_id)
        )
    ).first()
    if found is None:
        raise NotFound(f"session {session_id} does not exist")
    return int(found[0]), int(found[1])


async def organiser_of_pass(uow: UnitOfWork, product_id: int) -> int:
    found = await uow.session.scalar(select(Product.organiser_id).where(Product.id == product_id))
    if found is None:
        raise NotFound(f"pass {product_id} does not exist")
    return int(found)


async def organisers_of_sessions(uow: UnitOfWork, session_ids: list[int]) -> set[int]:
    """The organisers of those of ``session_ids`` that exist."""
    found = await uow.session.scalars(
        select(Event.organiser_id)
        .join(Session, Session.event_id == Event.id)
        .where(Session.id.in_(session_ids))
    )
    return set(found.all())

"""Use cases for events and sessions (INV2, G4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from admit.catalog.models import Event, EventCategory, SeatMap, Session, SessionStatus
from admit.catalog.rules import schedule_problem
from admit.catalog.search import search_text
from admit.catalog.venues import get_organiser, get_venue
from admit.core import audit
from admit.core.errors import InvalidInput
from admit.core.lookups import ensure_unique, get_or_404
from admit.core.uow import UnitOfWork


async def create_event(
    uow: UnitOfWork,
    *,
    organiser_id: int,
    number: str,
    name: str,
    category: EventCategory,
    discipline: str,
    description: str,
    tags: list[str],
    now: datetime,
) -> Event:
    await get_organiser(uow, organiser_id)
    await ensure_unique(uow, Event.number, number, f"event number {number!r} is taken")
    event = Event(
        organiser_id=organiser_id,
        number=number,
        name=name,
        category=category,
        discipline=discipline,
        description=description,
        tags=tags,
        created_at=now,
        search_text=search_text(name, discipline, description, tags),
    )
    uow.session.add(event)
    await uow.session.flush()
    await audit.record(
        uow,
        action="event.created",
        entity_type="event",
        entity_id=event.id,
        data=_event_data(event),
        now=now,
    )
    return event


def _event_data(event: Event) -> dict[str, Any]:
    return {
        "organiser_id": event.organiser_id,
        "number": event.number,
        "name": event.name,
        "category": str(event.category),
        "discipline": event.discipline,
        "description": event.description,
        "tags": event.tags,
    }


async def update_event(
    uow: UnitOfWork, event_id: int, *, changes: dict[str, Any], now: datetime
) -> Event:
    event = await get_event(uow, event_id)
    before = _event_data(event)
    for key, value in changes.items():
        setattr(event, key, value)
    event.search_text = search_text(event.name, event.discipline, event.description, event.tags)
    await uow.session.flush()
    await audit.record(
        uow,
        action="event.updated",
        entity_type="event",
        entity_id=event.id,
        data={"before": before, "after": _event_data(event)},
        now=now,
    )
    return event


async def delete_event(uow: UnitOfWork, event_id: int, *, now: datetime) -> None:
    """Delete an event that has no sessions yet; otherwise cancel its sessions instead."""
    event = await get_event(uow, event_id)
    if await uow.session.scalar(select(Session.id).where(Session.event_id == event_id).limit(1)):
        raise InvalidInput("the event has sessions: cancel them instead of deleting the event")
    data = _event_data(event)
    await uow.session.delete(event)
    await uow.session.flush()
    await audit.record(
        uow, action="event.deleted", entity_type="event", entity_id=event_id, data=data, now=now
    )


async def get_event(uow: UnitOfWork, event_id: int) -> Event:
    return await get_or_404(uow, Event, event_id, "event")


async def create_session(
    uow: UnitOfWork,
    *,
    event_id: int,
    venue_id: int,
    seat_map_id: int,
    code: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    status: SessionStatus,
    now: datetime,
) -> Session:
    """Schedule a session. The caller builds its seat plan (inventory) in the same transaction."""
    await get_event(uow, event_id)
    await get_venue(uow, venue_id)
    seat_map = await uow.session.get(SeatMap, seat_map_id)
    if seat_map is None or seat_map.venue_id != venue_id:
        raise InvalidInput(f"seat map {seat_map_id} is not a map of venue {venue_id}")
    problem = schedule_problem(starts_at, ends_at, now=now)
    if problem is not None:
        raise InvalidInput(problem)
    await ensure_unique(uow, Session.code, code, f"session code {code!r} is taken")
    session = Session(
        event_id=event_id,
        venue_id=venue_id,
        seat_map_id=seat_map_id,
        code=code,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        created_at=now,
    )
    uow.session.add(session)
    await uow.session.flush()
    await audit.record(
        uow,
        action="session.created",
        entity_type="session",
        entity_id=session.id,
        data=_session_data(session),
        now=now,
    )
    return session


def _session_data(session: Session) -> dict[str, Any]:
    return {
        "event_id": session.event_id,
        "venue_id": session.venue_id,
        "seat_map_id": session.seat_map_id,
        "code": session.code,
        "name": session.name,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "status": str(session.status),
    }


async def update_session(
    uow: UnitOfWork, session_id: int, *, changes: dict[str, Any], now: datetime
) -> Session:
    """Reschedule, rename or change the status of a session (the seat map stays)."""
    session = await get_session(uow, session_id)
    before = _session_data(session)
    for key, value in changes.items():
        setattr(session, key, value)
    if {"starts_at", "ends_at"} & changes.keys():  # a session kept as it was stays valid
        problem = schedule_problem(session.starts_at, session.ends_at, now=now)
        if problem is not None:
            raise InvalidInput(problem)
    await uow.session.flush()
    await audit.record(
        uow,
        action="session.updated",
        entity_type="session",
        entity_id=session.id,
        data={"before": before, "after": _session_data(session)},
        now=now,
    )
    return session


async def get_session(uow: UnitOfWork, session_id: int) -> Session:
    return await get_or_404(uow, Session, session_id, "session")


async def sessions_using_map(uow: UnitOfWork, seat_map_id: int) -> list[Session]:
    """Sessions on a map that have not ended or been cancelled: venue changes reach these."""
    rows = await uow.session.scalars(
        select(Session).where(
            Session.seat_map_id == seat_map_id,
            Session.status.not_in([SessionStatus.ENDED, SessionStatus.CANCELLED]),
        )
    )
    return list(rows.all())

"""Reads for the public catalogue: session search (FE1–FE3) and session details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select

from admit.catalog.models import Event, EventCategory, Session, SessionStatus, Venue
from admit.catalog.search import FUZZY_THRESHOLD, fuzzy_score, tokens
from admit.core.uow import UnitOfWork

FUZZY_CANDIDATES = 2000


@dataclass(frozen=True, slots=True)
class SessionFilter:
    q: str = ""
    category: EventCategory | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    venue_id: int | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class SessionRow:
    session: Session
    event: Event
    venue: Venue


def _base(f: SessionFilter) -> Select[Session, Event, Venue]:
    query = (
        select(Session, Event, Venue)
        .join(Event, Event.id == Session.event_id)
        .join(Venue, Venue.id == Session.venue_id)
        .where(Session.status.in_([SessionStatus.SCHEDULED, SessionStatus.POSTPONED]))
    )
    if f.category is not None:
        query = query.where(Event.category == f.category)
    if f.starts_from is not None:
        query = query.where(Session.starts_at >= f.starts_from)
    if f.starts_to is not None:
        query = query.where(Session.starts_at < f.starts_to)
    if f.venue_id is not None:
        query = query.where(Session.venue_id == f.venue_id)
    return query.order_by(Session.starts_at, Session.id)


async def search_sessions(uow: UnitOfWork, f: SessionFilter) -> list[SessionRow]:
    """Sessions on sale or scheduled matching every word of ``q`` (in the event's name,
    discipline, tags, description or the venue's name); when no session matches exactly,
    words are matched with typo tolerance instead."""
    words = tokens(f.q)
    query = _base(f)
    if words:
        query = query.where(
            and_(
                *(
                    or_(
                        Event.search_text.contains(w, autoescape=True),
                        Venue.search_text.contains(w, autoescape=True),
                    )
                    for w in words
                )
            )
        )
    rows = (await uow.session.execute(query.limit(f.limit).offset(f.offset))).all()
    if rows or not words:
        return [SessionRow(*r) for r in rows]
    candidates = (await uow.session.execute(_base(f).limit(FUZZY_CANDIDATES))).all()
    scored = [
        (fuzzy_score(words, f"{e.search_text} {v.search_text}"), (s, e, v))
        for s, e, v in candidates
    ]
    matched = [r for score, r in scored if score >= FUZZY_THRESHOLD]
    return [SessionRow(*r) for r in matched[f.offset : f.offset + f.limit]]


async def get_session_row(uow: UnitOfWork, session_id: int) -> SessionRow | None:
    row = (
        await uow.session.execute(
            select(Session, Event, Venue)
            .join(Event, Event.id == Session.event_id)
            .join(Venue, Venue.id == Session.venue_id)
            .where(Session.id == session_id)
        )
    ).first()
    return SessionRow(*row) if row else None


async def categories_with_sessions(uow: UnitOfWork, *, now: datetime) -> set[str]:
    """The categories that have a session still to start (scheduled or postponed): the only
    ones worth a link on the storefront (one grouped read)."""
    found = await uow.session.scalars(
        select(Event.category)
        .join(Session, Session.event_id == Event.id)
        .where(
            Session.status.in_([SessionStatus.SCHEDULED, SessionStatus.POSTPONED]),
            Session.starts_at >= now,
        )
        .distinct()
    )
    return {c.value for c in found}

"""Importing cinemas, halls and showtimes from their box-office systems (C1, C3): the cinema
is asked outside any transaction, then one transaction creates what is new — a venue and an
organiser per cinema, a seat map per hall, an event per film, a session with its seat plan
and price levels per showtime — and cancels sessions the cinema no longer lists. Running it
again changes nothing that is already current."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from admit.catalog import events, pricing, seatmaps, venues
from admit.catalog.models import Event, EventCategory, Session, SessionStatus
from admit.catalog.seatmap_spec import LevelSpec, SeatMapSpec, SeatSpec, SectionSpec, seat_key
from admit.core import audit
from admit.core.audit_context import SYSTEM
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.inventory import plans
from admit.inventory.selection import SeatSelector
from admit.partners.box_office import BoxOffices, Cinema, Hall, Showtime
from admit.partners.models import PartnerCinema, PartnerHall, PartnerSession

# Opens a freshly imported session for sale (sales windows belong to the sales slice, which
# passes this in): (unit of work, session id, starts at, now).
SaleOpener = Callable[[UnitOfWork, int, datetime, datetime], Awaitable[None]]
AREA_COLORS = {"STD": "#2563eb", "VIP": "#db2777"}
# Cinemas' systems name their price areas by code only; buyers read words (an unknown code
# is shown as it is).
AREA_NAMES = {"STD": "Standard", "VIP": "VIP", "LOVE": "Love seats", "DBOX": "Motion seats"}


@dataclass(frozen=True, slots=True)
class CinemaData:
    cinema: Cinema
    halls: tuple[Hall, ...]
    showtimes: tuple[Showtime, ...]


@dataclass
class SyncResult:
    cinemas: int = 0
    new_sessions: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)


async def fetch(rt: Runtime, system: str, *, start: date, days: int) -> list[CinemaData]:
    """Everything the cinemas of one system list (no transaction is open while asking)."""
    office = rt.adapter(BoxOffices).get(system)
    out = []
    for cinema in await office.list_cinemas():
        halls = await office.list_halls(cinema.code)
        shows = await office.list_showtimes(cinema.code, start=start, days=days)
        out.append(CinemaData(cinema, tuple(halls), tuple(shows)))
    return out


async def sync_system(rt: Runtime, system: str, *, opener: SaleOpener, days: int = 3) -> SyncResult:
    """Fetch, then store in one transaction; returns what changed."""
    now = rt.clock.now()
    fetched = await fetch(rt, system, start=now.date(), days=days)
    result = SyncResult()
    async with rt.uow(SYSTEM) as uow:
        for data in fetched:
            await store_cinema(uow, system, data, opener=opener, now=now, result=result)
            await cancel_missing(
                uow, system, data, start=now.date(), days=days, now=now, result=result
            )
    return result


async def store_cinema(
    uow: UnitOfWork,
    system: str,
    data: CinemaData,
    *,
    opener: SaleOpener,
    now: datetime,
    result: SyncResult,
) -> PartnerCinema:
    cinema = await _cinema(uow, system, data.cinema, now)
    halls = {h.code: await _hall(uow, cinema, h, now) for h in data.halls}
    known = set(
        (
            await uow.session.scalars(
                select(PartnerSession.code).where(PartnerSession.cinema_id == cinema.id)
            )
        ).all()
    )
    for show in data.showtimes:
        if show.code in known or show.starts_at <= now or show.hall_code not in halls:
            continue
        session_id = await _session(uow, system, cinema, halls[show.hall_code], show, now)
        await opener(uow, session_id, show.starts_at, now)
        result.new_sessions.append(session_id)
    cinema.synced_at = now
    result.cinemas += 1
    await uow.session.flush()
    return cinema


async def _cinema(uow: UnitOfWork, system: str, c: Cinema, now: datetime) -> PartnerCinema:
    found = await uow.session.scalar(
        select(PartnerCinema).where(PartnerCinema.system == system, PartnerCinema.code == c.code)
    )
    if found is not None:
        return found
    code = f"{system}-{c.code}".upper()[:40]
    organiser = await venues.create_organiser(uow, code=code, name=c.name, now=now)
    venue = await venues.create_venue(
        uow, code=code, name=c.name, address=c.address, use="cinema", capacity=0, now=now
    )
    cinema = PartnerCinema(
        system=system,
        code=c.code,
        name=c.name,
        venue_id=venue.id,
        organiser_id=organiser.id,
        created_at=now,
    )
    uow.session.add(cinema)
    await uow.session.flush()
    await audit.record(
        uow,
        action="partner.cinema_imported",
        entity_type="partner_cinema",
        entity_id=cinema.id,
        data={"system": system, "code": c.code, "name": c.name},
        now=now,
    )
    return cinema


def hall_spec(hall: Hall, name: str) -> tuple[SeatMapSpec, dict[str, str]]:
    """The cinema's hall as a seat map, and its seat codes → the map's seat keys (its seats
    keep the cinema's row and number labels)."""
    seats = tuple(
        SeatSpec("HALL", s.row, s.number, s.x, s.y, key=seat_key("L1", "HALL", s.row, s.number))
        for s in hall.seats
    )
    spec = SeatMapSpec(
        name=name,
        levels=(LevelSpec("L1", "Stalls"),),
        sections=(SectionSpec("HALL", hall.name, "L1"),),
        seats=seats,
    )
    return spec, {s.code: seat.key for s, seat in zip(hall.seats, seats, strict=True)}


async def _hall(uow: UnitOfWork, cinema: PartnerCinema, hall: Hall, now: datetime) -> PartnerHall:
    found = await uow.session.scalar(
        select(PartnerHall).where(PartnerHall.cinema_id == cinema.id, PartnerHall.code == hall.code)
    )
    if found is not None:
        return found
    spec, keys = hall_spec(hall, f"{cinema.name} · {hall.name}")
    seat_map = await seatmaps.import_seatmap(uow, venue_id=cinema.venue_id, spec=spec, now=now)
    row = PartnerHall(
        cinema_id=cinema.id,
        code=hall.code,
        seat_map_id=seat_map.id,
        seats=keys,
        areas={s.code: s.area for s in hall.seats},
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


async def _event(
    uow: UnitOfWork, system: str, cinema: PartnerCinema, show: Showtime, now: datetime
) -> int:
    number = f"{system}:{show.film_code}".upper()[:40]
    found = await uow.session.scalar(select(Event.id).where(Event.number == number))
    if found is not None:
        return int(found)
    event = await events.create_event(
        uow,
        organiser_id=cinema.organiser_id,
        number=number,
        name=show.film_name,
        category=EventCategory.CINEMA,
        discipline="film",
        description=f"{show.film_name}, showing at partner cinemas.",
        tags=["film", "partner"],
        now=now,
    )
    return event.id


async def _session(
    uow: UnitOfWork,
    system: str,
    cinema: PartnerCinema,
    hall: PartnerHall,
    show: Showtime,
    now: datetime,
) -> int:
    session = await plans.schedule_session(
        uow,
        plans.NewSession(
            event_id=await _event(uow, system, cinema, show, now),
            venue_id=cinema.venue_id,
            seat_map_id=hall.seat_map_id,
            code=f"{system}:{show.code}"[:40],
            name=f"{show.film_name} · {cinema.name}",
            starts_at=show.starts_at,
            ends_at=show.ends_at,
        ),
        now=now,
    )
    areas = sorted(show.prices)
    await pricing.set_price_levels(
        uow,
        session_id=session.id,
        now=now,
        levels=[
            pricing.LevelInput(
                code=area,
                name=AREA_NAMES.get(area, area),
                prices={"adult": show.prices[area]},
                color=AREA_COLORS.get(area, "#3b82f6"),
                currency=show.currency,
            )
            for area in areas
        ],
    )
    await _map_areas(uow, session.id, hall, show, now)
    uow.session.add(
        PartnerSession(session_id=session.id, cinema_id=cinema.id, hall_id=hall.id, code=show.code)
    )
    await uow.session.flush()
    return session.id


async def _map_areas(
    uow: UnitOfWork, session_id: int, hall: PartnerHall, show: Showtime, now: datetime
) -> None:
    """Each seat's price level is its hall area, as the cinema prices it."""
    areas = hall.areas
    for area in sorted(show.prices):
        keys = tuple(key for code, key in hall.seats.items() if areas.get(code) == area)
        if keys:
            await plans.map_price_level(
                uow,
                session_id=session_id,
                selector=SeatSelector(seats=keys),
                level_code=area,
                now=now,
            )


async def cancel_missing(
    uow: UnitOfWork,
    system: str,
    data: CinemaData,
    *,
    start: date,
    days: int,
    now: datetime,
    result: SyncResult,
) -> None:
    """Sessions of the synced days that the cinema no longer lists are cancelled here too."""
    listed = {s.code for s in data.showtimes}
    rows = (
        await uow.session.execute(
            select(Session, PartnerSession.code)
            .join(PartnerSession, PartnerSession.session_id == Session.id)
            .join(PartnerCinema, PartnerCinema.id == PartnerSession.cinema_id)
            .where(
                PartnerCinema.system == system,
                PartnerCinema.code == data.cinema.code,
                Session.starts_at >= _midnight(start),
                Session.starts_at < _midnight(start + timedelta(days=days)),
                Session.status == SessionStatus.SCHEDULED,
            )
        )
    ).all()
    for session, code in rows:
        if code not in listed:
            session.status = SessionStatus.CANCELLED
            result.cancelled.append(session.id)
            await audit.record(
                uow,
                action="partner.session_cancelled",
                entity_type="session",
                entity_id=session.id,
                data={"code": code},
                now=now,
            )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)

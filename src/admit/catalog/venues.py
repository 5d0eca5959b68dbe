"""Use cases for organisers and venues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from admit.catalog.models import Organiser, Venue
from admit.catalog.search import normalise
from admit.core import audit
from admit.core.lookups import ensure_unique, get_or_404
from admit.core.uow import UnitOfWork


async def create_organiser(uow: UnitOfWork, *, code: str, name: str, now: datetime) -> Organiser:
    await ensure_unique(uow, Organiser.code, code, f"organiser {code!r} already exists")
    org = Organiser(code=code, name=name, created_at=now)
    uow.session.add(org)
    await uow.session.flush()
    await audit.record(
        uow,
        action="organiser.created",
        entity_type="organiser",
        entity_id=org.id,
        data={"code": code, "name": name},
        now=now,
    )
    return org


async def get_organiser(uow: UnitOfWork, organiser_id: int) -> Organiser:
    return await get_or_404(uow, Organiser, organiser_id, "organiser")


async def create_venue(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    address: str,
    use: str,
    capacity: int,
    now: datetime,
) -> Venue:
    await ensure_unique(uow, Venue.code, code, f"venue {code!r} already exists")
    venue = Venue(
        code=code,
        name=name,
        address=address,
        use=use,
        capacity=capacity,
        created_at=now,
        search_text=normalise(name),
    )
    uow.session.add(venue)
    await uow.session.flush()
    await audit.record(
        uow,
        action="venue.created",
        entity_type="venue",
        entity_id=venue.id,
        data={"code": code, "name": name, "address": address, "use": use, "capacity": capacity},
        now=now,
    )
    return venue


async def update_venue(
    uow: UnitOfWork, venue_id: int, *, changes: dict[str, object], now: datetime
) -> Venue:
    """Change a venue's name, address, use or capacity; the audit entry keeps old and new."""
    venue = await get_venue(uow, venue_id)
    await audit.record_update(
        uow,
        venue,
        changes,
        action="venue.updated",
        entity_type="venue",
        entity_id=venue.id,
        now=now,
    )
    venue.search_text = normalise(venue.name)
    await uow.session.flush()
    return venue


async def get_venue(uow: UnitOfWork, venue_id: int) -> Venue:
    return await get_or_404(uow, Venue, venue_id, "venue")


async def list_venues(uow: UnitOfWork) -> list[Venue]:
    return list((await uow.session.scalars(select(Venue).order_by(Venue.code))).all())


async def list_organisers(uow: UnitOfWork) -> list[Organiser]:
    return list((await uow.session.scalars(select(Organiser).order_by(Organiser.code))).all())

"""Use cases for seat maps: import a whole map, export it, change seats' physical attributes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from admit.catalog.models import GAArea, MapLevel, MapSection, Seat, SeatMap
from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_spec import (
    SEAT_ATTRIBUTES,
    GAAreaSpec,
    LevelSpec,
    SeatMapSpec,
    SeatSpec,
    SectionSpec,
    seat_key,
)
from admit.catalog.venues import get_venue
from admit.core import audit
from admit.core.errors import InvalidInput
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork

_CHUNK = 5000


async def import_seatmap(
    uow: UnitOfWork, *, venue_id: int, spec: SeatMapSpec, now: datetime
) -> SeatMap:
    """Store a validated map for a venue in one transaction: all of it or nothing."""
    await get_venue(uow, venue_id)
    s = uow.session
    seat_map = SeatMap(
        venue_id=venue_id,
        name=spec.name,
        seat_count=len(spec.seats),
        ga_capacity=sum(a.capacity for a in spec.ga_areas),
        created_at=now,
        updated_at=now,
    )
    s.add(seat_map)
    await s.flush()
    level_ids: dict[str, int] = {}
    for sort, level in enumerate(spec.levels):
        row = MapLevel(seat_map_id=seat_map.id, code=level.code, name=level.name, sort=sort)
        s.add(row)
        await s.flush()
        level_ids[level.code] = row.id
    section_ids: dict[str, int] = {}
    section_level: dict[str, str] = {}
    for sort, sec in enumerate(spec.sections):
        srow = MapSection(
            seat_map_id=seat_map.id,
            level_id=level_ids[sec.level],
            code=sec.code,
            name=sec.name,
            sort=sort,
        )
        s.add(srow)
        await s.flush()
        section_ids[sec.code] = srow.id
        section_level[sec.code] = sec.level
    for area in spec.ga_areas:
        s.add(
            GAArea(
                seat_map_id=seat_map.id,
                level_id=level_ids.get(area.level or ""),
                code=area.code,
                name=area.name,
                capacity=area.capacity,
            )
        )
    rows = [
        _seat_row(seat_map.id, ordinal, seat, section_ids, section_level)
        for ordinal, seat in enumerate(spec.seats)
    ]
    for start in range(0, len(rows), _CHUNK):
        await s.execute(insert(Seat), rows[start : start + _CHUNK])
    await s.flush()
    await audit.record(
        uow,
        action="seatmap.imported",
        entity_type="seat_map",
        entity_id=seat_map.id,
        data={
            "venue_id": venue_id,
            "name": spec.name,
            "seats": len(spec.seats),
            "sections": len(spec.sections),
            "ga_areas": len(spec.ga_areas),
            "sha256": hashlib.sha256(to_json(spec).encode()).hexdigest(),
        },
        now=now,
    )
    return seat_map


def _seat_row(
    map_id: int,
    ordinal: int,
    seat: SeatSpec,
    section_ids: dict[str, int],
    section_level: dict[str, str],
) -> dict[str, object]:
    key = seat.key or seat_key(section_level[seat.section], seat.section, seat.row, seat.number)
    return {
        "seat_map_id": map_id,
        "section_id": section_ids[seat.section],
        "ordinal": ordinal,
        "key": key,
        "row_label": seat.row,
        "number_label": seat.number,
        "x": seat.x,
        "y": seat.y,
        **{attr: attr in seat.attributes for attr in SEAT_ATTRIBUTES},
    }


async def get_seatmap(uow: UnitOfWork, seat_map_id: int) -> SeatMap:
    return await get_or_404(uow, SeatMap, seat_map_id, "seat map")


async def export_seatmap(uow: UnitOfWork, seat_map_id: int) -> SeatMapSpec:
    seat_map = await get_seatmap(uow, seat_map_id)
    s = uow.session
    levels = (
        await s.scalars(
            select(MapLevel).where(MapLevel.seat_map_id == seat_map_id).order_by(MapLevel.sort)
        )
    ).all()
    level_code = {lv.id: lv.code for lv in levels}
    sections = (
        await s.scalars(
            select(MapSection)
            .where(MapSection.seat_map_id == seat_map_id)
            .order_by(MapSection.sort)
        )
    ).all()
    section_code = {sec.id: sec.code for sec in sections}
    areas = (
        await s.scalars(select(GAArea).where(GAArea.seat_map_id == seat_map_id).order_by(GAArea.id))
    ).all()
    seats = (
        await s.scalars(select(Seat).where(Seat.seat_map_id == seat_map_id).order_by(Seat.ordinal))
    ).all()
    return SeatMapSpec(
        name=seat_map.name,
        levels=tuple(LevelSpec(code=lv.code, name=lv.name) for lv in levels),
        sections=tuple(
            SectionSpec(code=sec.code, name=sec.name, level=level_code[sec.level_id])
            for sec in sections
        ),
        seats=tuple(
            SeatSpec(
                section=section_code[st.section_id],
                row=st.row_label,
                number=st.number_label,
                x=st.x,
                y=st.y,
                key=st.key,
                attributes=frozenset(a for a in SEAT_ATTRIBUTES if getattr(st, a)),
            )
            for st in seats
        ),
        ga_areas=tuple(
            GAAreaSpec(
                code=a.code,
                name=a.name,
                capacity=a.capacity,
                level=level_code[a.level_id] if a.level_id is not None else None,
            )
            for a in areas
        ),
    )


@dataclass(frozen=True, slots=True)
class SeatChange:
    key: str
    attributes: dict[str, bool]


@dataclass(frozen=True, slots=True)
class ChangedSeat:
    seat_id: int
    key: str
    usable: bool


KEYS_PER_STATEMENT = 5000


async def change_seats(
    uow: UnitOfWork, *, seat_map_id: int, changes: Sequence[SeatChange], now: datetime
) -> list[ChangedSeat]:
    """Set physical attributes (damaged, removed, ...) of seats on the venue map.

    Returns every changed seat with its new usability; the caller passes those on to the
    sessions that use the map. Raises ``InvalidInput`` naming unknown seats or attributes."""
    seat_map = await get_seatmap(uow, seat_map_id)
    for change in changes:
        unknown = set(change.attributes) - set(SEAT_ATTRIBUTES)
        if unknown:
            raise InvalidInput(f"unknown seat attributes: {sorted(unknown)}")
    keys = [c.key for c in changes]
    seats: dict[str, Seat] = {}
    for start in range(0, len(keys), KEYS_PER_STATEMENT):  # within every driver's parameters
        part = keys[start : start + KEYS_PER_STATEMENT]
        found = await uow.session.scalars(
            select(Seat).where(Seat.seat_map_id == seat_map_id, Seat.key.in_(part))
        )
        seats.update((st.key, st) for st in found)
    missing = [k for k in keys if k not in seats]
    if missing:
        raise InvalidInput("unknown seats on this map", details={"seats": missing[:100]})
    changed: list[ChangedSeat] = []
    log: list[dict[str, object]] = []
    for change in changes:
        seat = seats[change.key]
        before = {a: getattr(seat, a) for a in change.attributes}
        for attr, value in change.attributes.items():
            setattr(seat, attr, value)
        log.append({"key": seat.key, "before": before, "after": change.attributes})
        changed.append(ChangedSeat(seat_id=seat.id, key=seat.key, usable=seat.usable))
    seat_map.version += 1
    seat_map.updated_at = now
    await uow.session.flush()
    await audit.record(
        uow,
        action="seatmap.seats_changed",
        entity_type="seat_map",
        entity_id=seat_map_id,
        data={"changes": log},
        now=now,
    )
    return changed

"""The drawable geometry of a seat map, in columns (one array per field, in ordinal order),
so a 20,000-seat map is a few compact arrays rather than 20,000 objects with repeated keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from admit.catalog.models import GAArea, MapLevel, MapSection, Seat
from admit.catalog.seatmaps import get_seatmap
from admit.core.uow import UnitOfWork

_FLAGS = {(False, False): "-", (True, False): "a", (False, True): "o", (True, True): "b"}


async def load_layout(uow: UnitOfWork, seat_map_id: int) -> dict[str, Any]:
    seat_map = await get_seatmap(uow, seat_map_id)
    s = uow.session
    levels = (
        await s.execute(
            select(MapLevel.id, MapLevel.code, MapLevel.name)
            .where(MapLevel.seat_map_id == seat_map_id)
            .order_by(MapLevel.sort)
        )
    ).all()
    level_code = {lid: code for lid, code, _ in levels}
    sections = (
        await s.execute(
            select(MapSection.id, MapSection.code, MapSection.name, MapSection.level_id)
            .where(MapSection.seat_map_id == seat_map_id)
            .order_by(MapSection.sort)
        )
    ).all()
    section_index = {sid: i for i, (sid, *_rest) in enumerate(sections)}
    seats = (
        await s.execute(
            select(
                Seat.section_id,
                Seat.key,
                Seat.row_label,
                Seat.number_label,
                Seat.x,
                Seat.y,
                Seat.accessible,
                Seat.obstructed,
            )
            .where(Seat.seat_map_id == seat_map_id)
            .order_by(Seat.ordinal)
        )
    ).all()
    areas = (
        await s.execute(
            select(GAArea.code, GAArea.name, GAArea.capacity, GAArea.level_id)
            .where(GAArea.seat_map_id == seat_map_id)
            .order_by(GAArea.code)
        )
    ).all()
    return {
        "seat_map_id": seat_map_id,
        "version": seat_map.version,
        "name": seat_map.name,
        "levels": [{"code": code, "name": name} for _, code, name in levels],
        "sections": [
            {"code": code, "name": name, "level": level_code[lid]}
            for _, code, name, lid in sections
        ],
        "ga_areas": [
            {
                "code": code,
                "name": name,
                "capacity": cap,
                "level": level_code.get(lid) if lid is not None else None,
            }
            for code, name, cap, lid in areas
        ],
        "seats": {
            "section": [section_index[r[0]] for r in seats],
            "key": [r[1] for r in seats],
            "row": [r[2] for r in seats],
            "number": [r[3] for r in seats],
            "x": [r[4] for r in seats],
            "y": [r[5] for r in seats],
            # one character a seat: a accessible, o obstructed view, b both, - neither
            "flags": "".join(_FLAGS[(bool(r[6]), bool(r[7]))] for r in seats),
        },
    }

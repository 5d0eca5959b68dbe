"""How a seat or a general-admission place reads on a ticket and in a message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from admit.catalog.models import GAArea, MapSection, Seat
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionPlan


async def place_labels(
    uow: UnitOfWork, *, session_id: int, seat_keys: Sequence[str], area_codes: Sequence[str]
) -> dict[str, str]:
    """Seat key → "Section · Row R · Seat N"; GA area code → the area's name."""
    plan = select(SessionPlan.seat_map_id).where(SessionPlan.session_id == session_id)
    labels: dict[str, str] = {}
    if seat_keys:
        rows = await uow.session.execute(
            select(Seat.key, MapSection.name, Seat.row_label, Seat.number_label)
            .join(MapSection, MapSection.id == Seat.section_id)
            .where(Seat.seat_map_id == plan.scalar_subquery(), Seat.key.in_(list(seat_keys)))
        )
        for key, section, row, number in rows:
            labels[key] = f"{section} · Row {row} · Seat {number}"
    if area_codes:
        areas = await uow.session.execute(
            select(GAArea.code, GAArea.name).where(
                GAArea.seat_map_id == plan.scalar_subquery(), GAArea.code.in_(list(area_codes))
            )
        )
        labels.update({code: f"{name} (standing)" for code, name in areas})
    return labels

"""Choosing seats of a session plan by sections, rows, number ranges or seat keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from admit.catalog.models import MapSection, Seat
from admit.core.errors import InvalidInput
from admit.inventory.models import SessionSeat


@dataclass(frozen=True, slots=True)
class RowRef:
    section: str
    row: str


@dataclass(frozen=True, slots=True)
class NumberRange:
    section: str
    row: str
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class SeatSelector:
    """A union of sections, rows, ranges of seat numbers in a row, and single seat keys."""

    sections: tuple[str, ...] = ()
    rows: tuple[RowRef, ...] = ()
    ranges: tuple[NumberRange, ...] = ()
    seats: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.sections or self.rows or self.ranges or self.seats)


def _condition(sel: SeatSelector) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if sel.sections:
        parts.append(MapSection.code.in_(sel.sections))
    parts.extend(and_(MapSection.code == r.section, Seat.row_label == r.row) for r in sel.rows)
    for rng in sel.ranges:
        if rng.first > rng.last:
            raise InvalidInput(f"range {rng.first}-{rng.last} in {rng.section}/{rng.row} is empty")
        numbers = [str(n) for n in range(rng.first, rng.last + 1)]
        parts.append(
            and_(
                MapSection.code == rng.section,
                Seat.row_label == rng.row,
                Seat.number_label.in_(numbers),
            )
        )
    if sel.seats:
        parts.append(Seat.key.in_(sel.seats))
    return or_(false(), *parts)


def select_session_seats(session_id: int, sel: SeatSelector) -> Select[SessionSeat, str]:
    """Session seats matched by the selector, with their seat keys, in plan order."""
    if sel.empty:
        raise InvalidInput("the selection names no seats")
    return (
        select(SessionSeat, Seat.key)
        .join(Seat, Seat.id == SessionSeat.seat_id)
        .join(MapSection, MapSection.id == Seat.section_id)
        .where(SessionSeat.session_id == session_id, _condition(sel))
        .order_by(SessionSeat.ordinal)
    )

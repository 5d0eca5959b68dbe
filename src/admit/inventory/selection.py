"""Choosing seats of a session plan by sections, rows, number ranges or seat keys."""

from __future__ import annotations

from collections.abc import Iterator
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


# Values bound to one statement: far below asyncpg's 32,767 and SQLite's 32,766 parameters.
PARAMETERS_PER_STATEMENT = 5000


def _terms(sel: SeatSelector) -> int:
    numbers = sum(max(r.last - r.first + 1, 0) + 2 for r in sel.ranges)
    return len(sel.sections) + 2 * len(sel.rows) + numbers + len(sel.seats)


def _split(sel: SeatSelector, size: int) -> Iterator[SeatSelector]:
    """The selector as a union of parts of at most ``size`` bound values each (a range is
    never cut: the request's schema keeps each far narrower than ``size``)."""
    for start in range(0, len(sel.sections), size):
        yield SeatSelector(sections=sel.sections[start : start + size])
    for start in range(0, len(sel.rows), size // 2):
        yield SeatSelector(rows=sel.rows[start : start + size // 2])
    part: list[NumberRange] = []
    taken = 0
    for rng in sel.ranges:
        cost = _terms(SeatSelector(ranges=(rng,)))
        if part and taken + cost > size:
            yield SeatSelector(ranges=tuple(part))
            part, taken = [], 0
        part.append(rng)
        taken += cost
    if part:
        yield SeatSelector(ranges=tuple(part))
    for start in range(0, len(sel.seats), size):
        yield SeatSelector(seats=sel.seats[start : start + size])


def session_seat_queries(
    session_id: int, sel: SeatSelector, *, size: int = PARAMETERS_PER_STATEMENT
) -> list[Select[SessionSeat, str]]:
    """Statements whose results together are the session seats the selector matches (a seat
    may come from several): one statement when the selector is small, several when it would
    bind more values than a driver takes (the same on every database)."""
    if sel.empty:
        raise InvalidInput("the selection names no seats")
    if _terms(sel) <= size:
        return [select_session_seats(session_id, sel)]
    return [select_session_seats(session_id, part) for part in _split(sel, size)]


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

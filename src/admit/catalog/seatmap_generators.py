"""Deterministic demo seat maps: a cinema hall and a two-tier stadium bowl, both checked by the
shared seat-map validator."""

from __future__ import annotations

import math
from collections.abc import Iterator

from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec
from admit.catalog.seatmap_validate import validate_spec

_ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_CINEMA_SEAT_PITCH = 10.0
_CINEMA_ROW_PITCH = 12.0
_CINEMA_AISLE = 20.0
_CINEMA_SCREEN_GAP = 30.0
_PITCH_HALF_LENGTH = 60.0
_PITCH_HALF_WIDTH = 40.0
_FIRST_ROW_OFFSET = 8.0
_ROW_DEPTH = 0.9
_TIER_GAP = 4.0
_SECTION_GAP = 0.15
_ACCESSIBLE_PER_SECTION = 4
_TIER_NAMES = ("Lower tier", "Upper tier")


def _row_labels(count: int) -> list[str]:
    """A, B, ... Z without I and O, then AA, AB, ... as cinemas label rows."""
    labels: list[str] = []
    for index in range(count):
        label = ""
        n = index + 1
        while n:
            n, digit = divmod(n - 1, len(_ROW_LETTERS))
            label = _ROW_LETTERS[digit] + label
        labels.append(label)
    return labels


def cinema_hall(name: str = "Hall 1", rows: int = 12, seats_per_row: int = 17) -> SeatMapSpec:
    """One section of `rows` × `seats_per_row` seats facing a screen at y = 0, centre aisle."""
    if rows < 1 or seats_per_row < 1:
        raise ValueError("a cinema hall needs at least one row of one seat")
    left_block = (seats_per_row + 1) // 2
    labels = _row_labels(rows)
    seats: list[SeatSpec] = []
    for row_index, label in enumerate(labels):
        y = _CINEMA_SCREEN_GAP + row_index * _CINEMA_ROW_PITCH
        for seat_index in range(seats_per_row):
            x = (seat_index + 1) * _CINEMA_SEAT_PITCH
            if seat_index >= left_block:
                x += _CINEMA_AISLE
            attributes: set[str] = set()
            at_end = seat_index in (0, seats_per_row - 1)
            if at_end and row_index == rows - 1:
                attributes.add("accessible")
            if at_end and row_index == 0:
                attributes.add("obstructed")
            seats.append(SeatSpec("HALL", label, str(seat_index + 1), x, y, frozenset(attributes)))
    spec = SeatMapSpec(
        name=name,
        levels=(LevelSpec("L1", "Stalls"),),
        sections=(SectionSpec("HALL", "Hall", "L1"),),
        seats=tuple(seats),
    )
    return validate_spec(spec)


def stadium_bowl(
    name: str = "Stadium",
    *,
    sections_per_level: int = 24,
    rows_per_level: tuple[int, ...] = (20, 22),
    seats_per_row: int = 20,
    floor_capacity: int = 2000,
) -> SeatMapSpec:
    """Tiers of sections around an elliptical pitch (level n has sections n01, n02, ...),
    numbered rows, accessible seats in the first row of each lower-tier section, a GA floor."""
    if not 1 <= len(rows_per_level) <= 9 or not 1 <= sections_per_level <= 99:
        raise ValueError("a stadium has 1-9 levels of 1-99 sections")
    if seats_per_row < 1 or min(rows_per_level) < 1:
        raise ValueError("a stadium section needs at least one row of one seat")
    levels: list[LevelSpec] = []
    sections: list[SectionSpec] = []
    seats: list[SeatSpec] = []
    offset = _FIRST_ROW_OFFSET
    depth = offset + sum(rows * _ROW_DEPTH + _TIER_GAP for rows in rows_per_level)
    centre = _PITCH_HALF_LENGTH + depth + _TIER_GAP
    for tier, rows in enumerate(rows_per_level, start=1):
        level = f"L{tier}"
        levels.append(LevelSpec(level, _tier_name(tier)))
        for index in range(sections_per_level):
            code = f"{tier}{index + 1:02d}"
            sections.append(SectionSpec(code, f"Section {code}", level))
            arc = _Arc(index, sections_per_level, seats_per_row, centre)
            seats.extend(arc.seats(code, rows, offset, accessible=tier == 1))
        offset += rows * _ROW_DEPTH + _TIER_GAP
    floor = GAAreaSpec("FLOOR", "Floor", floor_capacity, "L1")
    spec = SeatMapSpec(name, tuple(levels), tuple(sections), tuple(seats), (floor,))
    return validate_spec(spec)


def _tier_name(tier: int) -> str:
    return _TIER_NAMES[tier - 1] if tier <= len(_TIER_NAMES) else f"Tier {tier}"


class _Arc:
    """The angular span of one section around the pitch, seats spread evenly along it."""

    def __init__(self, index: int, sections: int, seats_per_row: int, centre: float) -> None:
        span = 2 * math.pi / sections
        start = index * span + span * _SECTION_GAP / 2
        step = span * (1 - _SECTION_GAP) / seats_per_row
        self.angles = [start + (i + 0.5) * step for i in range(seats_per_row)]
        self.centre = centre

    def seats(
        self, section: str, rows: int, offset: float, *, accessible: bool
    ) -> Iterator[SeatSpec]:
        last = len(self.angles)
        for row in range(rows):
            distance = offset + row * _ROW_DEPTH
            rx, ry = _PITCH_HALF_LENGTH + distance, _PITCH_HALF_WIDTH + distance
            for number, angle in enumerate(self.angles, start=1):
                edge = min(number, last + 1 - number) <= _ACCESSIBLE_PER_SECTION // 2
                marked = accessible and row == 0 and edge
                yield SeatSpec(
                    section,
                    str(row + 1),
                    str(number),
                    round(self.centre + rx * math.cos(angle), 2),
                    round(self.centre + ry * math.sin(angle), 2),
                    frozenset({"accessible"}) if marked else frozenset(),
                )

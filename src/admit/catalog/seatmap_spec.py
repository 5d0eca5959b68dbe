"""A seat map as plain data: what the importers produce, the generators build and the
exporters write. Pure: no I/O, no database."""

from __future__ import annotations

from dataclasses import dataclass, field

SEAT_ATTRIBUTES = ("accessible", "obstructed", "damaged", "removed")


@dataclass(frozen=True, slots=True)
class LevelSpec:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class SectionSpec:
    code: str
    name: str
    level: str  # LevelSpec.code


@dataclass(frozen=True, slots=True)
class SeatSpec:
    section: str  # SectionSpec.code
    row: str
    number: str
    x: float
    y: float
    attributes: frozenset[str] = frozenset()
    key: str = ""  # derived as LEVEL-SECTION-ROW-NUMBER when empty


@dataclass(frozen=True, slots=True)
class GAAreaSpec:
    code: str
    name: str
    capacity: int
    level: str | None = None


@dataclass(frozen=True, slots=True)
class SeatMapSpec:
    name: str
    levels: tuple[LevelSpec, ...]
    sections: tuple[SectionSpec, ...]
    seats: tuple[SeatSpec, ...]
    ga_areas: tuple[GAAreaSpec, ...] = field(default=())

    @property
    def capacity(self) -> int:
        usable = sum(1 for s in self.seats if not ({"damaged", "removed"} & s.attributes))
        return usable + sum(a.capacity for a in self.ga_areas)


def seat_key(level: str, section: str, row: str, number: str) -> str:
    return f"{level}-{section}-{row}-{number}"

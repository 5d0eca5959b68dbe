"""The one validator behind every seat-map source: raw records from JSON, CSV or a generator
in, a checked SeatMapSpec or a SeatMapFormatError listing every problem out."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from admit.catalog.seatmap_spec import (
    SEAT_ATTRIBUTES,
    GAAreaSpec,
    LevelSpec,
    SeatMapSpec,
    SeatSpec,
    SectionSpec,
    seat_key,
)
from admit.core.errors import InvalidInput

MAX_SEATS = 200_000
MAX_CAPACITY = 1_000_000
MAX_PROBLEMS = 50
_SUMMARY_PROBLEMS = 3
_SHOWN_CHARS = 60


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    problem: str


class SeatMapFormatError(InvalidInput):
    """A seat map that cannot be read; `details` lists every problem as {where, problem}."""

    code = "invalid_seatmap"

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        shown = tuple(problems[:MAX_PROBLEMS])
        self.problems = shown
        self.total = max(total or 0, len(problems))
        first = "; ".join(f"{p.where}: {p.problem}" for p in shown[:_SUMMARY_PROBLEMS])
        more = self.total - min(len(shown), _SUMMARY_PROBLEMS)
        message = f"{first} (and {more} more)" if more else first
        details = [{"where": p.where, "problem": p.problem} for p in shown]
        super().__init__(message, details=details)


@dataclass(frozen=True, slots=True)
class Bad:
    """A field value a reader could not convert, carrying the reason."""

    problem: str


@dataclass(frozen=True, slots=True)
class RawRecord:
    where: str
    fields: Mapping[str, object]


@dataclass(slots=True)
class RawMap:
    """What a reader found, unchecked; `problems` are those the reader already met."""

    where: str = "seat map"
    map: RawRecord | None = None
    levels: list[RawRecord] = field(default_factory=list)
    sections: list[RawRecord] = field(default_factory=list)
    seats: list[RawRecord] = field(default_factory=list)
    ga_areas: list[RawRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    description: str


_CODE = _Rule(re.compile(r"[A-Za-z0-9_.]{1,20}"), "1-20 letters, digits, '_' or '.'")
_LABEL = _Rule(re.compile(r"[^\s\x00-\x1f\x7f-\x9f-]{1,20}"), "1-20 characters, no '-' or spaces")
_KEY = _Rule(re.compile(r"[^\s\x00-\x1f\x7f-\x9f]{1,100}"), "1-100 characters, no spaces")
_NAME = _Rule(
    re.compile(r"(?=.*\S)[^\x00-\x1f\x7f-\x9f]{1,200}"),
    "1-200 characters, not blank, no control characters",
)
_FIELDS = {
    "map": frozenset({"name"}),
    "level": frozenset({"code", "name"}),
    "section": frozenset({"code", "name", "level"}),
    "seat": frozenset({"section", "row", "number", "x", "y", "attributes", "key"}),
    "ga": frozenset({"code", "name", "level", "capacity"}),
}
_ALLOWED_ATTRIBUTES = frozenset(SEAT_ATTRIBUTES)


class _Problems:
    def __init__(self, initial: Sequence[Problem]) -> None:
        self.items = list(initial[:MAX_PROBLEMS])
        self.total = len(initial)

    def add(self, where: str, problems: Sequence[str]) -> None:
        self.total += len(problems)
        room = MAX_PROBLEMS - len(self.items)
        self.items.extend(Problem(where, p) for p in problems[: max(room, 0)])


def show_value(value: object) -> str:
    """repr(value), cut short for an error message."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _unexpected(fields: Mapping[str, object], kind: str) -> list[str]:
    allowed = _FIELDS[kind]
    if fields.keys() <= allowed:
        return []
    return [f"unexpected field {show_value(name)}" for name in fields if name not in allowed]


def _text(
    fields: Mapping[str, object], name: str, errs: list[str], rule: _Rule, *, required: bool = True
) -> str:
    """The field's text, or "" (never valid) when it is absent or wrong."""
    value = fields.get(name)
    if isinstance(value, str) and rule.pattern.fullmatch(value):
        return value
    if value is None:
        if required:
            errs.append(f"missing {name}")
    elif isinstance(value, Bad):
        errs.append(value.problem)
    elif not isinstance(value, str):
        errs.append(f"{name} must be a string")
    else:
        errs.append(f"invalid {name} {show_value(value)} ({rule.description})")
    return ""


def _number(fields: Mapping[str, object], name: str, errs: list[str]) -> float:
    value = fields.get(name)
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, Bad):
        errs.append(value.problem)
        return 0.0
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        errs.append(f"missing {name}" if value is None else f"{name} must be a number")
        return 0.0
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        errs.append(f"{name} must be a finite number, got {show_value(value)}")
    return number


def _capacity(fields: Mapping[str, object], errs: list[str]) -> int:
    value = fields.get("capacity")
    if isinstance(value, Bad):
        errs.append(value.problem)
    elif value is None or isinstance(value, bool) or not isinstance(value, int):
        errs.append("missing capacity" if value is None else "capacity must be an integer")
    elif value < 0:
        errs.append(f"negative capacity {value}")
    elif value > MAX_CAPACITY:
        errs.append(f"capacity {value} above {MAX_CAPACITY}")
    else:
        return value
    return 0


def _attributes(fields: Mapping[str, object], errs: list[str]) -> frozenset[str]:
    value = fields.get("attributes", [])
    if value == []:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        errs.append("attributes must be a list of strings")
        return frozenset()
    allowed = ", ".join(SEAT_ATTRIBUTES)
    unknown = sorted(set(value) - _ALLOWED_ATTRIBUTES)
    errs.extend(f"unknown attribute {show_value(a)} (allowed: {allowed})" for a in unknown)
    return frozenset(value)


def _claim(codes: dict[str, str], code: str, where: str, what: str, errs: list[str]) -> None:
    if code:
        first = codes.setdefault(code, where)
        if first != where:
            errs.append(f"duplicate {what} {code}, also at {first}")


def _check_map(raw: RawMap, out: _Problems) -> str:
    record = raw.map
    if record is None:
        out.add(raw.where, ["missing map record"])
        return ""
    errs = _unexpected(record.fields, "map")
    name = _text(record.fields, "name", errs, _NAME)
    out.add(record.where, errs)
    return name


def _check_levels(records: Sequence[RawRecord], out: _Problems) -> list[LevelSpec]:
    levels: list[LevelSpec] = []
    seen: dict[str, str] = {}
    for record in records:
        errs = _unexpected(record.fields, "level")
        code = _text(record.fields, "code", errs, _CODE)
        name = _text(record.fields, "name", errs, _NAME)
        _claim(seen, code, record.where, "level code", errs)
        levels.append(LevelSpec(code=code, name=name))
        out.add(record.where, errs)
    return levels


def _check_sections(
    records: Sequence[RawRecord], level_codes: set[str], codes: dict[str, str], out: _Problems
) -> tuple[list[SectionSpec], dict[str, str]]:
    """Sections, and each readable section code's level ("" when that level is unusable)."""
    sections: list[SectionSpec] = []
    section_level: dict[str, str] = {}
    for record in records:
        errs = _unexpected(record.fields, "section")
        code = _text(record.fields, "code", errs, _CODE)
        name = _text(record.fields, "name", errs, _NAME)
        level = _text(record.fields, "level", errs, _CODE)
        if level and level not in level_codes:
            errs.append(f"unknown level {level!r}")
            level = ""
        _claim(codes, code, record.where, "section code", errs)
        if code:
            section_level.setdefault(code, level)
        sections.append(SectionSpec(code=code, name=name, level=level))
        out.add(record.where, errs)
    return sections, section_level


def _check_ga_areas(
    records: Sequence[RawRecord], level_codes: set[str], codes: dict[str, str], out: _Problems
) -> list[GAAreaSpec]:
    areas: list[GAAreaSpec] = []
    for record in records:
        errs = _unexpected(record.fields, "ga")
        code = _text(record.fields, "code", errs, _CODE)
        name = _text(record.fields, "name", errs, _NAME)
        level = _text(record.fields, "level", errs, _CODE, required=False)
        capacity = _capacity(record.fields, errs)
        if level and level not in level_codes:
            errs.append(f"unknown level {level!r}")
        _claim(codes, code, record.where, "code", errs)
        areas.append(GAAreaSpec(code=code, name=name, capacity=capacity, level=level or None))
        out.add(record.where, errs)
    return areas


class _SeatChecker:
    def __init__(self, section_level: dict[str, str], out: _Problems) -> None:
        self.section_level = section_level
        self.out = out
        self.seen: dict[str, str] = {}

    def check(self, record: RawRecord) -> SeatSpec:
        fields = record.fields
        errs = _unexpected(fields, "seat")
        section = _text(fields, "section", errs, _CODE)
        row = _text(fields, "row", errs, _LABEL)
        number = _text(fields, "number", errs, _LABEL)
        x = _number(fields, "x", errs)
        y = _number(fields, "y", errs)
        attributes = _attributes(fields, errs)
        key = "" if fields.get("key") == "" else _text(fields, "key", errs, _KEY, required=False)
        if section and section not in self.section_level:
            errs.append(f"unknown section {section!r}")
        level = self.section_level.get(section, "")
        if not key and level and section and row and number:
            key = seat_key(level, section, row, number)
        _claim(self.seen, key, record.where, "seat key", errs)
        if errs:
            self.out.add(f"{record.where} ({key})" if key else record.where, errs)
        return SeatSpec(section, row, number, x, y, attributes, key)


def validate(raw: RawMap) -> SeatMapSpec:
    """Check everything in `raw` and build the spec; raise SeatMapFormatError otherwise."""
    out = _Problems(raw.problems)
    name = _check_map(raw, out)
    levels = _check_levels(raw.levels, out)
    level_codes = {level.code for level in levels}
    codes: dict[str, str] = {}
    sections, section_level = _check_sections(raw.sections, level_codes, codes, out)
    areas = _check_ga_areas(raw.ga_areas, level_codes, codes, out)
    seats: list[SeatSpec] = []
    if len(raw.seats) > MAX_SEATS:
        extra = raw.seats[MAX_SEATS].where
        out.add(extra, [f"too many seats: {len(raw.seats)} (at most {MAX_SEATS})"])
    else:
        checker = _SeatChecker(section_level, out)
        seats = [checker.check(record) for record in raw.seats]
    if not raw.seats and not raw.ga_areas:
        out.add(raw.where, ["no seats and no GA areas"])
    if out.total:
        raise SeatMapFormatError(out.items, out.total)
    return SeatMapSpec(
        name=name,
        levels=tuple(levels),
        sections=tuple(sections),
        seats=tuple(seats),
        ga_areas=tuple(areas),
    )


def validate_spec(spec: SeatMapSpec) -> SeatMapSpec:
    """Check a spec built in code; returns it with every seat key filled in."""
    raw = RawMap(
        map=RawRecord("name", {"name": spec.name}),
        levels=[
            RawRecord(f"levels[{i}]", {"code": lv.code, "name": lv.name})
            for i, lv in enumerate(spec.levels)
        ],
        sections=[
            RawRecord(f"sections[{i}]", {"code": s.code, "name": s.name, "level": s.level})
            for i, s in enumerate(spec.sections)
        ],
        seats=[RawRecord(f"seats[{i}]", _seat_fields(seat)) for i, seat in enumerate(spec.seats)],
        ga_areas=[
            RawRecord(
                f"ga_areas[{i}]",
                {"code": a.code, "name": a.name, "capacity": a.capacity, "level": a.level},
            )
            for i, a in enumerate(spec.ga_areas)
        ],
    )
    return validate(raw)


def _seat_fields(seat: SeatSpec) -> dict[str, object]:
    return {
        "section": seat.section,
        "row": seat.row,
        "number": seat.number,
        "x": seat.x,
        "y": seat.y,
        "attributes": list(seat.attributes),
        "key": seat.key,
    }

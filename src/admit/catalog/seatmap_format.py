"""Seat maps as files: read and write the JSON (admit-seatmap/1) and record-typed CSV formats
described in docs/seatmap-format.md. The CSV is written through ``core.csv_export`` (text
that a spreadsheet would take for a formula gets a leading quote, numbers stay as they are)
and read back with the quote taken off, so an export imports as it was."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import NoReturn

from admit.catalog.seatmap_spec import GAAreaSpec, SeatMapSpec, SeatSpec, seat_key
from admit.catalog.seatmap_validate import (
    Bad,
    Problem,
    RawMap,
    RawRecord,
    SeatMapFormatError,
    show_value,
    validate,
)
from admit.core import csv_export

__all__ = [
    "CSV_HEADER",
    "FORMAT_TAG",
    "SeatMapFormatError",
    "auto_detect",
    "parse_csv",
    "parse_json",
    "to_csv",
    "to_json",
]

FORMAT_TAG = "admit-seatmap/1"
CSV_HEADER = (
    "record",
    "code",
    "name",
    "level",
    "section",
    "row",
    "number",
    "x",
    "y",
    "attributes",
    "capacity",
)
_BOM = "\ufeff"
_JSON_TOP = frozenset({"format", "name", "levels", "sections", "seats", "ga_areas"})


def parse_json(data: bytes | str) -> SeatMapSpec:
    """Read a JSON seat map; raise SeatMapFormatError naming every problem."""
    text = _decode(data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SeatMapFormatError(
            [Problem(f"line {exc.lineno} column {exc.colno}", exc.msg)]
        ) from exc
    except RecursionError as exc:
        raise SeatMapFormatError([Problem("document", "nested too deeply")]) from exc
    return validate(_raw_from_json(document))


def _raw_from_json(document: object) -> RawMap:
    if not isinstance(document, dict):
        raise SeatMapFormatError([Problem("document", "must be a JSON object")])
    raw = RawMap(where="document")
    raw.problems.extend(
        Problem(key[:60], "unexpected field") for key in document if key not in _JSON_TOP
    )
    tag = document.get("format")
    if tag != FORMAT_TAG:
        got = "it is missing" if tag is None else f"got {show_value(tag)}"
        raw.problems.append(Problem("format", f"must be {FORMAT_TAG!r}, {got}"))
    raw.map = RawRecord("name", {"name": document["name"]} if "name" in document else {})
    raw.levels = _json_records(document, "levels", raw.problems)
    raw.sections = _json_records(document, "sections", raw.problems)
    raw.seats = _json_records(document, "seats", raw.problems)
    raw.ga_areas = _json_records(document, "ga_areas", raw.problems)
    return raw


def _json_records(
    document: dict[str, object], member: str, problems: list[Problem]
) -> list[RawRecord]:
    items = document.get(member, [])
    if not isinstance(items, list):
        problems.append(Problem(member, "must be a list"))
        return []
    records: list[RawRecord] = []
    for index, item in enumerate(items):
        where = f"{member}[{index}]"
        if isinstance(item, dict):
            records.append(RawRecord(where, item))
        else:
            problems.append(Problem(where, "must be an object"))
    return records


def parse_csv(data: bytes | str) -> SeatMapSpec:
    """Read a record-typed CSV seat map; every problem names its line (the header is line 1)."""
    return validate(_CsvReader().read(_decode(data)))


class _CsvReader:
    def __init__(self) -> None:
        self.raw = RawMap()
        self.records = {
            "level": self.raw.levels,
            "section": self.raw.sections,
            "seat": self.raw.seats,
            "ga": self.raw.ga_areas,
        }
        self.first_data_line = 0

    def read(self, text: str) -> RawMap:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader, None)
            if header is None or tuple(header) != CSV_HEADER:
                got = "nothing" if header is None else show_value(",".join(header))
                self._fatal(1, f"header must be {','.join(CSV_HEADER)}; got {got}")
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                self._row(row, start)
        except csv.Error as exc:
            self._fatal(reader.line_num, f"malformed CSV: {exc}")
        self.raw.where = f"line {self.first_data_line or 2}"
        return self.raw

    def _fatal(self, line: int, problem: str) -> NoReturn:
        raise SeatMapFormatError([*self.raw.problems, Problem(f"line {line}", problem)])

    def _row(self, row: list[str], line: int) -> None:
        if not any(row):
            return
        where = f"line {line}"
        if len(row) != len(CSV_HEADER):
            problem = f"expected {len(CSV_HEADER)} columns, got {len(row)}"
            self.raw.problems.append(Problem(where, problem))
            return
        self.first_data_line = self.first_data_line or line
        kind = row[0]
        fields = {
            column: _csv_value(column, cell)
            for column, cell in zip(CSV_HEADER[1:], row[1:], strict=True)
            if cell != ""
        }
        if kind == "map":
            self._map(fields, where, line)
        elif kind in self.records:
            if kind == "seat" and "code" in fields:
                fields["key"] = fields.pop("code")
            self.records[kind].append(RawRecord(where, fields))
        else:
            expected = ", ".join(["map", *self.records])
            problem = f"unknown record type {show_value(kind)} (expected one of {expected})"
            self.raw.problems.append(Problem(where, problem))

    def _map(self, fields: dict[str, object], where: str, line: int) -> None:
        if self.raw.map is not None:
            problem = f"second map record, also at {self.raw.map.where}"
            self.raw.problems.append(Problem(where, problem))
            return
        if line != self.first_data_line:
            self.raw.problems.append(Problem(where, "the map record must be the first data row"))
        self.raw.map = RawRecord(where, fields)


def _csv_value(column: str, text: str) -> object:
    cell = csv_export.restore(text)  # as ``to_csv`` wrote it: formula-like text quoted
    if column in ("x", "y"):
        try:
            return float(cell)
        except ValueError:
            return Bad(f"{column} is not a number: {show_value(cell)}")
    if column == "capacity":
        try:
            return int(cell)
        except ValueError:
            return Bad(f"capacity is not an integer: {show_value(cell)}")
    if column == "attributes":
        return [part.strip() for part in cell.split(";") if part.strip()]
    return cell


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix(_BOM)
    try:
        return data.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problem = f"not valid UTF-8 (byte {exc.start + 1} of the file)"
        raise SeatMapFormatError([Problem(f"line {line}", problem)]) from exc


def auto_detect(data: bytes, filename: str | None) -> SeatMapSpec:
    """Parse as JSON or CSV by the file's extension, else by its first non-space character."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower() if filename else ""
    if suffix == ".json":
        return parse_json(data)
    if suffix == ".csv":
        return parse_csv(data)
    if data.removeprefix(_BOM.encode()).lstrip()[:1] == b"{":
        return parse_json(data)
    return parse_csv(data)


def _seat_keys(spec: SeatMapSpec) -> list[str]:
    levels = {section.code: section.level for section in spec.sections}
    return [
        seat.key or seat_key(levels.get(seat.section, ""), seat.section, seat.row, seat.number)
        for seat in spec.seats
    ]


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _json_member(member: str, items: Iterable[dict[str, object]]) -> str:
    body = ",\n".join(f"  {_dump(item)}" for item in items)
    return f' "{member}": [\n{body}\n ]' if body else f' "{member}": []'


def _json_seat(seat: SeatSpec, key: str) -> dict[str, object]:
    item: dict[str, object] = {
        "key": key,
        "section": seat.section,
        "row": seat.row,
        "number": seat.number,
        "x": seat.x,
        "y": seat.y,
    }
    if seat.attributes:
        item["attributes"] = sorted(seat.attributes)
    return item


def _json_area(area: GAAreaSpec) -> dict[str, object]:
    item: dict[str, object] = {"code": area.code, "name": area.name, "capacity": area.capacity}
    if area.level is not None:
        item["level"] = area.level
    return item


def to_json(spec: SeatMapSpec) -> str:
    """Write `spec` as admit-seatmap/1 JSON, one record per line; deterministic."""
    members = [
        f' "format": {_dump(FORMAT_TAG)}',
        f' "name": {_dump(spec.name)}',
        _json_member("levels", ({"code": lv.code, "name": lv.name} for lv in spec.levels)),
        _json_member(
            "sections",
            ({"code": s.code, "name": s.name, "level": s.level} for s in spec.sections),
        ),
        _json_member("seats", map(_json_seat, spec.seats, _seat_keys(spec))),
        _json_member("ga_areas", map(_json_area, spec.ga_areas)),
    ]
    return "{\n" + ",\n".join(members) + "\n}\n"


def _csv_line(record: str, **cells: object) -> list[str]:
    return [record, *(str(cells.get(column, "")) for column in CSV_HEADER[1:])]


def to_csv(spec: SeatMapSpec) -> str:
    """Write `spec` as record-typed CSV with the header row; deterministic."""
    out = io.StringIO()
    writer = csv_export.writer(out, lineterminator="\n", reversible=True)
    writer.writerow(CSV_HEADER)
    writer.writerow(_csv_line("map", name=spec.name))
    writer.writerows(_csv_line("level", code=lv.code, name=lv.name) for lv in spec.levels)
    writer.writerows(
        _csv_line("section", code=s.code, name=s.name, level=s.level) for s in spec.sections
    )
    writer.writerows(
        _csv_line(
            "seat",
            code=key,
            section=seat.section,
            row=seat.row,
            number=seat.number,
            x=repr(float(seat.x)),
            y=repr(float(seat.y)),
            attributes=";".join(sorted(seat.attributes)),
        )
        for seat, key in zip(spec.seats, _seat_keys(spec), strict=True)
    )
    writer.writerows(
        _csv_line("ga", code=a.code, name=a.name, level=a.level or "", capacity=a.capacity)
        for a in spec.ga_areas
    )
    return out.getvalue()

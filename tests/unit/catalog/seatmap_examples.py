"""The seat-map format's documented example (JSON, CSV and the spec both read to) and the helpers
the format tests vary it and read a parser's problems with; shared by the reading and writing
tests and the error tests."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from admit.catalog.seatmap_format import CSV_HEADER, SeatMapFormatError
from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec

HEADER = ",".join(CSV_HEADER)

EXAMPLE_JSON = """{"format": "admit-seatmap/1", "name": "Main hall",
 "levels": [{"code": "L1", "name": "Lower tier"}],
 "sections": [{"code": "112", "name": "Section 112", "level": "L1"}],
 "seats": [
  {"section": "112", "row": "A", "number": "1", "x": 10.5, "y": 20,
   "attributes": ["accessible"]},
  {"section": "112", "row": "A", "number": "2", "x": 11.5, "y": 20, "key": "GATE-7"}
 ],
 "ga_areas": [{"code": "FLOOR", "name": "Floor", "capacity": 2000, "level": "L1"}]}
"""

EXAMPLE_SPEC = SeatMapSpec(
    name="Main hall",
    levels=(LevelSpec("L1", "Lower tier"),),
    sections=(SectionSpec("112", "Section 112", "L1"),),
    seats=(
        SeatSpec("112", "A", "1", 10.5, 20.0, frozenset({"accessible"}), "L1-112-A-1"),
        SeatSpec("112", "A", "2", 11.5, 20.0, frozenset(), "GATE-7"),
    ),
    ga_areas=(GAAreaSpec("FLOOR", "Floor", 2000, "L1"),),
)

EXAMPLE_CSV = f"""{HEADER}
map,,Main hall,,,,,,,,
level,L1,Lower tier,,,,,,,,
section,112,Section 112,L1,,,,,,,
seat,,,,112,A,1,10.5,20,accessible,
seat,GATE-7,,,112,A,2,11.5,20,,
ga,FLOOR,Floor,L1,,,,,,,2000
"""


def _json_doc(**changes: object) -> str:
    document = json.loads(EXAMPLE_JSON)
    document.update(changes)
    return json.dumps(document)


def _problems(data: str, parse: Callable[[str], SeatMapSpec]) -> list[dict[str, str]]:
    with pytest.raises(SeatMapFormatError) as info:
        parse(data)
    details: list[dict[str, str]] = info.value.details
    return details


def _seat(**fields: object) -> dict[str, object]:
    seat: dict[str, object] = {"section": "112", "row": "B", "number": "1", "x": 1.0, "y": 2.0}
    seat.update(fields)
    return seat

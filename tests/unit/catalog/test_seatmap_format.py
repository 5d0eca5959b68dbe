"""Seat-map JSON and CSV: exact parsing, exact writing, round trips and every error case."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admit.catalog import seatmap_validate
from admit.catalog.seatmap_format import (
    CSV_HEADER,
    SeatMapFormatError,
    auto_detect,
    parse_csv,
    parse_json,
    to_csv,
    to_json,
)
from admit.catalog.seatmap_generators import cinema_hall, stadium_bowl
from admit.catalog.seatmap_spec import (
    SEAT_ATTRIBUTES,
    GAAreaSpec,
    LevelSpec,
    SeatMapSpec,
    SeatSpec,
    SectionSpec,
)
from admit.catalog.seatmap_validate import validate_spec
from admit.core.errors import InvalidInput

HEADER = ",".join(CSV_HEADER)
UNKNOWN_VIP = "unknown attribute 'vip' (allowed: accessible, obstructed, damaged, removed)"

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


# --- reading -------------------------------------------------------------------------------


def test_parse_json_reads_the_documented_example_and_derives_missing_keys() -> None:
    assert parse_json(EXAMPLE_JSON) == EXAMPLE_SPEC
    assert parse_json(EXAMPLE_JSON.encode()) == EXAMPLE_SPEC


def test_parse_json_treats_an_empty_key_as_derived_and_null_ga_level_as_none() -> None:
    document = json.loads(EXAMPLE_JSON)
    document["seats"][1]["key"] = ""
    document["ga_areas"][0]["level"] = None
    spec = parse_json(json.dumps(document))
    assert spec.seats[1].key == "L1-112-A-2"
    assert spec.ga_areas == (GAAreaSpec("FLOOR", "Floor", 2000, None),)


def test_parse_csv_reads_the_documented_example() -> None:
    assert parse_csv(EXAMPLE_CSV) == EXAMPLE_SPEC
    assert parse_csv(EXAMPLE_CSV.encode()) == EXAMPLE_SPEC


def test_parse_csv_accepts_bom_crlf_blank_rows_and_spaced_attributes() -> None:
    text = EXAMPLE_CSV.replace("\n", "\r\n").replace("accessible,", " accessible ;,")
    data = b"\xef\xbb\xbf" + (text + "\r\n,,,,,,,,,,\r\n").encode()
    assert parse_csv(data) == EXAMPLE_SPEC


def test_parse_json_accepts_a_bom() -> None:
    assert parse_json(b"\xef\xbb\xbf" + EXAMPLE_JSON.encode()) == EXAMPLE_SPEC


def test_a_map_of_only_ga_areas_needs_no_level() -> None:
    data = '{"format": "admit-seatmap/1", "name": "Field", "ga_areas": [{"code": "F", '
    data += '"name": "Field", "capacity": 0}]}'
    assert parse_json(data) == SeatMapSpec("Field", (), (), (), (GAAreaSpec("F", "Field", 0),))


# --- writing and round trips ---------------------------------------------------------------


def test_to_json_writes_one_record_per_line_with_explicit_keys() -> None:
    assert to_json(EXAMPLE_SPEC) == (
        "{\n"
        ' "format": "admit-seatmap/1",\n'
        ' "name": "Main hall",\n'
        ' "levels": [\n'
        '  {"code": "L1", "name": "Lower tier"}\n'
        " ],\n"
        ' "sections": [\n'
        '  {"code": "112", "name": "Section 112", "level": "L1"}\n'
        " ],\n"
        ' "seats": [\n'
        '  {"key": "L1-112-A-1", "section": "112", "row": "A", "number": "1", "x": 10.5, '
        '"y": 20.0, "attributes": ["accessible"]},\n'
        '  {"key": "GATE-7", "section": "112", "row": "A", "number": "2", "x": 11.5, '
        '"y": 20.0}\n'
        " ],\n"
        ' "ga_areas": [\n'
        '  {"code": "FLOOR", "name": "Floor", "capacity": 2000, "level": "L1"}\n'
        " ]\n"
        "}\n"
    )


def test_to_csv_writes_the_header_map_and_explicit_keys() -> None:
    assert to_csv(EXAMPLE_SPEC) == (
        f"{HEADER}\n"
        "map,,Main hall,,,,,,,,\n"
        "level,L1,Lower tier,,,,,,,,\n"
        "section,112,Section 112,L1,,,,,,,\n"
        "seat,L1-112-A-1,,,112,A,1,10.5,20.0,accessible,\n"
        "seat,GATE-7,,,112,A,2,11.5,20.0,,\n"
        "ga,FLOOR,Floor,L1,,,,,,,2000\n"
    )


def test_writers_derive_keys_left_empty_and_sort_attributes() -> None:
    seat = SeatSpec("112", "A", "1", 1.0, 2.0, frozenset({"removed", "accessible"}))
    spec = SeatMapSpec("M", EXAMPLE_SPEC.levels, EXAMPLE_SPEC.sections, (seat,))
    assert '"key": "L1-112-A-1"' in to_json(spec)
    assert '"attributes": ["accessible", "removed"]' in to_json(spec)
    assert "seat,L1-112-A-1,,,112,A,1,1.0,2.0,accessible;removed,\n" in to_csv(spec)
    assert parse_json(to_json(spec)) == validate_spec(spec)


def test_names_with_commas_quotes_and_non_ascii_round_trip() -> None:
    spec = SeatMapSpec(
        name='Salle "Pleyel", Paris — 1er',
        levels=(LevelSpec("L1", "Orchestre; parterre"),),
        sections=(SectionSpec("S.1", "Côté jardin", "L1"),),
        seats=(SeatSpec("S.1", "Ä", "1bis", -0.5, 1e-7, frozenset(), "L1-S.1-Ä-1bis"),),
    )
    assert parse_json(to_json(spec)) == spec
    assert parse_csv(to_csv(spec)) == spec
    assert parse_json(to_json(spec).encode()) == spec


@pytest.mark.parametrize("build", [cinema_hall, stadium_bowl])
def test_generated_maps_round_trip_through_json_and_csv(build: Callable[[], SeatMapSpec]) -> None:
    spec = build()
    assert parse_json(to_json(spec)) == spec
    assert parse_csv(to_csv(spec)) == spec


def test_auto_detect_uses_the_extension_then_the_first_character() -> None:
    json_bytes, csv_bytes = EXAMPLE_JSON.encode(), EXAMPLE_CSV.encode()
    assert auto_detect(json_bytes, "hall.JSON") == EXAMPLE_SPEC
    assert auto_detect(csv_bytes, "C:\\maps\\hall.csv") == EXAMPLE_SPEC
    assert auto_detect(b"\xef\xbb\xbf \n\t" + json_bytes, None) == EXAMPLE_SPEC
    assert auto_detect(csv_bytes, "upload") == EXAMPLE_SPEC
    assert auto_detect(json_bytes, "hall.txt") == EXAMPLE_SPEC
    with pytest.raises(SeatMapFormatError, match="^line 1: header must be"):
        auto_detect(json_bytes, "hall.csv")


_CODES = st.from_regex(r"[A-Za-z0-9_.]{1,6}", fullmatch=True)
_LABELS = st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=4).filter(
    lambda s: "-" not in s
)
_NAMES = st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=12).filter(
    str.strip
)
_COORDS = st.floats(allow_nan=False, allow_infinity=False)
_ATTRIBUTES = st.frozensets(st.sampled_from(SEAT_ATTRIBUTES))


@st.composite
def _small_specs(draw: st.DrawFn) -> SeatMapSpec:
    level_codes = draw(st.lists(_CODES, min_size=1, max_size=3, unique=True))
    section_codes = draw(st.lists(_CODES, min_size=1, max_size=3, unique=True))
    ga_codes = draw(
        st.lists(_CODES.filter(lambda c: c not in section_codes), max_size=2, unique=True)
    )
    places = draw(
        st.lists(
            st.tuples(st.sampled_from(section_codes), _LABELS, _LABELS),
            min_size=0 if ga_codes else 1,
            max_size=8,
            unique=True,
        )
    )
    seats = tuple(
        SeatSpec(s, row, number, draw(_COORDS), draw(_COORDS), draw(_ATTRIBUTES))
        for s, row, number in places
    )
    spec = SeatMapSpec(
        name=draw(_NAMES),
        levels=tuple(LevelSpec(code, draw(_NAMES)) for code in level_codes),
        sections=tuple(
            SectionSpec(code, draw(_NAMES), draw(st.sampled_from(level_codes)))
            for code in section_codes
        ),
        seats=seats,
        ga_areas=tuple(
            GAAreaSpec(
                code,
                draw(_NAMES),
                draw(st.integers(0, 1_000_000)),
                draw(st.none() | st.sampled_from(level_codes)),
            )
            for code in ga_codes
        ),
    )
    return validate_spec(spec)


@settings(max_examples=150, deadline=None)
@given(_small_specs())
def test_any_valid_spec_round_trips_through_json_and_csv(spec: SeatMapSpec) -> None:
    assert parse_json(to_json(spec)) == spec
    assert parse_csv(to_csv(spec)) == spec


# --- errors --------------------------------------------------------------------------------


def test_the_error_is_invalid_input_with_its_own_code() -> None:
    with pytest.raises(SeatMapFormatError) as info:
        parse_json("[]")
    error = info.value
    assert isinstance(error, InvalidInput)
    assert (error.code, error.status) == ("invalid_seatmap", 400)
    assert error.message == "document: must be a JSON object"
    assert error.details == [{"where": "document", "problem": "must be a JSON object"}]


def test_malformed_json_names_line_and_column() -> None:
    data = '{"format": "admit-seatmap/1",\n "name": "x",, }'
    with pytest.raises(SeatMapFormatError) as info:
        parse_json(data)
    assert info.value.message == (
        "line 2 column 14: Expecting property name enclosed in double quotes"
    )


def test_json_duplicate_seat_keys_name_both_positions() -> None:
    data = _json_doc(seats=[_seat(), _seat(x=5.0), _seat(number="2", key="L1-112-B-1")])
    assert _problems(data, parse_json) == [
        {
            "where": "seats[1] (L1-112-B-1)",
            "problem": "duplicate seat key L1-112-B-1, also at seats[0]",
        },
        {
            "where": "seats[2] (L1-112-B-1)",
            "problem": "duplicate seat key L1-112-B-1, also at seats[0]",
        },
    ]


def test_json_unknown_section_names_the_seat() -> None:
    data = _json_doc(seats=[_seat(section="113"), _seat(section="113", key="K-1")])
    assert _problems(data, parse_json) == [
        {"where": "seats[0]", "problem": "unknown section '113'"},
        {"where": "seats[1] (K-1)", "problem": "unknown section '113'"},
    ]


def test_json_structural_errors_are_all_collected() -> None:
    data = _json_doc(
        format="admit-seatmap/2",
        extra=True,
        levels=[{"code": "L1", "name": "A"}, {"code": "L1", "name": "B"}, {"code": "L-2"}],
        sections=[
            {"code": "112", "name": "S", "level": "L1"},
            {"code": "FLOOR", "name": "F", "level": "L9"},
            "nope",
        ],
        seats=[
            _seat(attributes=["vip", "accessible"]),
            _seat(number="2", x=float("nan"), y=True),
            _seat(number="3", x="1", row="B-1", colour="red"),
        ],
        ga_areas=[{"code": "FLOOR", "name": " ", "capacity": -3, "level": "L7"}],
    )
    assert _problems(data, parse_json) == [
        {"where": "extra", "problem": "unexpected field"},
        {"where": "format", "problem": "must be 'admit-seatmap/1', got 'admit-seatmap/2'"},
        {"where": "sections[2]", "problem": "must be an object"},
        {"where": "levels[1]", "problem": "duplicate level code L1, also at levels[0]"},
        {"where": "levels[2]", "problem": "invalid code 'L-2' (1-20 letters, digits, '_' or '.')"},
        {"where": "levels[2]", "problem": "missing name"},
        {"where": "sections[1]", "problem": "unknown level 'L9'"},
        {
            "where": "ga_areas[0]",
            "problem": "invalid name ' ' (1-200 characters, not blank, no control characters)",
        },
        {"where": "ga_areas[0]", "problem": "negative capacity -3"},
        {"where": "ga_areas[0]", "problem": "unknown level 'L7'"},
        {"where": "ga_areas[0]", "problem": "duplicate code FLOOR, also at sections[1]"},
        {"where": "seats[0] (L1-112-B-1)", "problem": UNKNOWN_VIP},
        {"where": "seats[1] (L1-112-B-2)", "problem": "x must be a finite number, got nan"},
        {"where": "seats[1] (L1-112-B-2)", "problem": "y must be a number"},
        {"where": "seats[2]", "problem": "unexpected field 'colour'"},
        {"where": "seats[2]", "problem": "invalid row 'B-1' (1-20 characters, no '-' or spaces)"},
        {"where": "seats[2]", "problem": "x must be a number"},
    ]


def test_json_capacity_must_be_a_non_negative_integer() -> None:
    areas = [
        {"code": "A", "name": "A", "capacity": -1},
        {"code": "B", "name": "B", "capacity": 2.5},
        {"code": "C", "name": "C", "capacity": False},
        {"code": "D", "name": "D"},
        {"code": "E", "name": "E", "capacity": 1_000_001},
    ]
    assert _problems(_json_doc(ga_areas=areas), parse_json) == [
        {"where": "ga_areas[0]", "problem": "negative capacity -1"},
        {"where": "ga_areas[1]", "problem": "capacity must be an integer"},
        {"where": "ga_areas[2]", "problem": "capacity must be an integer"},
        {"where": "ga_areas[3]", "problem": "missing capacity"},
        {"where": "ga_areas[4]", "problem": "capacity 1000001 above 1000000"},
    ]


def test_json_lists_and_format_must_be_present_and_shaped() -> None:
    data = '{"name": "M", "seats": {}, "levels": 3}'
    assert _problems(data, parse_json) == [
        {"where": "format", "problem": "must be 'admit-seatmap/1', it is missing"},
        {"where": "levels", "problem": "must be a list"},
        {"where": "seats", "problem": "must be a list"},
        {"where": "document", "problem": "no seats and no GA areas"},
    ]


def test_too_many_seats_is_one_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seatmap_validate, "MAX_SEATS", 2)
    data = _json_doc(seats=[_seat(number=str(n)) for n in range(1, 5)])
    assert _problems(data, parse_json) == [
        {"where": "seats[2]", "problem": "too many seats: 4 (at most 2)"}
    ]


def test_problems_are_capped_and_the_message_counts_the_rest() -> None:
    data = _json_doc(seats=[_seat(number=str(n), section="X") for n in range(60)])
    with pytest.raises(SeatMapFormatError) as info:
        parse_json(data)
    error = info.value
    assert len(error.details) == 50
    assert error.total == 60
    assert error.message == (
        "seats[0]: unknown section 'X'; seats[1]: unknown section 'X'; "
        "seats[2]: unknown section 'X' (and 57 more)"
    )


def test_undecodable_bytes_name_the_line() -> None:
    data = EXAMPLE_CSV.replace("Lower tier", "Lower \udcff").encode("utf-8", "surrogateescape")
    assert data.index(b"\xff") == 104
    with pytest.raises(
        SeatMapFormatError, match=r"^line 3: not valid UTF-8 \(byte 105 of the file\)$"
    ):
        parse_csv(data)
    with pytest.raises(SeatMapFormatError, match=r"^line 1: not valid UTF-8"):
        parse_json(b'{"name": "\xff"}')


def test_csv_wrong_or_missing_header_stops_at_line_1() -> None:
    assert _problems("record,code,name\nmap,,M\n", parse_csv) == [
        {
            "where": "line 1",
            "problem": f"header must be {HEADER}; got 'record,code,name'",
        }
    ]
    assert _problems("", parse_csv) == [
        {"where": "line 1", "problem": f"header must be {HEADER}; got nothing"}
    ]


def test_csv_malformed_quoting_names_the_line() -> None:
    data = f'{HEADER}\nmap,,M,,,,,,,,\nlevel,L1,"Lower" tier,,,,,,,,\n'
    assert _problems(data, parse_csv) == [
        {"where": "line 3", "problem": "malformed CSV: ',' expected after '\"'"}
    ]


def test_csv_duplicate_seat_keys_name_both_lines() -> None:
    data = EXAMPLE_CSV + "seat,,,,112,A,1,3,4,,\nseat,L1-112-A-1,,,112,Z,9,3,4,,\n"
    assert _problems(data, parse_csv) == [
        {
            "where": "line 8 (L1-112-A-1)",
            "problem": "duplicate seat key L1-112-A-1, also at line 5",
        },
        {
            "where": "line 9 (L1-112-A-1)",
            "problem": "duplicate seat key L1-112-A-1, also at line 5",
        },
    ]


def test_csv_row_problems_name_their_lines() -> None:
    data = (
        f"{HEADER}\n"
        "map,,M,,,,,,,,\n"
        "level,L1,A,,,,,,,,\n"
        "section,112,S,L1,,,,,,,\n"
        "seat,,,,112,A,1,abc,2,,\n"
        "seat,,,,113,A,2,1,2,,\n"
        "seat,,,,112,A,3,1,2,vip;obstructed,\n"
        "seat,,,,112,A,4,1,2\n"
        "box,B1,Box,,,,,,,,\n"
        "map,,Again,,,,,,,,\n"
        "ga,FLOOR,Floor,,,,,,,,-5\n"
        "ga,PIT,Pit,,,,,,,,many\n"
        "level,L2,B,,,,1,,,,\n"
    )
    assert _problems(data, parse_csv) == [
        {"where": "line 8", "problem": "expected 11 columns, got 9"},
        {
            "where": "line 9",
            "problem": "unknown record type 'box' (expected one of map, level, section, seat, ga)",
        },
        {"where": "line 10", "problem": "second map record, also at line 2"},
        {"where": "line 13", "problem": "unexpected field 'number'"},
        {"where": "line 11", "problem": "negative capacity -5"},
        {"where": "line 12", "problem": "capacity is not an integer: 'many'"},
        {"where": "line 5 (L1-112-A-1)", "problem": "x is not a number: 'abc'"},
        {"where": "line 6", "problem": "unknown section '113'"},
        {"where": "line 7 (L1-112-A-3)", "problem": UNKNOWN_VIP},
    ]


def test_csv_counts_lines_of_multi_line_records() -> None:
    data = f'{HEADER}\nmap,,M,,,,,,,,\nlevel,L1,"Two\nlines",,,,,,,,\nlevel,L-2,B,,,,,,,,\n'
    assert _problems(data, parse_csv) == [
        {
            "where": "line 3",
            "problem": "invalid name 'Two\\nlines' "
            "(1-200 characters, not blank, no control characters)",
        },
        {"where": "line 5", "problem": "invalid code 'L-2' (1-20 letters, digits, '_' or '.')"},
        {"where": "line 2", "problem": "no seats and no GA areas"},
    ]


def test_csv_map_record_must_come_first_and_exist() -> None:
    late = f"{HEADER}\nga,F,Floor,,,,,,,,10\nmap,,M,,,,,,,,\n"
    assert _problems(late, parse_csv) == [
        {"where": "line 3", "problem": "the map record must be the first data row"}
    ]
    missing = f"{HEADER}\n\nga,F,Floor,,,,,,,,10\n"
    assert _problems(missing, parse_csv) == [{"where": "line 3", "problem": "missing map record"}]

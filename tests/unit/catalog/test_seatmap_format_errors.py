"""Seat-map JSON and CSV: every error case, each named by its line (and column) and collected
rather than stopping at the first, up to a cap."""

from __future__ import annotations

import pytest

from admit.catalog import seatmap_validate
from admit.catalog.seatmap_format import SeatMapFormatError, parse_csv, parse_json
from admit.core.errors import InvalidInput
from tests.unit.catalog.seatmap_examples import EXAMPLE_CSV, HEADER, _json_doc, _problems, _seat

UNKNOWN_VIP = "unknown attribute 'vip' (allowed: accessible, obstructed, damaged, removed)"


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

"""Seat-map JSON and CSV: exact parsing, exact writing, auto-detection and round trips (the
documented example, generated maps and any valid spec)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admit.catalog.seatmap_format import (
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
from tests.unit.catalog.seatmap_examples import EXAMPLE_CSV, EXAMPLE_JSON, EXAMPLE_SPEC, HEADER


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

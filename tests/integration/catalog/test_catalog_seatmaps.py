"""Seat map import (JSON and CSV) and export through the admin API: all or nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from catalog_factories import ADMIN, CSV, JSON, audit_log, error, make_venue, ok

from admit.catalog.seatmap_format import to_csv, to_json
from admit.catalog.seatmap_generators import cinema_hall

# Two levels, a seat with its own key, physical attributes and two GA areas (one on no level).
RICH_MAP = """\
{"format": "admit-seatmap/1", "name": "Main hall",
 "levels": [{"code": "L1", "name": "Lower tier"}, {"code": "L2", "name": "Balcony"}],
 "sections": [{"code": "112", "name": "Section 112", "level": "L1"},
              {"code": "B", "name": "Balcony", "level": "L2"}],
 "seats": [
  {"section": "112", "row": "A", "number": "1", "x": 10.5, "y": 20, "attributes": ["accessible"]},
  {"section": "112", "row": "A", "number": "2", "x": 11.5, "y": 20, "key": "GATE-7"},
  {"section": "B", "row": "1", "number": "1bis", "x": 0.1, "y": -3.25,
   "attributes": ["removed", "obstructed"]},
  {"section": "B", "row": "1", "number": "2", "x": 1e-05, "y": 7, "attributes": ["damaged"]}
 ],
 "ga_areas": [{"code": "FLOOR", "name": "Floor", "capacity": 2000, "level": "L1"},
              {"code": "TERR", "name": "Terrace", "capacity": 0}]}
"""

RICH_MAP_JSON_EXPORT = """\
{
 "format": "admit-seatmap/1",
 "name": "Main hall",
 "levels": [
  {"code": "L1", "name": "Lower tier"},
  {"code": "L2", "name": "Balcony"}
 ],
 "sections": [
  {"code": "112", "name": "Section 112", "level": "L1"},
  {"code": "B", "name": "Balcony", "level": "L2"}
 ],
 "seats": [
  {"key": "L1-112-A-1", "section": "112", "row": "A", "number": "1", "x": 10.5, "y": 20.0, \
"attributes": ["accessible"]},
  {"key": "GATE-7", "section": "112", "row": "A", "number": "2", "x": 11.5, "y": 20.0},
  {"key": "L2-B-1-1bis", "section": "B", "row": "1", "number": "1bis", "x": 0.1, "y": -3.25, \
"attributes": ["obstructed", "removed"]},
  {"key": "L2-B-1-2", "section": "B", "row": "1", "number": "2", "x": 1e-05, "y": 7.0, \
"attributes": ["damaged"]}
 ],
 "ga_areas": [
  {"code": "FLOOR", "name": "Floor", "capacity": 2000, "level": "L1"},
  {"code": "TERR", "name": "Terrace", "capacity": 0}
 ]
}
"""

RICH_MAP_CSV_EXPORT = """\
record,code,name,level,section,row,number,x,y,attributes,capacity
map,,Main hall,,,,,,,,
level,L1,Lower tier,,,,,,,,
level,L2,Balcony,,,,,,,,
section,112,Section 112,L1,,,,,,,
section,B,Balcony,L2,,,,,,,
seat,L1-112-A-1,,,112,A,1,10.5,20.0,accessible,
seat,GATE-7,,,112,A,2,11.5,20.0,,
seat,L2-B-1-1bis,,,B,1,1bis,0.1,-3.25,obstructed;removed,
seat,L2-B-1-2,,,B,1,2,1e-05,7.0,damaged,
ga,FLOOR,Floor,L1,,,,,,,2000
ga,TERR,Terrace,,,,,,,,0
"""

SMALL_CSV = """\
record,code,name,level,section,row,number,x,y,attributes,capacity
map,,Studio,,,,,,,,
level,L1,Stalls,,,,,,,,
section,HALL,Hall,L1,,,,,,,
seat,,,,HALL,A,1,10,30,accessible,
seat,,,,HALL,A,2,20,30,,
ga,FLOOR,Floor,,,,,,,,150
"""


def _json_map(seats: list[dict[str, Any]], ga_areas: list[dict[str, Any]] | None = None) -> str:
    return json.dumps(
        {
            "format": "admit-seatmap/1",
            "name": "Small",
            "levels": [{"code": "L1", "name": "Stalls"}],
            "sections": [{"code": "HALL", "name": "Hall", "level": "L1"}],
            "seats": seats,
            "ga_areas": ga_areas or [],
        }
    )


def _seat(row: str, number: str, section: str = "HALL") -> dict[str, Any]:
    return {"section": section, "row": row, "number": number, "x": 0, "y": 0}


async def _post_map(
    admin: httpx.AsyncClient, venue_id: int, document: str, headers: dict[str, str]
) -> httpx.Response:
    return await admin.post(
        f"{ADMIN}/venues/{venue_id}/seatmaps", content=document.encode(), headers=headers
    )


async def _export(admin: httpx.AsyncClient, seat_map_id: int, fmt: str = "json") -> str:
    response = await admin.get(f"{ADMIN}/seatmaps/{seat_map_id}/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    return response.text


# -- successful imports ----------------------------------------------------------------------


async def test_a_json_map_is_imported(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)

    seat_map = ok(await _post_map(admin, venue_id, RICH_MAP, JSON), 201)

    assert seat_map == {
        "id": seat_map["id"],
        "venue_id": venue_id,
        "name": "Main hall",
        "version": 1,
        "seat_count": 4,
        "ga_capacity": 2000,
    }
    assert ok(await admin.get(f"{ADMIN}/seatmaps/{seat_map['id']}")) == seat_map


async def test_a_csv_map_is_imported(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)

    seat_map = ok(await _post_map(admin, venue_id, SMALL_CSV, CSV), 201)

    assert seat_map == {
        "id": seat_map["id"],
        "venue_id": venue_id,
        "name": "Studio",
        "version": 1,
        "seat_count": 2,
        "ga_capacity": 150,
    }
    assert await _export(admin, seat_map["id"], "csv") == SMALL_CSV.replace(
        "seat,,,,HALL,A,1,10,30,", "seat,L1-HALL-A-1,,,HALL,A,1,10.0,30.0,"
    ).replace("seat,,,,HALL,A,2,20,30,", "seat,L1-HALL-A-2,,,HALL,A,2,20.0,30.0,")


async def test_a_generated_cinema_is_imported_and_exported_unchanged(
    admin: httpx.AsyncClient,
) -> None:
    venue_id = await make_venue(admin)
    document = to_json(cinema_hall(rows=3, seats_per_row=4))

    seat_map = ok(await _post_map(admin, venue_id, document, JSON), 201)

    assert (seat_map["name"], seat_map["seat_count"], seat_map["ga_capacity"]) == ("Hall 1", 12, 0)
    assert await _export(admin, seat_map["id"]) == document


async def test_a_venue_may_have_several_maps(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)

    first = ok(await _post_map(admin, venue_id, RICH_MAP, JSON), 201)
    second = ok(await _post_map(admin, venue_id, SMALL_CSV, CSV), 201)

    assert second["id"] != first["id"]
    assert await _export(admin, first["id"]) == RICH_MAP_JSON_EXPORT
    assert await _export(admin, second["id"], "csv") != await _export(admin, first["id"], "csv")


# -- round trips -----------------------------------------------------------------------------


async def test_a_json_export_reimports_to_the_same_export(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)
    first = ok(await _post_map(admin, venue_id, RICH_MAP, JSON), 201)
    exported = await _export(admin, first["id"])
    assert exported == RICH_MAP_JSON_EXPORT

    again = ok(await _post_map(admin, venue_id, exported, JSON), 201)

    assert await _export(admin, again["id"]) == exported
    assert {k: v for k, v in again.items() if k != "id"} == {
        k: v for k, v in first.items() if k != "id"
    }


async def test_a_csv_export_reimports_to_the_same_export(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)
    first = ok(await _post_map(admin, venue_id, RICH_MAP, JSON), 201)
    exported = await _export(admin, first["id"], "csv")
    assert exported == RICH_MAP_CSV_EXPORT

    again = ok(await _post_map(admin, venue_id, exported, CSV), 201)

    assert await _export(admin, again["id"], "csv") == exported
    assert await _export(admin, again["id"]) == RICH_MAP_JSON_EXPORT


async def test_the_export_has_the_content_type_of_its_format(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)
    seat_map = ok(await _post_map(admin, venue_id, SMALL_CSV, CSV), 201)
    url = f"{ADMIN}/seatmaps/{seat_map['id']}/export"

    as_json = await admin.get(url)
    as_csv = await admin.get(url, params={"format": "csv"})

    assert as_json.headers["content-type"] == "application/json"
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    error(await admin.get(url, params={"format": "xml"}), 422, "invalid_request")


async def test_a_generated_map_survives_both_formats(admin: httpx.AsyncClient) -> None:
    spec = cinema_hall(rows=2, seats_per_row=3)
    venue_id = await make_venue(admin)
    from_csv = ok(await _post_map(admin, venue_id, to_csv(spec), CSV), 201)

    assert await _export(admin, from_csv["id"], "csv") == to_csv(spec)
    assert await _export(admin, from_csv["id"]) == to_json(spec)


# -- refusals --------------------------------------------------------------------------------

BAD_HEADER = (
    "header must be record,code,name,level,section,row,number,x,y,attributes,capacity; "
    "got 'record,code,name,level,section,row,number,x,y'"
)

REFUSALS = [
    pytest.param(
        _json_map([_seat("A", "1"), _seat("A", "1")]),
        JSON,
        "seats[1] (L1-HALL-A-1): duplicate seat key L1-HALL-A-1, also at seats[0]",
        [
            {
                "where": "seats[1] (L1-HALL-A-1)",
                "problem": "duplicate seat key L1-HALL-A-1, also at seats[0]",
            }
        ],
        id="json-duplicate-seat",
    ),
    pytest.param(
        _json_map([_seat("A", "1"), _seat("A", "2", section="BALC")]),
        JSON,
        "seats[1]: unknown section 'BALC'",
        [{"where": "seats[1]", "problem": "unknown section 'BALC'"}],
        id="json-unknown-section",
    ),
    pytest.param(
        _json_map([_seat("A", "1")], [{"code": "FLOOR", "name": "Floor", "capacity": -5}]),
        JSON,
        "ga_areas[0]: negative capacity -5",
        [{"where": "ga_areas[0]", "problem": "negative capacity -5"}],
        id="json-negative-capacity",
    ),
    pytest.param(
        '{"format": "admit-seatmap/1", "name": "Small",\n "levels": [}',
        JSON,
        "line 2 column 13: Expecting value",
        [{"where": "line 2 column 13", "problem": "Expecting value"}],
        id="json-malformed",
    ),
    pytest.param(
        SMALL_CSV + "seat,,,,HALL,A,2,30,30,,\n",
        CSV,
        "line 8 (L1-HALL-A-2): duplicate seat key L1-HALL-A-2, also at line 6",
        [
            {
                "where": "line 8 (L1-HALL-A-2)",
                "problem": "duplicate seat key L1-HALL-A-2, also at line 6",
            }
        ],
        id="csv-duplicate-seat",
    ),
    pytest.param(
        SMALL_CSV + "seat,,,,BALC,A,3,30,30,,\n",
        CSV,
        "line 8: unknown section 'BALC'",
        [{"where": "line 8", "problem": "unknown section 'BALC'"}],
        id="csv-unknown-section",
    ),
    pytest.param(
        SMALL_CSV.replace(",150\n", ",-150\n"),
        CSV,
        "line 7: negative capacity -150",
        [{"where": "line 7", "problem": "negative capacity -150"}],
        id="csv-negative-capacity",
    ),
    pytest.param(
        SMALL_CSV + 'seat,,,,HALL,"B,1,10,40,,\n',
        CSV,
        "line 8: malformed CSV: unexpected end of data",
        [{"where": "line 8", "problem": "malformed CSV: unexpected end of data"}],
        id="csv-broken-quote",
    ),
    pytest.param(
        SMALL_CSV + "seat,,,,HALL,B,1\n",
        CSV,
        "line 8: expected 11 columns, got 7",
        [{"where": "line 8", "problem": "expected 11 columns, got 7"}],
        id="csv-short-line",
    ),
    pytest.param(
        SMALL_CSV.replace(",attributes,capacity\n", "\n", 1),
        CSV,
        f"line 1: {BAD_HEADER}",
        [{"where": "line 1", "problem": BAD_HEADER}],
        id="csv-header",
    ),
]


@pytest.mark.parametrize(("document", "headers", "message", "details"), REFUSALS)
async def test_a_broken_map_is_refused_and_nothing_is_stored(
    admin: httpx.AsyncClient,
    document: str,
    headers: dict[str, str],
    message: str,
    details: list[dict[str, str]],
) -> None:
    venue_id = await make_venue(admin)
    venues = ok(await admin.get(f"{ADMIN}/venues"))
    log = await audit_log(admin)

    body = error(await _post_map(admin, venue_id, document, headers), 400, "invalid_seatmap")

    assert body["message"] == message
    assert body["details"] == details
    assert ok(await admin.get(f"{ADMIN}/venues")) == venues
    assert await audit_log(admin) == log
    error(await admin.get(f"{ADMIN}/seatmaps/1"), 404, "not_found")
    error(await admin.get(f"{ADMIN}/seatmaps/1/export"), 404, "not_found")


async def test_every_problem_of_a_map_is_reported(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)
    document = _json_map(
        [_seat("A", "1"), _seat("A", "1"), _seat("A", "2", section="BALC"), _seat("A-1", "3")],
        [{"code": "FLOOR", "name": "Floor", "capacity": -1}],
    )

    body = error(await _post_map(admin, venue_id, document, JSON), 400, "invalid_seatmap")

    assert body["details"] == [
        {"where": "ga_areas[0]", "problem": "negative capacity -1"},
        {
            "where": "seats[1] (L1-HALL-A-1)",
            "problem": "duplicate seat key L1-HALL-A-1, also at seats[0]",
        },
        {"where": "seats[2]", "problem": "unknown section 'BALC'"},
        {"where": "seats[3]", "problem": "invalid row 'A-1' (1-20 characters, no '-' or spaces)"},
    ]
    assert body["message"] == (
        "ga_areas[0]: negative capacity -1; seats[1] (L1-HALL-A-1): duplicate seat key "
        "L1-HALL-A-1, also at seats[0]; seats[2]: unknown section 'BALC' (and 1 more)"
    )
    error(await admin.get(f"{ADMIN}/seatmaps/1"), 404, "not_found")


async def test_a_map_for_an_unknown_venue_is_not_found(admin: httpx.AsyncClient) -> None:
    log = await audit_log(admin)

    response = await _post_map(admin, 999, SMALL_CSV, CSV)

    assert error(response, 404, "not_found")["message"] == "venue 999 does not exist"
    assert await audit_log(admin) == log
    error(await admin.get(f"{ADMIN}/seatmaps/1"), 404, "not_found")


async def test_an_unknown_map_cannot_be_exported(admin: httpx.AsyncClient) -> None:
    response = await admin.get(f"{ADMIN}/seatmaps/5/export")

    assert error(response, 404, "not_found")["message"] == "seat map 5 does not exist"

"""Public session search (words, typos, category, dates, venue) and session details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from catalog_factories import (
    ADMIN,
    error,
    import_map,
    make_event,
    make_organiser,
    make_venue,
    ok,
    schedule_session,
)

from admit.catalog.seatmap_generators import cinema_hall

FILM_AT = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
JAZZ_AT = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
MATCH_AT = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Programme:
    cinema: int
    stadium: int
    film: int
    jazz: int
    match: int


@pytest.fixture
async def programme(admin: httpx.AsyncClient) -> Programme:
    """A film and a concert at a 12-seat cinema, a football match at a 6-seat "stadium"."""
    organiser_id = await make_organiser(admin)
    cinema = await make_venue(admin, "CINE", "Grand Cinema")
    stadium = await make_venue(admin, "RIVER", "Riverside Stadium")
    cinema_map = (await import_map(admin, cinema, cinema_hall(rows=3, seats_per_row=4)))["id"]
    stadium_map = (await import_map(admin, stadium, cinema_hall(rows=2, seats_per_row=3)))["id"]
    film = await make_event(
        admin, organiser_id, "EV-FILM", "Night Film", "cinema", tags=["thriller"]
    )
    jazz = await make_event(
        admin, organiser_id, "EV-JAZZ", "Jazz Evening", "show", discipline="music"
    )
    match = await make_event(
        admin,
        organiser_id,
        "EV-CUP",
        "Cup Final",
        "sport",
        discipline="football",
        description="Rovers against United",
    )
    return Programme(
        cinema=cinema,
        stadium=stadium,
        film=await schedule_session(
            admin,
            event_id=film,
            venue_id=cinema,
            seat_map_id=cinema_map,
            code="FILM",
            starts_at=FILM_AT,
        ),
        jazz=await schedule_session(
            admin,
            event_id=jazz,
            venue_id=cinema,
            seat_map_id=cinema_map,
            code="JAZZ",
            starts_at=JAZZ_AT,
        ),
        match=await schedule_session(
            admin,
            event_id=match,
            venue_id=stadium,
            seat_map_id=stadium_map,
            code="CUP",
            starts_at=MATCH_AT,
        ),
    )


async def _found(client: httpx.AsyncClient, **params: Any) -> list[int]:
    results = ok(await client.get("/api/v1/sessions", params=params))
    return [r["session"]["id"] for r in results]


async def test_without_criteria_every_session_is_listed_by_start(
    client: httpx.AsyncClient, programme: Programme
) -> None:
    assert await _found(client) == [programme.film, programme.jazz, programme.match]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("night", ["film"]),
        ("NIGHT film", ["film"]),
        ("film night", ["film"]),
        ("night jazz", []),
        ("thriller", ["film"]),
        ("music", ["jazz"]),
        ("rovers", ["match"]),
        ("grand cinema", ["film", "jazz"]),
        ("riverside", ["match"]),
        ("riverside cup", ["match"]),
        ("footbal", ["match"]),
        ("fotball", ["match"]),
        ("Rivreside", ["match"]),
        ("jaz evenign", ["jazz"]),
        ("zebra", []),
    ],
)
async def test_sessions_are_found_by_words_of_event_and_venue_with_typos(
    client: httpx.AsyncClient, programme: Programme, q: str, expected: list[str]
) -> None:
    assert await _found(client, q=q) == [getattr(programme, name) for name in expected]


async def test_search_filters_by_category(client: httpx.AsyncClient, programme: Programme) -> None:
    assert await _found(client, category="cinema") == [programme.film]
    assert await _found(client, category="sport", q="cup") == [programme.match]
    assert await _found(client, category="attraction") == []
    error(
        await client.get("/api/v1/sessions", params={"category": "opera"}), 422, "invalid_request"
    )


async def test_search_filters_by_start_with_utc_offsets(
    client: httpx.AsyncClient, programme: Programme
) -> None:
    # 2026-12-02T00:00+08:00 is 2026-12-01T16:00Z (before the film at 19:30Z);
    # 2026-12-04T00:00+08:00 is 2026-12-03T16:00Z (before the concert at 20:00Z).
    window = {"from": "2026-12-02T00:00:00+08:00", "to": "2026-12-04T00:00:00+08:00"}

    assert await _found(client, **window) == [programme.film]
    assert await _found(client, **{"from": "2026-12-03T20:00:00Z"}) == [
        programme.jazz,
        programme.match,
    ]
    assert await _found(client, to="2026-12-03T20:00:00Z") == [programme.film]
    assert await _found(client, q="cinema", **{"from": "2026-12-02T00:00:00Z"}) == [programme.jazz]


@pytest.mark.parametrize("param", ["from", "to"])
async def test_a_date_without_offset_is_refused(
    client: httpx.AsyncClient, programme: Programme, param: str
) -> None:
    response = await client.get("/api/v1/sessions", params={param: "2026-12-02T00:00:00"})

    body = error(response, 400, "invalid_input")
    assert body["message"] == "from/to need a UTC offset, e.g. 2026-12-01T00:00:00Z"


async def test_search_filters_by_venue(client: httpx.AsyncClient, programme: Programme) -> None:
    assert await _found(client, venue_id=programme.cinema) == [programme.film, programme.jazz]
    assert await _found(client, venue_id=programme.stadium, q="fotball") == [programme.match]
    assert await _found(client, venue_id=999) == []


async def test_search_pages(client: httpx.AsyncClient, programme: Programme) -> None:
    assert await _found(client, limit=2) == [programme.film, programme.jazz]
    assert await _found(client, limit=2, offset=2) == [programme.match]


async def test_cancelled_sessions_are_not_found(
    admin: httpx.AsyncClient, programme: Programme
) -> None:
    ok(await admin.patch(f"{ADMIN}/sessions/{programme.jazz}", json={"status": "cancelled"}))

    assert await _found(admin) == [programme.film, programme.match]
    assert await _found(admin, q="jazz") == []


async def test_results_carry_remaining_places_and_lowest_price(
    admin: httpx.AsyncClient, programme: Programme
) -> None:
    levels = {
        "levels": [
            {"code": "A", "name": "Stalls", "prices": {"adult": 18000, "child": 9000}},
            {"code": "B", "name": "Back", "prices": {"adult": 12000}},
        ]
    }
    ok(await admin.put(f"{ADMIN}/sessions/{programme.film}/price-levels", json=levels))
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{programme.film}/plan/categories",
            json={"select": {"rows": [{"section": "HALL", "row": "A"}]}, "category": "occupied"},
        )
    )

    results = ok(await admin.get("/api/v1/sessions", params={"venue_id": programme.cinema}))

    assert [(r["remaining"], r["lowest_price"], r["currency"]) for r in results] == [
        (8, 9000, "CNY"),
        (12, None, None),
    ]
    film = results[0]
    assert film["session"] == {
        "id": programme.film,
        "event_id": film["event"]["id"],
        "venue_id": programme.cinema,
        "seat_map_id": film["session"]["seat_map_id"],
        "code": "FILM",
        "name": "",
        "starts_at": "2026-12-01T19:30:00Z",
        "ends_at": "2026-12-01T21:30:00Z",
        "status": "scheduled",
    }
    assert film["event"]["name"] == "Night Film"
    assert film["venue"] == {
        "id": programme.cinema,
        "code": "CINE",
        "name": "Grand Cinema",
        "address": "",
        "use": "",
        "capacity": 0,
    }


async def test_session_detail_shows_price_levels_and_counts(
    admin: httpx.AsyncClient, programme: Programme
) -> None:
    levels = {
        "levels": [
            {"code": "A", "name": "Stalls", "color": "#ff0000", "prices": {"adult": 18000}},
            {
                "code": "B",
                "name": "Back",
                "currency": "EUR",
                "prices": {"adult": 9900, "child": 5000},
            },
        ]
    }
    stored = ok(await admin.put(f"{ADMIN}/sessions/{programme.match}/price-levels", json=levels))
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{programme.match}/plan/categories",
            json={"select": {"seats": ["L1-HALL-A-1"]}, "category": "registered"},
        )
    )

    detail = ok(await admin.get(f"/api/v1/sessions/{programme.match}"))

    assert (
        detail["price_levels"]
        == stored
        == [
            {
                "id": stored[0]["id"],
                "code": "A",
                "name": "Stalls",
                "color": "#ff0000",
                "currency": "CNY",
                "prices": {"adult": 18000},
            },
            {
                "id": stored[1]["id"],
                "code": "B",
                "name": "Back",
                "color": "#3b82f6",
                "currency": "EUR",
                "prices": {"adult": 9900, "child": 5000},
            },
        ]
    )
    assert detail["counts"] == {"available": 5, "held": 0, "sold": 0, "blocked": 1, "reserved": 0}
    assert detail["remaining"] == 5
    assert (detail["lowest_price"], detail["currency"]) == (5000, "EUR")
    assert detail["ga"] == []
    assert detail["event"]["name"] == "Cup Final"
    assert detail["venue"]["name"] == "Riverside Stadium"


async def test_an_unknown_session_is_not_found(client: httpx.AsyncClient) -> None:
    for path in ("", "/seatmap", "/availability"):
        error(await client.get(f"/api/v1/sessions/404{path}"), 404, "not_found")


async def test_venue_names_match_whatever_their_case_beyond_ascii(
    admin: httpx.AsyncClient,
) -> None:
    """An accented capital in the venue name must match like the event texts do."""
    organiser_id = await make_organiser(admin)
    arena = await make_venue(admin, "ELY", "Élysée Arena")
    hall = await make_venue(admin, "HALL", "Town Hall")
    arena_map = (await import_map(admin, arena))["id"]
    hall_map = (await import_map(admin, hall))["id"]
    gala = await make_event(admin, organiser_id, "GALA", "Élysée Gala", "show")
    concert = await make_event(admin, organiser_id, "CONC", "Spring Concert", "show")
    at_hall = await schedule_session(
        admin, event_id=gala, venue_id=hall, seat_map_id=hall_map, code="G1"
    )
    at_arena = await schedule_session(
        admin,
        event_id=concert,
        venue_id=arena,
        seat_map_id=arena_map,
        code="C1",
        starts_at=MATCH_AT,
    )

    assert await _found(admin, q="élysée") == [at_hall, at_arena]
    assert await _found(admin, q="ÉLYSÉE") == [at_hall, at_arena]


async def test_the_lowest_price_in_results_comes_with_its_own_currency(
    admin: httpx.AsyncClient, programme: Programme
) -> None:
    levels = {
        "levels": [
            {"code": "A", "name": "Stalls", "currency": "CNY", "prices": {"adult": 18000}},
            {"code": "B", "name": "Back", "currency": "EUR", "prices": {"adult": 5000}},
        ]
    }
    ok(await admin.put(f"{ADMIN}/sessions/{programme.match}/price-levels", json=levels))

    (result,) = ok(await admin.get("/api/v1/sessions", params={"q": "cup"}))
    detail = ok(await admin.get(f"/api/v1/sessions/{programme.match}"))

    assert (detail["lowest_price"], detail["currency"]) == (5000, "EUR")
    assert (result["lowest_price"], result["currency"]) == (5000, "EUR")

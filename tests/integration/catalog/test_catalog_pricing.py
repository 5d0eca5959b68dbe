"""Price levels of a session and passes covering several sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from catalog_factories import (
    ADMIN,
    audit_log,
    error,
    import_map,
    make_event,
    make_organiser,
    make_venue,
    ok,
    schedule_session,
)

from admit.catalog.seatmap_generators import cinema_hall

# -- price levels ----------------------------------------------------------------------------


@pytest.fixture
async def session_id(admin: httpx.AsyncClient) -> int:
    organiser_id = await make_organiser(admin)
    venue_id = await make_venue(admin)
    seat_map = await import_map(admin, venue_id)
    event_id = await make_event(admin, organiser_id)
    return await schedule_session(
        admin, event_id=event_id, venue_id=venue_id, seat_map_id=seat_map["id"]
    )


def _levels_url(session_id: int) -> str:
    return f"{ADMIN}/sessions/{session_id}/price-levels"


async def _levels(client: httpx.AsyncClient, session_id: int) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = ok(await client.get(f"/api/v1/sessions/{session_id}"))[
        "price_levels"
    ]
    return levels


async def test_price_levels_are_set_and_read_back(
    admin: httpx.AsyncClient, session_id: int
) -> None:
    body = {
        "levels": [
            {
                "code": "A",
                "name": "Stalls",
                "color": "#aa0000",
                "prices": {"adult": 18000, "child": 9000},
            },
            {"code": "B", "name": "Back", "prices": {"adult": 12000}},
        ]
    }

    stored = ok(await admin.put(_levels_url(session_id), json=body))

    assert stored == [
        {
            "id": stored[0]["id"],
            "code": "A",
            "name": "Stalls",
            "color": "#aa0000",
            "currency": "CNY",
            "prices": {"adult": 18000, "child": 9000},
        },
        {
            "id": stored[1]["id"],
            "code": "B",
            "name": "Back",
            "color": "#3b82f6",
            "currency": "CNY",
            "prices": {"adult": 12000},
        },
    ]
    assert await _levels(admin, session_id) == stored


async def test_setting_levels_again_updates_by_code_and_keeps_unlisted_levels(
    admin: httpx.AsyncClient, session_id: int
) -> None:
    first = ok(
        await admin.put(
            _levels_url(session_id),
            json={
                "levels": [
                    {"code": "A", "name": "Stalls", "prices": {"adult": 18000, "child": 9000}},
                    {"code": "B", "name": "Back", "prices": {"adult": 12000}},
                ]
            },
        )
    )

    second = ok(
        await admin.put(
            _levels_url(session_id),
            json={
                "levels": [
                    {"code": "A", "name": "Front stalls", "prices": {"adult": 20000}},
                    {"code": "C", "name": "Box", "prices": {"adult": 40000}},
                ]
            },
        )
    )

    a, b = first
    assert second == [
        {**a, "name": "Front stalls", "prices": {"adult": 20000}},
        b,
        {
            "id": second[2]["id"],
            "code": "C",
            "name": "Box",
            "color": "#3b82f6",
            "currency": "CNY",
            "prices": {"adult": 40000},
        },
    ]
    assert await _levels(admin, session_id) == second


@pytest.mark.parametrize(
    ("levels", "status", "code"),
    [
        (
            [
                {"code": "A", "name": "x", "prices": {"adult": 1}},
                {"code": "A", "name": "y", "prices": {"adult": 2}},
            ],
            400,
            "invalid_input",
        ),
        ([{"code": "A", "name": "x", "prices": {}}], 422, "invalid_request"),
        ([{"code": "A", "name": "x", "prices": {"adult": -1}}], 422, "invalid_request"),
        ([{"code": "A-1", "name": "x", "prices": {"adult": 1}}], 422, "invalid_request"),
        (
            [{"code": "A", "name": "x", "currency": "eur", "prices": {"adult": 1}}],
            422,
            "invalid_request",
        ),
        (
            [{"code": "A", "name": "x", "color": "red", "prices": {"adult": 1}}],
            422,
            "invalid_request",
        ),
        ([], 422, "invalid_request"),
    ],
)
async def test_bad_price_levels_change_nothing(
    admin: httpx.AsyncClient,
    session_id: int,
    levels: list[dict[str, Any]],
    status: int,
    code: str,
) -> None:
    before = ok(
        await admin.put(
            _levels_url(session_id),
            json={
                "levels": [
                    {"code": "A", "name": "Stalls", "prices": {"adult": 18000}},
                ]
            },
        )
    )
    log = await audit_log(admin)

    error(await admin.put(_levels_url(session_id), json={"levels": levels}), status, code)

    assert await _levels(admin, session_id) == before
    assert await audit_log(admin) == log


async def test_price_levels_of_an_unknown_session_are_not_found(admin: httpx.AsyncClient) -> None:
    body = {"levels": [{"code": "A", "name": "Stalls", "prices": {"adult": 1}}]}

    response = await admin.put(_levels_url(404), json=body)

    assert error(response, 404, "not_found")["message"] == "session 404 does not exist"


# -- passes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Festival:
    organiser_id: int
    big: tuple[int, int]  # two sessions on a 3-row map
    small: int  # a session on a 2-row map elsewhere


@pytest.fixture
async def festival(admin: httpx.AsyncClient) -> Festival:
    organiser_id = await make_organiser(admin)
    big_venue = await make_venue(admin, "BIG", "Big Hall")
    small_venue = await make_venue(admin, "SMALL", "Small Hall")
    big_map = (await import_map(admin, big_venue, cinema_hall(rows=3, seats_per_row=4)))["id"]
    small_map = (await import_map(admin, small_venue, cinema_hall(rows=2, seats_per_row=4)))["id"]
    event_id = await make_event(admin, organiser_id, name="Film Festival")
    first = await schedule_session(
        admin, event_id=event_id, venue_id=big_venue, seat_map_id=big_map, code="D1"
    )
    second = await schedule_session(
        admin, event_id=event_id, venue_id=big_venue, seat_map_id=big_map, code="D2"
    )
    small = await schedule_session(
        admin, event_id=event_id, venue_id=small_venue, seat_map_id=small_map, code="D3"
    )
    return Festival(organiser_id, (first, second), small)


def _pass(festival: Festival, **fields: Any) -> dict[str, Any]:
    return {
        "organiser_id": festival.organiser_id,
        "code": "FEST",
        "name": "Festival pass",
        "session_ids": [*festival.big, festival.small],
        "price": 50000,
        **fields,
    }


async def test_a_pass_without_seat_covers_its_sessions(
    admin: httpx.AsyncClient, festival: Festival
) -> None:
    created = ok(await admin.post(f"{ADMIN}/passes", json=_pass(festival)), 201)

    assert created == {
        "id": created["id"],
        "organiser_id": festival.organiser_id,
        "code": "FEST",
        "name": "Festival pass",
        "seat_mode": "none",
        "fixed_seat_key": None,
        "currency": "CNY",
        "price": 50000,
        "level_prices": {},
        "stock": None,
        "session_ids": [*festival.big, festival.small],
    }
    assert ok(await admin.get(f"{ADMIN}/passes/{created['id']}")) == created
    (entry, *_) = await audit_log(admin, entity_type="product")
    assert (entry["action"], entry["entity_id"]) == ("pass.created", str(created["id"]))


async def test_a_fixed_seat_pass_needs_the_seat_in_every_sessions_map(
    admin: httpx.AsyncClient, festival: Festival
) -> None:
    payload = _pass(
        festival,
        seat_mode="fixed",
        fixed_seat_key="L1-HALL-B-2",
        price=None,
        level_prices={"A": 60000},
    )

    created = ok(await admin.post(f"{ADMIN}/passes", json=payload), 201)

    assert created["seat_mode"] == "fixed"
    assert created["fixed_seat_key"] == "L1-HALL-B-2"
    assert (created["price"], created["level_prices"]) == (None, {"A": 60000})
    assert ok(await admin.get(f"{ADMIN}/passes/{created['id']}")) == created


async def test_a_fixed_seat_missing_from_one_map_is_refused(
    admin: httpx.AsyncClient, festival: Festival
) -> None:
    payload = _pass(festival, seat_mode="fixed", fixed_seat_key="L1-HALL-C-1")
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/passes", json=payload)

    body = error(response, 400, "invalid_input")
    assert body["message"] == "seat 'L1-HALL-C-1' does not exist in every session's seat map"
    assert await audit_log(admin) == log
    error(await admin.get(f"{ADMIN}/passes/1"), 404, "not_found")


async def test_a_fixed_seat_on_the_maps_of_only_two_sessions_is_accepted(
    admin: httpx.AsyncClient, festival: Festival
) -> None:
    payload = _pass(
        festival, seat_mode="fixed", fixed_seat_key="L1-HALL-C-1", session_ids=list(festival.big)
    )

    created = ok(await admin.post(f"{ADMIN}/passes", json=payload), 201)

    assert created["session_ids"] == list(festival.big)


@pytest.mark.parametrize(
    ("fields", "status", "code", "message"),
    [
        ({"session_ids": "one"}, 422, "invalid_request", None),
        ({"session_ids": "same"}, 400, "invalid_input", "a pass covers at least two sessions"),
        ({"price": None}, 400, "invalid_input", "give either one price or prices by level"),
        (
            {"level_prices": {"A": 1}},
            400,
            "invalid_input",
            "give either one price or prices by level",
        ),
        ({"seat_mode": "fixed"}, 400, "invalid_input", "a fixed-seat pass needs the seat key"),
        (
            {"fixed_seat_key": "L1-HALL-A-1"},
            400,
            "invalid_input",
            "a pass without a seat cannot name one",
        ),
        ({"session_ids": "unknown"}, 404, "not_found", "unknown sessions"),
        ({"organiser_id": 99}, 404, "not_found", "organiser 99 does not exist"),
        ({"price": -1}, 422, "invalid_request", None),
        ({"seat_mode": "row"}, 422, "invalid_request", None),
    ],
)
async def test_a_bad_pass_is_refused_and_nothing_is_stored(
    admin: httpx.AsyncClient,
    festival: Festival,
    fields: dict[str, Any],
    status: int,
    code: str,
    message: str | None,
) -> None:
    sessions = {
        "one": [festival.small],
        "same": [festival.small, festival.small],
        "unknown": [festival.small, 404],
    }
    if "session_ids" in fields:
        fields = {**fields, "session_ids": sessions[fields["session_ids"]]}
    log = await audit_log(admin)

    body = error(await admin.post(f"{ADMIN}/passes", json=_pass(festival, **fields)), status, code)

    if message is not None:
        assert body["message"] == message
    assert await audit_log(admin) == log
    error(await admin.get(f"{ADMIN}/passes/1"), 404, "not_found")


async def test_an_unknown_session_in_a_pass_is_named(
    admin: httpx.AsyncClient, festival: Festival
) -> None:
    response = await admin.post(
        f"{ADMIN}/passes", json=_pass(festival, session_ids=[festival.small, 404, 405])
    )

    assert error(response, 404, "not_found")["details"] == {"sessions": [404, 405]}


async def test_a_pass_code_is_unique(admin: httpx.AsyncClient, festival: Festival) -> None:
    ok(await admin.post(f"{ADMIN}/passes", json=_pass(festival)), 201)
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/passes", json=_pass(festival, name="Again"))

    assert error(response, 409, "already_exists")["message"] == "product code 'FEST' is taken"
    assert await audit_log(admin) == log
    error(await admin.get(f"{ADMIN}/passes/2"), 404, "not_found")

"""A session's seat plan and its categories: built from the venue map (a damaged seat is
blocked), categories set by selection, what they refuse, and availability with its ETag."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from inventory_factories import (
    ADMIN,
    audit_log,
    availability,
    error,
    key,
    make_cinema,
    make_session,
    mark_sold,
    ok,
    plan,
    remaining,
    seat_states,
    set_category,
    snapshot,
    states,
)

from admit.catalog.seatmap_generators import cinema_hall
from admit.catalog.seatmap_spec import SeatMapSpec, SeatSpec
from admit.core.runtime import Runtime

ALL_FREE = {"available": 12, "held": 0, "sold": 0, "blocked": 0, "reserved": 0}


async def test_a_new_session_has_every_seat_sellable_and_available(
    admin: httpx.AsyncClient,
) -> None:
    cinema, session_id = await make_session(admin)

    assert await plan(admin, session_id) == {
        "session_id": session_id,
        "seat_map_id": cinema.seat_map_id,
        "confirmed_at": None,
        "confirmed_by": None,
        "version": 1,
        "categories": {"sellable": 12},
    }
    assert await availability(admin, session_id) == {
        "session_id": session_id,
        "version": 1,
        "seat_count": 12,
        "states": "a" * 12,
        "levels": "-" * 12,
        "level_codes": [],
        "counts": ALL_FREE,
        "ga": [],
    }
    assert await remaining(admin, session_id) == 12


def _with_damaged_seat(seat_key: str) -> SeatMapSpec:
    spec = cinema_hall(rows=3, seats_per_row=4)
    seats = tuple(
        SeatSpec(s.section, s.row, s.number, s.x, s.y, s.attributes | {"damaged"}, s.key)
        if s.key == seat_key
        else s
        for s in spec.seats
    )
    return SeatMapSpec(spec.name, spec.levels, spec.sections, seats, spec.ga_areas)


@pytest.mark.parametrize("how", ["in the imported map", "changed at the venue"])
async def test_a_seat_damaged_before_scheduling_is_blocked_in_new_sessions(
    admin: httpx.AsyncClient, how: str
) -> None:
    if how == "in the imported map":
        cinema = await make_cinema(admin, _with_damaged_seat(key("A", 2)))
    else:
        cinema = await make_cinema(admin)
        report = ok(
            await admin.patch(
                f"{ADMIN}/seatmaps/{cinema.seat_map_id}/seats",
                json={"seats": [{"key": key("A", 2), "damaged": True}]},
            )
        )
        assert report == {"changed_seats": [key("A", 2)], "sessions_updated": [], "conflicts": []}

    first = await cinema.schedule(admin, "S1")
    second = await cinema.schedule(admin, "S2")

    for session_id in (first, second):
        assert await seat_states(admin, session_id) == "ab" + "a" * 10
        assert (await plan(admin, session_id))["categories"] == {"sellable": 12}
        assert await remaining(admin, session_id) == 11


SELECTIONS = [
    pytest.param({"sections": ["HALL"]}, states(("b", 12)), id="section"),
    pytest.param(
        {"rows": [{"section": "HALL", "row": "B"}]}, states(("a", 4), ("b", 4), ("a", 4)), id="row"
    ),
    pytest.param(
        {"rows": [{"section": "HALL", "row": "A"}, {"section": "HALL", "row": "C"}]},
        states(("b", 4), ("a", 4), ("b", 4)),
        id="two-rows",
    ),
    pytest.param(
        {"ranges": [{"section": "HALL", "row": "A", "first": 2, "last": 3}]},
        "abba" + "a" * 8,
        id="range",
    ),
    pytest.param(
        {"ranges": [{"section": "HALL", "row": "C", "first": 3, "last": 9}]},
        "a" * 10 + "bb",
        id="range-past-the-row-end",
    ),
    pytest.param({"seats": [key("C", 4), key("A", 1)]}, "b" + "a" * 10 + "b", id="seat-keys"),
    pytest.param(
        {"rows": [{"section": "HALL", "row": "B"}], "seats": [key("A", 1), key("B", 2)]},
        "baaa" + "bbbb" + "aaaa",
        id="union",
    ),
]


@pytest.mark.parametrize(("selection", "expected"), SELECTIONS)
async def test_occupied_seats_read_blocked(
    admin: httpx.AsyncClient, selection: dict[str, Any], expected: str
) -> None:
    _, session_id = await make_session(admin)
    chosen = expected.count("b")

    response = await set_category(admin, session_id, selection, "occupied")

    assert ok(response) == {"changed": chosen}
    assert await seat_states(admin, session_id) == expected
    current = await plan(admin, session_id)
    assert current["categories"] == {
        k: v for k, v in (("occupied", chosen), ("sellable", 12 - chosen)) if v
    }
    assert current["version"] == 2
    assert await remaining(admin, session_id) == 12 - chosen
    (entry, *_) = await audit_log(admin, entity_type="session")
    expected_keys = [f"L1-HALL-{r}-{n}" for r in "ABC" for n in range(1, 5)]
    assert entry["action"] == "plan.category_set"
    assert entry["data"] == {
        "category": "occupied",
        "seats": [k for k, c in zip(expected_keys, expected, strict=True) if c == "b"],
    }


@pytest.mark.parametrize("category", ["registered", "occupied", "emergency"])
async def test_every_category_but_sellable_blocks_and_sellable_frees_again(
    admin: httpx.AsyncClient, category: str
) -> None:
    _, session_id = await make_session(admin)
    row_a = {"rows": [{"section": "HALL", "row": "A"}]}

    ok(await set_category(admin, session_id, row_a, category))
    assert await seat_states(admin, session_id) == "bbbb" + "a" * 8
    assert (await plan(admin, session_id))["categories"] == {category: 4, "sellable": 8}

    ok(await set_category(admin, session_id, row_a, "sellable"))
    assert await seat_states(admin, session_id) == "a" * 12
    assert (await plan(admin, session_id))["categories"] == {"sellable": 12}


@pytest.mark.parametrize(
    ("selection", "category", "status", "code", "message"),
    [
        (
            {"seats": ["L1-HALL-Z-9"]},
            "occupied",
            400,
            "invalid_input",
            "the selection matches no seat of this session",
        ),
        (
            {"rows": [{"section": "BALC", "row": "A"}]},
            "occupied",
            400,
            "invalid_input",
            "the selection matches no seat of this session",
        ),
        ({}, "occupied", 400, "invalid_input", "the selection names no seats"),
        (
            {"ranges": [{"section": "HALL", "row": "A", "first": 3, "last": 2}]},
            "occupied",
            400,
            "invalid_input",
            "range 3-2 in HALL/A is empty",
        ),
        ({"seats": [key("A", 1)]}, "vip", 422, "invalid_request", None),
        ({"seat": [key("A", 1)]}, "occupied", 422, "invalid_request", None),
    ],
)
async def test_a_bad_category_change_changes_nothing(
    admin: httpx.AsyncClient,
    selection: dict[str, Any],
    category: str,
    status: int,
    code: str,
    message: str | None,
) -> None:
    _, session_id = await make_session(admin)
    before = await snapshot(admin, session_id)

    body = error(await set_category(admin, session_id, selection, category), status, code)

    if message is not None:
        assert body["message"] == message
    assert await snapshot(admin, session_id) == before


async def test_categories_are_per_session(admin: httpx.AsyncClient) -> None:
    cinema = await make_cinema(admin)
    first, second = await cinema.schedule(admin, "S1"), await cinema.schedule(admin, "S2")

    ok(await set_category(admin, first, {"sections": ["HALL"]}, "registered"))

    assert await seat_states(admin, first) == "b" * 12
    assert await seat_states(admin, second) == "a" * 12


async def test_a_sold_seat_keeps_its_category(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    _, session_id = await make_session(admin)
    await mark_sold(runtime, session_id, key("B", 3))
    before = await snapshot(admin, session_id)

    response = await set_category(
        admin, session_id, {"rows": [{"section": "HALL", "row": "B"}]}, "occupied"
    )

    body = error(response, 409, "seats_not_changeable")
    assert body["details"] == {"seats": [key("B", 3)], "count": 1}
    assert await snapshot(admin, session_id) == before


async def test_availability_is_served_with_an_etag_that_follows_the_plan(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)
    url = f"/api/v1/sessions/{session_id}/availability"
    first = await admin.get(url)
    etag = first.headers["etag"]

    unchanged = await admin.get(url, headers={"If-None-Match": f'"other", {etag}'})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", etag)
    assert first.headers["cache-control"] == "public, max-age=0, must-revalidate"

    ok(await set_category(admin, session_id, {"seats": [key("A", 1)]}, "occupied"))
    changed = await admin.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["version"] == 2

    ok(await set_category(admin, session_id, {"seats": [key("A", 1)]}, "sellable"))
    back = await admin.get(url)
    assert back.json()["states"] == first.json()["states"]
    assert back.json()["version"] == 3

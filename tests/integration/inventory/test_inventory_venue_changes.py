"""Session-only exclusions versus changes at the venue reaching every running session."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from inventory_factories import (
    ADMIN,
    audit_log,
    error,
    key,
    make_cinema,
    mark_sold,
    ok,
    remaining,
    seat_states,
    snapshot,
)
from tests.integration.clients.client_factories import reserve

from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall
from admit.core.runtime import Runtime

B2 = key("B", 2)  # the sixth seat in map order
CINEMA_DOCUMENT = to_json(cinema_hall(rows=3, seats_per_row=4))


def _with_b2(char: str, rest: str = "a") -> str:
    return rest * 5 + char + rest * 6


async def _exclude(
    admin: httpx.AsyncClient, session_id: int, seats: list[str], excluded: bool = True
) -> httpx.Response:
    return await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/exclusions",
        json={"select": {"seats": seats}, "excluded": excluded},
    )


async def _change_seats(
    admin: httpx.AsyncClient, seat_map_id: int, *seats: dict[str, Any]
) -> httpx.Response:
    return await admin.patch(f"{ADMIN}/seatmaps/{seat_map_id}/seats", json={"seats": list(seats)})


async def _export(admin: httpx.AsyncClient, seat_map_id: int) -> str:
    response = await admin.get(f"{ADMIN}/seatmaps/{seat_map_id}/export")
    assert response.status_code == 200, response.text
    return response.text


# -- session-only exclusions -----------------------------------------------------------------


async def test_an_exclusion_blocks_a_seat_in_one_session_only(admin: httpx.AsyncClient) -> None:
    cinema = await make_cinema(admin)
    first, second = await cinema.schedule(admin, "S1"), await cinema.schedule(admin, "S2")

    assert ok(await _exclude(admin, first, [B2])) == {"changed": 1}

    assert await seat_states(admin, first) == _with_b2("b")
    assert await seat_states(admin, second) == "a" * 12
    assert await remaining(admin, first) == 11
    assert await _export(admin, cinema.seat_map_id) == CINEMA_DOCUMENT
    seat_map = ok(await admin.get(f"{ADMIN}/seatmaps/{cinema.seat_map_id}"))
    assert (seat_map["version"], seat_map["seat_count"]) == (1, 12)
    (entry, *_) = await audit_log(admin, entity_type="session")
    assert (entry["action"], entry["entity_id"], entry["data"]) == (
        "plan.excluded_set",
        str(first),
        {"excluded": True, "seats": [B2]},
    )


async def test_an_excluded_seat_can_be_put_back(admin: httpx.AsyncClient) -> None:
    cinema = await make_cinema(admin)
    session_id = await cinema.schedule(admin)
    ok(await _exclude(admin, session_id, [B2, key("C", 1)]))

    assert ok(await _exclude(admin, session_id, [B2], excluded=False)) == {"changed": 1}

    assert await seat_states(admin, session_id) == "a" * 8 + "baaa"


async def test_a_sold_seat_cannot_be_excluded(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    cinema = await make_cinema(admin)
    session_id = await cinema.schedule(admin)
    await mark_sold(runtime, session_id, B2)
    before = await snapshot(admin, session_id)

    response = await _exclude(admin, session_id, [key("B", 1), B2])

    assert error(response, 409, "seats_not_changeable")["details"] == {"seats": [B2]}
    assert await snapshot(admin, session_id) == before


# -- changes at the venue --------------------------------------------------------------------


@pytest.mark.parametrize("attribute", ["damaged", "removed"])
async def test_a_seat_unusable_at_the_venue_is_blocked_in_every_running_session(
    admin: httpx.AsyncClient, attribute: str
) -> None:
    cinema = await make_cinema(admin)
    first, second = await cinema.schedule(admin, "S1"), await cinema.schedule(admin, "S2")

    report = ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, attribute: True}))

    assert report == {"changed_seats": [B2], "sessions_updated": [first, second], "conflicts": []}
    for session_id in (first, second):
        assert await seat_states(admin, session_id) == _with_b2("b")
        assert await remaining(admin, session_id) == 11
    assert await _export(admin, cinema.seat_map_id) == CINEMA_DOCUMENT.replace(
        f'"key": "{B2}", "section": "HALL", "row": "B", "number": "2", "x": 20.0, "y": 42.0}}',
        f'"key": "{B2}", "section": "HALL", "row": "B", "number": "2", "x": 20.0, "y": 42.0, '
        f'"attributes": ["{attribute}"]}}',
    )
    assert ok(await admin.get(f"{ADMIN}/seatmaps/{cinema.seat_map_id}"))["version"] == 2
    layout = await admin.get(f"/api/v1/sessions/{first}/seatmap")
    assert layout.headers["etag"] == f'"map-{cinema.seat_map_id}-2"'
    (entry, *_) = await audit_log(admin, entity_type="seat_map")
    assert (entry["action"], entry["data"]) == (
        "seatmap.seats_changed",
        {"changes": [{"key": B2, "before": {attribute: False}, "after": {attribute: True}}]},
    )


async def test_a_sold_seat_damaged_at_the_venue_stays_sold_and_is_reported(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    cinema = await make_cinema(admin)
    sold_in, other = await cinema.schedule(admin, "S1"), await cinema.schedule(admin, "S2")
    await mark_sold(runtime, sold_in, B2)
    assert await seat_states(admin, sold_in) == _with_b2("s")

    report = ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, "damaged": True}))

    assert report == {
        "changed_seats": [B2],
        "sessions_updated": [sold_in, other],
        "conflicts": [{"session_id": sold_in, "seat_key": B2, "status": "sold"}],
    }
    assert await seat_states(admin, sold_in) == _with_b2("s")
    assert await seat_states(admin, other) == _with_b2("b")
    (conflict, changed, *_) = await audit_log(admin, entity_type="seat_map")
    assert (changed["action"], conflict["action"]) == (
        "seatmap.seats_changed",
        "plan.venue_change_conflicts",
    )
    assert conflict["data"] == {
        "conflicts": [{"session_id": sold_in, "seat_key": B2, "status": "sold"}]
    }

    repaired = ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, "damaged": False}))

    assert repaired == {
        "changed_seats": [B2],
        "sessions_updated": [sold_in, other],
        "conflicts": [],
    }
    assert await seat_states(admin, sold_in) == _with_b2("s")
    assert await seat_states(admin, other) == "a" * 12


async def test_a_repaired_seat_keeps_what_the_session_decided(admin: httpx.AsyncClient) -> None:
    cinema = await make_cinema(admin)
    excluded_in, reserved_in, occupied_in, plain = [
        await cinema.schedule(admin, code) for code in ("S1", "S2", "S3", "S4")
    ]
    ok(await _exclude(admin, excluded_in, [B2]))
    ok(await reserve(admin, reserved_in, {"seats": [B2]}, "2026-11-23T08:00:00Z"))
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{occupied_in}/plan/categories",
            json={"select": {"seats": [B2]}, "category": "occupied"},
        )
    )
    ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, "damaged": True}))
    for session_id in (excluded_in, reserved_in, occupied_in, plain):
        assert await seat_states(admin, session_id) == _with_b2("b")

    ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, "damaged": False}))

    assert await seat_states(admin, excluded_in) == _with_b2("b")
    assert await seat_states(admin, reserved_in) == _with_b2("r")
    assert await seat_states(admin, occupied_in) == _with_b2("b")
    assert await seat_states(admin, plain) == "a" * 12


async def test_ended_and_cancelled_sessions_are_left_alone(admin: httpx.AsyncClient) -> None:
    cinema = await make_cinema(admin)
    running, cancelled, ended = [await cinema.schedule(admin, c) for c in ("S1", "S2", "S3")]
    ok(await admin.patch(f"{ADMIN}/sessions/{cancelled}", json={"status": "cancelled"}))
    ok(await admin.patch(f"{ADMIN}/sessions/{ended}", json={"status": "ended"}))

    report = ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, "removed": True}))

    assert report["sessions_updated"] == [running]
    assert await seat_states(admin, running) == _with_b2("b")
    assert await seat_states(admin, cancelled) == "a" * 12
    assert await seat_states(admin, ended) == "a" * 12


async def test_a_new_session_after_a_repair_has_the_seat_again(admin: httpx.AsyncClient) -> None:
    cinema = await make_cinema(admin)
    ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, "damaged": True}))
    ok(await _change_seats(admin, cinema.seat_map_id, {"key": B2, "damaged": False}))

    session_id = await cinema.schedule(admin)

    assert await seat_states(admin, session_id) == "a" * 12
    assert await _export(admin, cinema.seat_map_id) == CINEMA_DOCUMENT


@pytest.mark.parametrize(
    ("seats", "status", "code", "details"),
    [
        (
            [{"key": "L1-HALL-Z-9", "damaged": True}, {"key": B2, "damaged": True}],
            400,
            "invalid_input",
            {"seats": ["L1-HALL-Z-9"]},
        ),
        ([{"key": B2, "broken": True}], 422, "invalid_request", None),
        ([{"key": B2, "damaged": "very"}], 422, "invalid_request", None),
        ([], 422, "invalid_request", None),
    ],
)
async def test_a_bad_venue_change_changes_nothing(
    admin: httpx.AsyncClient,
    seats: list[dict[str, Any]],
    status: int,
    code: str,
    details: dict[str, Any] | None,
) -> None:
    cinema = await make_cinema(admin)
    session_id = await cinema.schedule(admin)
    before = await snapshot(admin, session_id)
    seat_map = ok(await admin.get(f"{ADMIN}/seatmaps/{cinema.seat_map_id}"))

    body = error(await _change_seats(admin, cinema.seat_map_id, *seats), status, code)

    if details is not None:
        assert body["details"] == details
    assert await snapshot(admin, session_id) == before
    assert ok(await admin.get(f"{ADMIN}/seatmaps/{cinema.seat_map_id}")) == seat_map
    assert await _export(admin, cinema.seat_map_id) == CINEMA_DOCUMENT


async def test_changing_seats_of_an_unknown_map_is_not_found(admin: httpx.AsyncClient) -> None:
    response = await _change_seats(admin, 404, {"key": B2, "damaged": True})

    assert error(response, 404, "not_found")["message"] == "seat map 404 does not exist"

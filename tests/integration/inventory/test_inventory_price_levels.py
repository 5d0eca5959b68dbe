"""Mapping the seats of a session to its price levels."""

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
    make_session,
    mark_sold,
    ok,
    snapshot,
)
from tests.integration.clients.client_factories import reserve

from admit.core.runtime import Runtime

LEVELS = {
    "levels": [
        {"code": "A", "name": "Front", "prices": {"adult": 18000}},
        {"code": "B", "name": "Back", "prices": {"adult": 12000, "child": 6000}},
    ]
}


async def _map(
    admin: httpx.AsyncClient, session_id: int, selection: dict[str, Any], level: str
) -> httpx.Response:
    return await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/price-levels",
        json={"select": selection, "level": level},
    )


async def _session_with_levels(admin: httpx.AsyncClient) -> int:
    _, session_id = await make_session(admin)
    ok(await admin.put(f"{ADMIN}/sessions/{session_id}/price-levels", json=LEVELS))
    return session_id


async def test_seats_are_mapped_to_price_levels(admin: httpx.AsyncClient) -> None:
    session_id = await _session_with_levels(admin)

    front = await _map(admin, session_id, {"rows": [{"section": "HALL", "row": "A"}]}, "A")
    back = await _map(
        admin,
        session_id,
        {"rows": [{"section": "HALL", "row": "B"}, {"section": "HALL", "row": "C"}]},
        "B",
    )

    assert (ok(front), ok(back)) == ({"changed": 4}, {"changed": 8})
    seats = await availability(admin, session_id)
    assert seats["levels"] == "0000" + "1111" * 2
    assert seats["level_codes"] == ["A", "B"]
    assert seats["states"] == "a" * 12
    (entry, *_) = await audit_log(admin, entity_type="session")
    assert (entry["action"], entry["data"]) == (
        "plan.price_level_mapped",
        {
            "level": "B",
            "seats": [f"L1-HALL-{r}-{n}" for r in "BC" for n in range(1, 5)],
        },
    )


async def test_a_seat_mapped_again_takes_the_new_level(admin: httpx.AsyncClient) -> None:
    session_id = await _session_with_levels(admin)
    ok(await _map(admin, session_id, {"sections": ["HALL"]}, "B"))

    ok(await _map(admin, session_id, {"seats": [key("A", 2), key("A", 3)]}, "A"))

    assert (await availability(admin, session_id))["levels"] == "1001" + "1" * 8


async def test_unmapped_seats_have_no_level(admin: httpx.AsyncClient) -> None:
    session_id = await _session_with_levels(admin)

    ok(await _map(admin, session_id, {"seats": [key("C", 4)]}, "B"))

    assert (await availability(admin, session_id))["levels"] == "-" * 11 + "1"


@pytest.mark.parametrize(
    ("level", "selection", "status", "code", "message"),
    [
        ("Z", {"sections": ["HALL"]}, 400, "invalid_input", "has no price level 'Z'"),
        ("a", {"sections": ["HALL"]}, 400, "invalid_input", "has no price level 'a'"),
        (
            "A",
            {"seats": ["L1-HALL-Z-1"]},
            400,
            "invalid_input",
            "the selection matches no seat of this session",
        ),
        ("", {"sections": ["HALL"]}, 422, "invalid_request", None),
    ],
)
async def test_a_bad_mapping_changes_nothing(
    admin: httpx.AsyncClient,
    level: str,
    selection: dict[str, Any],
    status: int,
    code: str,
    message: str | None,
) -> None:
    session_id = await _session_with_levels(admin)
    ok(await _map(admin, session_id, {"seats": [key("A", 1)]}, "A"))
    before = await snapshot(admin, session_id)

    body = error(await _map(admin, session_id, selection, level), status, code)

    if message is not None:
        assert body["message"].endswith(message)
    assert await snapshot(admin, session_id) == before


async def test_levels_of_another_session_cannot_be_used(admin: httpx.AsyncClient) -> None:
    cinema, with_levels = await make_session(admin)
    ok(await admin.put(f"{ADMIN}/sessions/{with_levels}/price-levels", json=LEVELS))
    without = await cinema.schedule(admin, "S2")
    before = await snapshot(admin, without)

    response = await _map(admin, without, {"sections": ["HALL"]}, "A")

    assert error(response, 400, "invalid_input")["message"] == (
        f"session {without} has no price level 'A'"
    )
    assert await snapshot(admin, without) == before


async def test_a_sold_seat_keeps_its_level(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    session_id = await _session_with_levels(admin)
    ok(await _map(admin, session_id, {"sections": ["HALL"]}, "B"))
    await mark_sold(runtime, session_id, key("A", 1))
    before = await snapshot(admin, session_id)

    response = await _map(admin, session_id, {"rows": [{"section": "HALL", "row": "A"}]}, "A")

    body = error(response, 409, "seats_not_changeable")
    assert body["details"] == {"seats": [key("A", 1)]}
    assert await snapshot(admin, session_id) == before


async def test_reserved_and_blocked_seats_can_be_mapped(admin: httpx.AsyncClient) -> None:
    session_id = await _session_with_levels(admin)
    ok(await reserve(admin, session_id, {"seats": [key("A", 1)]}, "2026-11-23T08:00:00Z"))
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{session_id}/plan/categories",
            json={"select": {"seats": [key("A", 2)]}, "category": "occupied"},
        )
    )

    ok(await _map(admin, session_id, {"rows": [{"section": "HALL", "row": "A"}]}, "A"))

    seats = await availability(admin, session_id)
    assert (seats["states"][:4], seats["levels"][:4]) == ("rbaa", "0000")

"""A selector naming more seats than a driver binds in one statement (32,768 keys) is answered
the same on SQLite and PostgreSQL; a selector past the request bound is refused at the edge
(issue 31, item 1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from inventory_factories import ADMIN, error, key, make_session, ok, plan, seat_states, states
from tests.integration.clients.client_factories import reserve

from admit.inventory.schemas import MAX_RANGE_WIDTH, MAX_SELECTOR_TERMS

HUGE = 32_768
LEVELS = {"levels": [{"code": "A", "name": "Front", "prices": {"adult": 18000}}]}


def _many_keys(*real: str) -> list[str]:
    """``HUGE`` seat keys: the real ones spread among keys no map has."""
    fake = [f"NOPE-{n}" for n in range(HUGE - len(real))]
    return fake[: HUGE // 2] + list(real) + fake[HUGE // 2 :]


ROW_B = [key("B", n) for n in range(1, 5)]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("plan/exclusions", {"excluded": True}),
        ("plan/categories", {"category": "occupied"}),
    ],
)
async def test_a_huge_selector_changes_the_seats_it_names(
    admin: httpx.AsyncClient, path: str, extra: dict[str, Any]
) -> None:
    _, session_id = await make_session(admin)
    body = {"select": {"seats": _many_keys(*ROW_B)}, **extra}
    assert ok(await admin.post(f"{ADMIN}/sessions/{session_id}/{path}", json=body)) == {
        "changed": 4
    }
    assert await seat_states(admin, session_id) == states(("a", 4), ("b", 4), ("a", 4))


async def test_a_huge_selector_maps_price_levels_and_releases_reservations(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)
    ok(await admin.put(f"{ADMIN}/sessions/{session_id}/price-levels", json=LEVELS))
    select = {"seats": _many_keys(*ROW_B)}
    mapped = await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/price-levels", json={"select": select, "level": "A"}
    )
    assert ok(mapped) == {"changed": 4}
    reserved = await reserve(admin, session_id, select, "2026-11-23T08:00:00Z")
    assert ok(reserved) == {"changed": 4}
    released = await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/reservations/release", json={"select": select}
    )
    assert ok(released) == {"changed": 4}


async def test_a_huge_selector_of_unknown_seats_is_the_same_400(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)
    before = await plan(admin, session_id)
    answer = await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/exclusions",
        json={"select": {"seats": _many_keys()}},
    )
    error(answer, 400, "invalid_input")
    assert await plan(admin, session_id) == before


async def test_selectors_past_the_bound_are_refused_at_the_edge(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)
    url = f"{ADMIN}/sessions/{session_id}/plan/exclusions"
    too_many = {"seats": [f"K{n}" for n in range(MAX_SELECTOR_TERMS + 1)]}
    error(await admin.post(url, json={"select": too_many}), 422, "invalid_request")
    wide = {"ranges": [{"section": "HALL", "row": "A", "first": 1, "last": MAX_RANGE_WIDTH + 1}]}
    error(await admin.post(url, json={"select": wide}), 422, "invalid_request")
    assert await seat_states(admin, session_id) == states(("a", 12))

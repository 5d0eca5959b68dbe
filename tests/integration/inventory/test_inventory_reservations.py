"""Seats reserved for a client (or a client group) until a date, released, or lapsing on
their own."""

from __future__ import annotations

from datetime import timedelta
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
    remaining,
    seat_states,
    set_category,
    snapshot,
)
from tests.integration.clients.client_factories import make_client, make_group, reserve

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

ROW_A = {"rows": [{"section": "HALL", "row": "A"}]}
TOMORROW = "2026-11-23T08:00:00Z"


async def _reserve(
    admin: httpx.AsyncClient,
    session_id: int,
    selection: dict[str, Any],
    client: str = "Acme",
    until: str = TOMORROW,
) -> httpx.Response:
    return await reserve(admin, session_id, selection, until, client=client)


async def _release(
    admin: httpx.AsyncClient, session_id: int, selection: dict[str, Any]
) -> httpx.Response:
    return await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/reservations/release", json={"select": selection}
    )


async def test_reserved_seats_read_reserved_and_are_not_remaining(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)

    assert ok(await _reserve(admin, session_id, ROW_A, client="Acme Corp")) == {"changed": 4}
    acme = await make_client(admin, "Acme Corp")

    seats = await availability(admin, session_id)
    assert seats["states"] == "rrrr" + "a" * 8
    assert seats["counts"] == {"available": 8, "held": 0, "sold": 0, "blocked": 0, "reserved": 4}
    assert await remaining(admin, session_id) == 8
    (entry, *_) = await audit_log(admin, entity_type="session")
    assert (entry["action"], entry["data"]) == (
        "plan.reserved",
        {
            "client_id": acme,
            "group_id": None,
            "for": "Acme Corp",
            "until": "2026-11-23T08:00:00+00:00",
            "seats": [key("A", n) for n in range(1, 5)],
        },
    )


async def test_a_reservation_may_be_extended_for_the_same_client(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)
    ok(await _reserve(admin, session_id, ROW_A))

    extended = await _reserve(
        admin, session_id, {"seats": [key("A", 4), key("B", 1)]}, until="2026-11-30T08:00:00+08:00"
    )

    assert ok(extended) == {"changed": 2}
    assert await seat_states(admin, session_id) == "rrrr" + "r" + "a" * 7


@pytest.mark.parametrize(
    ("blocking", "refused"),
    [
        ({"category": "occupied"}, [key("A", 2)]),
        ({"category": "emergency"}, [key("A", 2)]),
        ({"excluded": True}, [key("A", 2)]),
        ({"damaged": True}, [key("A", 2)]),
        ({"client": "Globex"}, [key("A", 2)]),
        ({"group": "Globex and friends"}, [key("A", 2)]),
    ],
)
async def test_seats_not_free_for_sale_cannot_be_reserved(
    admin: httpx.AsyncClient, blocking: dict[str, Any], refused: list[str]
) -> None:
    cinema, session_id = await make_session(admin)
    target = {"seats": [key("A", 2)]}
    if "category" in blocking:
        ok(await set_category(admin, session_id, target, blocking["category"]))
    elif "excluded" in blocking:
        ok(
            await admin.post(
                f"{ADMIN}/sessions/{session_id}/plan/exclusions", json={"select": target}
            )
        )
    elif "damaged" in blocking:
        ok(
            await admin.patch(
                f"{ADMIN}/seatmaps/{cinema.seat_map_id}/seats",
                json={"seats": [{"key": key("A", 2), "damaged": True}]},
            )
        )
    elif "group" in blocking:
        group = await make_group(admin, blocking["group"], [await make_client(admin, "Acme")])
        ok(await reserve(admin, session_id, target, TOMORROW, group_id=group))
    else:
        ok(await _reserve(admin, session_id, target, client=blocking["client"]))
    await make_client(admin, "Acme")  # before the snapshot: its audit entry is not a change
    before = await snapshot(admin, session_id)

    response = await _reserve(admin, session_id, ROW_A, client="Acme")

    body = error(response, 409, "seats_not_changeable")
    assert body["message"] == "only sellable seats that nobody holds can be reserved"
    assert body["details"] == {"seats": refused, "count": len(refused)}
    assert await snapshot(admin, session_id) == before


async def test_a_sold_seat_cannot_be_reserved(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    _, session_id = await make_session(admin)
    await mark_sold(runtime, session_id, key("A", 3))
    await make_client(admin, "Acme")
    before = await snapshot(admin, session_id)

    response = await _reserve(admin, session_id, ROW_A)

    assert error(response, 409, "seats_not_changeable")["details"] == {
        "seats": [key("A", 3)],
        "count": 1,
    }
    assert await snapshot(admin, session_id) == before


@pytest.mark.parametrize(
    ("payload", "status", "code", "message"),
    [
        (
            {"client_id": "acme", "until": "2026-11-22T07:59:00Z"},
            400,
            "invalid_input",
            "a reservation must end in the future",
        ),
        (
            {"client_id": "acme", "until": "2026-11-22T08:00:00Z"},
            400,
            "invalid_input",
            "a reservation must end in the future",
        ),
        ({"client_id": 999_999, "until": TOMORROW}, 404, "not_found", None),
        ({"group_id": 999_999, "until": TOMORROW}, 404, "not_found", None),
        ({"until": TOMORROW}, 422, "invalid_request", None),
        ({"client_id": "acme", "group_id": 1, "until": TOMORROW}, 422, "invalid_request", None),
        ({"client": "Acme", "until": TOMORROW}, 422, "invalid_request", None),
        ({"client_id": "acme", "until": "2026-11-23T08:00:00"}, 422, "invalid_request", None),
        ({"client_id": "acme"}, 422, "invalid_request", None),
    ],
)
async def test_a_bad_reservation_changes_nothing(
    admin: httpx.AsyncClient,
    payload: dict[str, Any],
    status: int,
    code: str,
    message: str | None,
) -> None:
    _, session_id = await make_session(admin)
    if payload.get("client_id") == "acme":
        payload = {**payload, "client_id": await make_client(admin, "Acme")}
    before = await snapshot(admin, session_id)

    response = await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/reservations", json={"select": ROW_A, **payload}
    )

    body = error(response, status, code)
    if message is not None:
        assert body["message"] == message
    assert await snapshot(admin, session_id) == before


async def test_released_seats_are_available_again(admin: httpx.AsyncClient) -> None:
    _, session_id = await make_session(admin)
    ok(await _reserve(admin, session_id, ROW_A))

    released = await _release(admin, session_id, {"seats": [key("A", 1), key("A", 2), key("B", 1)]})

    assert ok(released) == {"changed": 2}
    assert await seat_states(admin, session_id) == "aarr" + "a" * 8
    assert await remaining(admin, session_id) == 10
    (entry, *_) = await audit_log(admin, entity_type="session")
    assert (entry["action"], entry["data"]) == (
        "plan.reservation_released",
        {"seats": [key("A", 1), key("A", 2)]},
    )

    ok(await _release(admin, session_id, ROW_A))
    assert await seat_states(admin, session_id) == "a" * 12


async def test_a_lapsed_reservation_reads_available_and_counts_as_remaining(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    _, session_id = await make_session(admin)
    ok(await _reserve(admin, session_id, ROW_A, until="2026-11-22T08:30:00Z"))
    assert await seat_states(admin, session_id) == "rrrr" + "a" * 8

    clock.advance(timedelta(minutes=30))

    seats = await availability(admin, session_id)
    assert seats["states"] == "a" * 12
    assert seats["counts"]["reserved"] == 0
    assert await remaining(admin, session_id) == 12
    (found,) = ok(await admin.get("/api/v1/sessions"))
    assert found["remaining"] == 12


async def test_a_lapsed_reservation_does_not_keep_the_seats_from_another_client(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    _, session_id = await make_session(admin)
    ok(await _reserve(admin, session_id, ROW_A, client="Acme", until="2026-11-22T08:30:00Z"))
    clock.advance(timedelta(minutes=45))
    assert await seat_states(admin, session_id) == "a" * 12

    response = await _reserve(admin, session_id, ROW_A, client="Globex")

    assert ok(response) == {"changed": 4}
    assert await seat_states(admin, session_id) == "rrrr" + "a" * 8


async def test_reservations_are_per_session(admin: httpx.AsyncClient) -> None:
    cinema, first = await make_session(admin)
    second = await cinema.schedule(admin, "S2")

    ok(await _reserve(admin, first, {"sections": ["HALL"]}))

    assert await seat_states(admin, first) == "r" * 12
    assert await seat_states(admin, second) == "a" * 12

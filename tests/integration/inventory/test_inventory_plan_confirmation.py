"""Confirming a session's seat plan: what confirmation freezes, what an emergency seat may still
become, confirming twice, the plan of an unknown session, the audit chain across plan changes."""

from __future__ import annotations

import httpx
import pytest
from inventory_factories import (
    ADMIN,
    audit_log,
    error,
    key,
    make_session,
    ok,
    plan,
    seat_states,
    set_category,
    snapshot,
)


async def _confirm(admin: httpx.AsyncClient, session_id: int) -> httpx.Response:
    return await admin.post(f"{ADMIN}/sessions/{session_id}/plan/confirm")


async def test_confirming_freezes_the_categories(admin: httpx.AsyncClient) -> None:
    cinema, session_id = await make_session(admin)
    ok(await set_category(admin, session_id, {"seats": [key("A", 1)]}, "occupied"))
    (staff,) = await audit_log(admin, entity_type="staff_user")

    confirmed = ok(await _confirm(admin, session_id))

    assert confirmed == {
        "session_id": session_id,
        "seat_map_id": cinema.seat_map_id,
        "confirmed_at": "2026-11-22T08:00:00Z",
        "confirmed_by": f"staff:{staff['entity_id']}",
        "version": 2,
        "categories": {"occupied": 1, "sellable": 11},
    }
    assert await plan(admin, session_id) == confirmed
    (entry, *_) = await audit_log(admin, entity_type="session")
    assert (entry["action"], entry["data"]) == (
        "plan.confirmed",
        {"categories": {"occupied": 1, "sellable": 11}},
    )


@pytest.mark.parametrize(
    ("seat", "category"),
    [
        (key("B", 1), "occupied"),  # sellable seat
        (key("B", 1), "emergency"),
        (key("A", 1), "sellable"),  # occupied seat
        (key("A", 1), "registered"),
    ],
)
async def test_after_confirmation_an_ordinary_seat_keeps_its_category(
    admin: httpx.AsyncClient, seat: str, category: str
) -> None:
    _, session_id = await make_session(admin)
    ok(await set_category(admin, session_id, {"seats": [key("A", 1)]}, "occupied"))
    ok(await _confirm(admin, session_id))
    before = await snapshot(admin, session_id)

    body = error(
        await set_category(admin, session_id, {"seats": [seat]}, category), 409, "plan_confirmed"
    )

    assert body["details"] == {"seats": [seat], "count": 1}
    assert await snapshot(admin, session_id) == before


async def test_after_confirmation_an_emergency_seat_may_be_released_for_sale(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)
    ok(await set_category(admin, session_id, {"seats": [key("C", 4)]}, "emergency"))
    ok(await _confirm(admin, session_id))
    assert await seat_states(admin, session_id) == "a" * 11 + "b"

    released = await set_category(admin, session_id, {"seats": [key("C", 4)]}, "sellable")

    assert ok(released) == {"changed": 1}
    assert await seat_states(admin, session_id) == "a" * 12
    assert (await plan(admin, session_id))["categories"] == {"sellable": 12}

    kept_back = await set_category(admin, session_id, {"seats": [key("C", 4)]}, "emergency")

    assert ok(kept_back) == {"changed": 1}
    assert await seat_states(admin, session_id) == "a" * 11 + "b"


@pytest.mark.parametrize("category", ["occupied", "registered"])
async def test_after_confirmation_an_emergency_seat_may_only_become_sellable(
    admin: httpx.AsyncClient, category: str
) -> None:
    _, session_id = await make_session(admin)
    ok(await set_category(admin, session_id, {"seats": [key("C", 4)]}, "emergency"))
    ok(await _confirm(admin, session_id))
    before = await snapshot(admin, session_id)

    response = await set_category(admin, session_id, {"seats": [key("C", 4)]}, category)

    assert error(response, 409, "plan_confirmed")["details"] == {"seats": [key("C", 4)], "count": 1}
    assert await snapshot(admin, session_id) == before


async def test_after_confirmation_a_mixed_selection_changes_nothing(
    admin: httpx.AsyncClient,
) -> None:
    _, session_id = await make_session(admin)
    ok(await set_category(admin, session_id, {"seats": [key("A", 1)]}, "occupied"))
    ok(await set_category(admin, session_id, {"seats": [key("C", 1)]}, "emergency"))
    ok(await _confirm(admin, session_id))
    before = await snapshot(admin, session_id)

    response = await set_category(
        admin, session_id, {"seats": [key("A", 1), key("C", 1)]}, "sellable"
    )

    assert error(response, 409, "plan_confirmed")["details"] == {"seats": [key("A", 1)], "count": 1}
    assert await snapshot(admin, session_id) == before


async def test_a_plan_is_confirmed_once(admin: httpx.AsyncClient) -> None:
    _, session_id = await make_session(admin)
    ok(await _confirm(admin, session_id))
    before = await snapshot(admin, session_id)

    response = await _confirm(admin, session_id)

    assert error(response, 409, "plan_confirmed")["message"] == "the seat plan is already confirmed"
    assert await snapshot(admin, session_id) == before


async def test_the_plan_of_an_unknown_session_is_not_found(admin: httpx.AsyncClient) -> None:
    for response in (
        await admin.get(f"{ADMIN}/sessions/404/plan"),
        await _confirm(admin, 404),
        await set_category(admin, 404, {"sections": ["HALL"]}, "occupied"),
    ):
        assert error(response, 404, "not_found")["message"] in (
            "session 404 has no seat plan",
            "session 404 does not exist",
        )


async def test_plan_changes_keep_the_audit_chain_whole(admin: httpx.AsyncClient) -> None:
    _, session_id = await make_session(admin)
    ok(await set_category(admin, session_id, {"seats": [key("A", 1)]}, "emergency"))
    ok(await _confirm(admin, session_id))
    ok(await set_category(admin, session_id, {"seats": [key("A", 1)]}, "sellable"))

    chain = ok(await admin.get(f"{ADMIN}/audit/verify"))

    assert chain == {
        "ok": True,
        "entries": len(await audit_log(admin)),
        "broken_at_seq": None,
        "reason": None,
    }
    actions = [e["action"] for e in await audit_log(admin, entity_type="session")]
    assert actions == [
        "plan.category_set",
        "plan.confirmed",
        "plan.category_set",
        "session.created",
    ]

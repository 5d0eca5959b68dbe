"""Grants scoped to one organiser or venue reach only its resources (ROLE, U4)."""

from __future__ import annotations

import httpx

from tests.integration.catalog.catalog_factories import (
    make_event,
    make_organiser,
    make_venue_with_map,
    schedule_session,
)

PASSWORD = "Str0ng pass word!"


async def _as(admin: httpx.AsyncClient, username: str, grant: dict[str, str]) -> dict[str, str]:
    created = await admin.post(
        "/api/v1/admin/staff", json={"username": username, "password": PASSWORD, "grants": [grant]}
    )
    assert created.status_code == 201, created.text
    login = await admin.post(
        "/api/v1/auth/staff/login", json={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {login.json()['token']}"}


async def test_an_organiser_scope_covers_its_sessions_only(admin: httpx.AsyncClient) -> None:
    world = await make_venue_with_map(admin)
    other_org = await make_organiser(admin, code="OTHER", name="Other")
    other_event = await make_event(admin, other_org, number="EV2")
    other_session = await schedule_session(
        admin,
        event_id=other_event,
        venue_id=world.venue_id,
        seat_map_id=world.seat_map_id,
        code="S2",
    )
    ops = await _as(
        admin,
        "ops.scoped",
        {"role": "ticket_ops", "scope": "organiser", "scope_id": str(world.organiser_id)},
    )
    body = {"select": {"sections": ["HALL"]}, "category": "occupied"}
    mine = await admin.post(
        f"/api/v1/admin/sessions/{world.session_id}/plan/categories", json=body, headers=ops
    )
    assert mine.status_code == 200
    theirs = await admin.post(
        f"/api/v1/admin/sessions/{other_session}/plan/categories", json=body, headers=ops
    )
    assert theirs.status_code == 403
    assert theirs.json()["error"]["code"] == "forbidden"
    plan = (await admin.get(f"/api/v1/admin/sessions/{other_session}/plan")).json()
    assert plan["categories"] == {"sellable": 12}
    event = await admin.post(
        "/api/v1/admin/events",
        headers=ops,
        json={"organiser_id": other_org, "number": "EV9", "name": "Not mine", "category": "show"},
    )
    assert event.status_code == 403
    venue = await admin.post(
        "/api/v1/admin/venues", headers=ops, json={"code": "NEWV", "name": "New venue"}
    )
    assert venue.status_code == 403


async def test_a_venue_scope_covers_that_venues_map(admin: httpx.AsyncClient) -> None:
    world = await make_venue_with_map(admin)
    keeper = await _as(
        admin,
        "venue.keeper",
        {"role": "ticket_ops", "scope": "venue", "scope_id": str(world.venue_id)},
    )
    change = {"seats": [{"key": "L1-HALL-A-1", "damaged": True}]}
    ok = await admin.patch(
        f"/api/v1/admin/seatmaps/{world.seat_map_id}/seats", json=change, headers=keeper
    )
    assert ok.status_code == 200
    other = await admin.post("/api/v1/admin/venues", json={"code": "V2", "name": "Second"})
    refused = await admin.patch(
        f"/api/v1/admin/venues/{other.json()['id']}", headers=keeper, json={"name": "Renamed"}
    )
    assert refused.status_code == 403

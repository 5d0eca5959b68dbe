"""Grants scoped to one organiser or venue reach only its resources (ROLE, U4; issue 30,
item 3): lists show a scoped grant its own resources only, and a route that forgets to narrow
for a scoped grant fails loudly and writes nothing."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select

from admit.catalog.models import Organiser, Product
from admit.core.permissions import Permission, ScopeKind
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import narrowed, staff_writer
from admit.http.errors import install_error_handlers
from tests.conftest import TEST_ACTOR
from tests.integration.accounts.scoped_world import two_sides
from tests.integration.catalog.catalog_factories import (
    make_event,
    make_organiser,
    make_venue_with_map,
    schedule_session,
)

PASSWORD = "Str0ng pass word!"
# Declares that its route narrows to venues by itself: the route below forgets to.
ForgetfulWriter = Annotated[
    UnitOfWork, staff_writer(Permission.CATALOG_WRITE, scope=narrowed(ScopeKind.VENUE))
]


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


async def test_lists_show_a_scoped_grant_its_own_resources_only(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    mine, other = await two_sides(admin, runtime)
    ops = await _as(
        admin,
        "ops.mine",
        {"role": "ticket_ops", "scope": "organiser", "scope_id": str(mine["organiser_id"])},
    )
    gates = await _as(
        admin,
        "gates.mine",
        {"role": "validation_admin", "scope": "venue", "scope_id": str(mine["venue_id"])},
    )
    organisers = await admin.get("/api/v1/admin/organisers", headers=ops)
    assert [o["id"] for o in organisers.json()] == [mine["organiser_id"]]
    venues = await admin.get("/api/v1/admin/venues", headers=gates)
    assert [v["id"] for v in venues.json()] == [mine["venue_id"]]
    devices = await admin.get("/api/v1/admin/gate-devices", headers=gates)
    assert [d["id"] for d in devices.json()] == [mine["device_id"]]
    theirs = await admin.get(
        "/api/v1/admin/gate-devices", params={"venue_id": other["venue_id"]}, headers=gates
    )
    assert theirs.status_code == 403
    assert (await admin.get("/api/v1/admin/venues", headers=ops)).status_code == 403
    everything = await admin.get("/api/v1/admin/organisers")
    assert len(everything.json()) == 2  # a global grant still sees every organiser


async def test_a_route_that_forgets_to_narrow_fails_and_writes_nothing(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_venue_with_map(admin)
    forgetful = APIRouter()

    @forgetful.post("/forgetful")
    async def add_organiser(uow: ForgetfulWriter) -> dict[str, str]:
        uow.session.add(Organiser(code="LEAK", name="Leak", created_at=runtime.clock.now()))
        await uow.session.flush()
        return {"done": "yes"}

    app = FastAPI()
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(forgetful)
    scoped = await _as(
        admin,
        "venue.forgetful",
        {"role": "ticket_ops", "scope": "venue", "scope_id": str(world.venue_id)},
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        failed = await c.post("/forgetful", headers=scoped)
        assert failed.status_code == 500
        async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
            count = select(func.count()).select_from(Organiser).where(Organiser.code == "LEAK")
            assert await uow.session.scalar(count) == 0
        done = await c.post("/forgetful", headers=dict(admin.headers))  # a global grant
        assert (done.status_code, done.json()) == (200, {"done": "yes"})


async def test_a_scoped_grants_pass_covers_its_organisers_sessions_only(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    mine, other = await two_sides(admin, runtime)
    ops = await _as(
        admin,
        "ops.passes",
        {"role": "ticket_ops", "scope": "organiser", "scope_id": str(mine["organiser_id"])},
    )
    body = {
        "organiser_id": mine["organiser_id"],
        "code": "P-MIXED",
        "name": "Mixed",
        "session_ids": [mine["session_id"], other["session_id"]],
        "price": 100,
    }
    mixed = await admin.post("/api/v1/admin/passes", json=body, headers=ops)
    assert (mixed.status_code, mixed.json()["error"]["code"]) == (403, "forbidden")
    theirs = await admin.post(
        "/api/v1/admin/passes", json={**body, "organiser_id": other["organiser_id"]}, headers=ops
    )
    assert theirs.status_code == 403
    other_pass = await admin.get(f"/api/v1/admin/passes/{other['product_id']}", headers=ops)
    assert other_pass.status_code == 403
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Product)) == 2

"""The demo's storefront content: announcements live now, recommended sessions in order."""

from __future__ import annotations

import httpx

from admit.cli.demo_content import seed_content
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR
from tests.integration.catalog.catalog_factories import make_venue_with_map, ok, schedule_session


async def test_demo_content_announces_and_recommends_in_order(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_venue_with_map(admin)
    films = await schedule_session(
        admin,
        event_id=world.event_id,
        venue_id=world.venue_id,
        seat_map_id=world.seat_map_id,
        code="F-2026-002-0-2",
    )
    football = await schedule_session(
        admin,
        event_id=world.event_id,
        venue_id=world.venue_id,
        seat_map_id=world.seat_map_id,
        code="G-FB-01-S1",
    )
    async with runtime.uow(TEST_ACTOR) as uow:
        await seed_content(uow, now=runtime.clock.now())
    shown = ok(await admin.get("/api/v1/announcements"))
    assert [a["title"] for a in shown] == [
        "Games tickets are on sale",
        "Family matinees at Star Cinema Pudong",
    ]
    assert [r["session_id"] for r in ok(await admin.get("/api/v1/admin/recommendations"))] == [
        football,
        films,
    ]

"""Three sessions on sale with a pass over them, for the pass tests (sales and web)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from tests.conftest import T0
from tests.integration.catalog.catalog_factories import (
    STARTS,
    make_venue_with_map,
    schedule_session,
)

from admit.core.clock import FixedClock

ADMIN = "/api/v1/admin"
SEAT = "L1-HALL-A-1"


@dataclass(frozen=True, slots=True)
class Festival:
    sessions: list[int]
    organiser_id: int
    event_id: int


def ok(response: httpx.Response, status: int = 200) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


async def festival_on_sale(admin: httpx.AsyncClient, clock: FixedClock) -> Festival:
    """Three sessions of one event on one 4×5 map, a day apart, each on sale on the web
    (level A rows A–B at 8000, level B rows C–D) and at box office BO-1."""
    world = await make_venue_with_map(admin, rows=4, seats_per_row=5)
    sessions = [world.session_id]
    for day in (1, 2):
        sessions.append(
            await schedule_session(
                admin,
                event_id=world.event_id,
                venue_id=world.venue_id,
                seat_map_id=world.seat_map_id,
                code=f"S{day + 1}",
                starts_at=STARTS + timedelta(days=day),
            )
        )
    ok(
        await admin.post(
            f"{ADMIN}/outlets",
            json={"channel": "box_office", "code": "BO-1", "name": "Box office"},
        ),
        201,
    )
    for sid in sessions:
        levels = [
            {"code": "A", "name": "Front", "prices": {"adult": 8000}},
            {"code": "B", "name": "Back", "prices": {"adult": 5000}},
        ]
        ok(await admin.put(f"{ADMIN}/sessions/{sid}/price-levels", json={"levels": levels}))
        for level, rows in (("A", ("A", "B")), ("B", ("C", "D"))):
            select_rows = {"rows": [{"section": "HALL", "row": r} for r in rows]}
            ok(
                await admin.post(
                    f"{ADMIN}/sessions/{sid}/plan/price-levels",
                    json={"select": select_rows, "level": level},
                )
            )
        for channel in ("web", "box_office"):
            ok(
                await admin.post(
                    f"{ADMIN}/sessions/{sid}/sales-windows",
                    json={
                        "channel": channel,
                        "starts_at": (T0 + timedelta(hours=1)).isoformat(),
                        "ends_at": (T0 + timedelta(days=5)).isoformat(),
                        "per_person_limit": 4,
                        "payment_minutes": 15,
                        "quotas": [{"level": "A", "quota": 10}, {"level": "B", "quota": 10}],
                    },
                ),
                201,
            )
    clock.advance(timedelta(hours=2))
    return Festival(sessions, world.organiser_id, world.event_id)


async def make_pass(admin: httpx.AsyncClient, festival: Festival, **fields: object) -> int:
    body = {
        "organiser_id": festival.organiser_id,
        "code": "FEST",
        "name": "Festival pass",
        "session_ids": festival.sessions,
        "seat_mode": "fixed",
        "fixed_seat_key": SEAT,
        "price": 20000,
        **fields,
    }
    return int(ok(await admin.post(f"{ADMIN}/passes", json=body), 201)["id"])

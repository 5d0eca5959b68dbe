"""The world the stateful sales test's examples share: a small hall, three buyers, a new
session on sale for each example, and the loop that runs the machine's steps."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from tests.integration.catalog.catalog_factories import (
    import_map,
    make_event,
    make_organiser,
    make_venue,
    ok,
    schedule_session,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import customers_with_ids

from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once

T = TypeVar("T")
ADMIN = "/api/v1/admin"
ROWS = {"A": 3, "B": 3, "C": 2}  # seats per row
LEVEL_OF_ROW = {"A": "A", "B": "A", "C": "B"}
GA, GA_LEVEL, CAPACITY = "FLOOR", "GA", 3
PRICES = {"A": 8000, "B": 5000, GA_LEVEL: 3000}
POOL = [f"L1-HALL-{row}-{n}" for row, count in ROWS.items() for n in range(1, count + 1)]
PAY_MINUTES = 15
BUYERS = 3
OPEN_PAYMENT = ("created", "pending")
HALL = SeatMapSpec(
    name="Stateful hall",
    levels=(LevelSpec("L1", "Stalls"),),
    sections=(SectionSpec("HALL", "Hall", "L1"),),
    seats=tuple(
        SeatSpec("HALL", row, str(n), float(n), float(y))
        for y, (row, count) in enumerate(ROWS.items())
        for n in range(1, count + 1)
    ),
    ga_areas=(GAAreaSpec(GA, "Standing", CAPACITY, "L1"),),
)
SETTINGS = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def level_of(seat: str) -> str:
    return LEVEL_OF_ROW[seat.split("-")[2]]


# --- The world the examples share: the hall, the buyers, the loop that runs the steps ---------


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    runtime: Runtime
    admin: httpx.AsyncClient
    clock: FixedClock
    bank: Bank
    buyers: list[str]
    venue_id: int
    seat_map_id: int
    event_id: int
    sessions: int = 0

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run one step's coroutine on the test's event loop and wait for it (from the
        machine's thread)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=120)


async def make_world(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, bank: Bank
) -> World:
    venue_id = await make_venue(admin, code="HALL", name="Stateful hall")
    seat_map = await import_map(admin, venue_id, HALL)
    event_id = await make_event(admin, await make_organiser(admin), number="EVS")
    buyers = [f"customer:{cid}" for cid, _ in await customers_with_ids(runtime, BUYERS)]
    loop = asyncio.get_running_loop()
    return World(loop, runtime, admin, clock, bank, buyers, venue_id, seat_map["id"], event_id)


async def open_session(world: World, quotas: dict[str, int], limit: int) -> int:
    """A new session of the hall on sale on the web from now, for the rest of the run."""
    world.sessions += 1
    admin, now = world.admin, world.clock.now()
    starts = now + timedelta(days=3000, hours=3 * world.sessions)  # within ten years ahead
    sid = await schedule_session(
        admin,
        event_id=world.event_id,
        venue_id=world.venue_id,
        seat_map_id=world.seat_map_id,
        code=f"S{world.sessions}",
        starts_at=starts,
    )
    levels = [
        {"code": code, "name": f"Level {code}", "prices": {"adult": amount}}
        for code, amount in PRICES.items()
    ]
    ok(await admin.put(f"{ADMIN}/sessions/{sid}/price-levels", json={"levels": levels}))
    for level in ("A", "B"):
        rows = [{"section": "HALL", "row": r} for r, lv in LEVEL_OF_ROW.items() if lv == level]
        answer = await admin.post(
            f"{ADMIN}/sessions/{sid}/plan/price-levels",
            json={"select": {"rows": rows}, "level": level},
        )
        assert answer.status_code < 300, answer.text
    ga = await admin.post(
        f"{ADMIN}/sessions/{sid}/plan/ga-levels", json={"area": GA, "level": GA_LEVEL}
    )
    assert ga.status_code == 204, ga.text
    window = {
        "channel": "web",
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (starts - timedelta(days=1)).isoformat(),
        "per_person_limit": limit,
        "payment_minutes": PAY_MINUTES,
        "quotas": [{"level": code, "quota": n} for code, n in quotas.items()],
    }
    ok(await admin.post(f"{ADMIN}/sessions/{sid}/sales-windows", json=window), 201)
    return sid


async def drain(runtime: Runtime) -> None:
    """The worker until nothing is due: the sweeper, then jobs and the jobs they enqueue."""
    for _ in range(20):
        if await run_once(runtime) == 0:
            return
    raise AssertionError("the worker keeps finding due jobs")

"""Two sessions of one event for the after-sale tests: the first on sale as the sales tests
make it (or a fresh one per Hypothesis example, with codes of its own), the second at other
prices — where exchanges go."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import httpx
from tests.conftest import TEST_ACTOR
from tests.integration.catalog.catalog_factories import (
    STARTS,
    import_map,
    make_event,
    make_organiser,
    make_venue,
    ok,
    schedule_session,
)

from admit.catalog.models import Session
from admit.catalog.seatmap_generators import cinema_hall
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

ADMIN = "/api/v1/admin"
_worlds = itertools.count(1)


async def price_and_sell(
    admin: httpx.AsyncClient,
    clock: FixedClock,
    sid: int,
    prices: dict[str, int],
) -> None:
    """Levels A (rows A–B) and B (rows C–D) at ``prices``, sold on the web from now on."""
    levels = [{"code": c, "name": c, "prices": {"adult": p}} for c, p in prices.items()]
    ok(await admin.put(f"{ADMIN}/sessions/{sid}/price-levels", json={"levels": levels}))
    for level, rows in (("A", "AB"), ("B", "CD")):
        if level in prices:
            ok(
                await admin.post(
                    f"{ADMIN}/sessions/{sid}/plan/price-levels",
                    json={
                        "select": {"rows": [{"section": "HALL", "row": r} for r in rows]},
                        "level": level,
                    },
                )
            )
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{sid}/sales-windows",
            json={
                "channel": "web",
                "starts_at": (clock.now() - timedelta(minutes=1)).isoformat(),
                "ends_at": (clock.now() + timedelta(days=5)).isoformat(),
                "per_person_limit": 6,
                "quotas": [{"level": c, "quota": 10} for c in prices],
            },
        ),
        201,
    )


async def other_session(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, sid: int, price: int
) -> int:
    """A second session of the same event and hall, level A (rows A–B) at ``price``."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        first = await uow.session.get(Session, sid)
        assert first is not None
        event_id, venue_id, seat_map_id = first.event_id, first.venue_id, first.seat_map_id
        starts = first.starts_at
    other = await schedule_session(
        admin,
        event_id=event_id,
        venue_id=venue_id,
        seat_map_id=seat_map_id,
        code=f"S2-{next(_worlds)}",
        starts_at=starts + timedelta(days=1),
    )
    await price_and_sell(admin, clock, other, {"A": price})
    return other


@dataclass(frozen=True)
class World:
    organiser_id: int
    session_id: int  # levels A 80.00 (rows A–B) and B 50.00 (rows C–D)
    other_id: int  # the same event a day later: level A at 95.00


async def fresh_world(admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock) -> World:
    """A new organiser, venue, event and its two sessions on sale (a Hypothesis example's)."""
    n = next(_worlds)
    organiser = await make_organiser(admin, code=f"ORG-AS{n}", name=f"After-sale {n}")
    venue = await make_venue(admin, code=f"VEN-AS{n}", name=f"Hall {n}")
    seat_map = (await import_map(admin, venue, cinema_hall(rows=4, seats_per_row=5)))["id"]
    event = await make_event(admin, organiser, number=f"EV-AS{n}")
    sid = await schedule_session(
        admin,
        event_id=event,
        venue_id=venue,
        seat_map_id=seat_map,
        code=f"S1-AS{n}",
        starts_at=max(STARTS, clock.now() + timedelta(days=7)),
    )
    await price_and_sell(admin, clock, sid, {"A": 8000, "B": 5000})
    return World(organiser, sid, await other_session(admin, runtime, clock, sid, 9500))

"""General admission: places held with one conditional counter update; a rush of buyers takes
exactly the capacity and never more (invariant 1)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select
from tests.conftest import T0, TEST_ACTOR
from tests.integration.catalog.catalog_factories import (
    import_map,
    make_event,
    make_organiser,
    make_venue,
    schedule_session,
)

from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.inventory.claims import SoldOut
from admit.inventory.models import SessionGA, SessionGASlice
from admit.sales import consistency, hold_endings, holds
from admit.sales.models import HoldCount, WindowQuota, WindowQuotaSlice

ADMIN = "/api/v1/admin"
CLUB = SeatMapSpec(
    name="Club",
    levels=(LevelSpec("L1", "Floor"),),
    sections=(SectionSpec("BAL", "Balcony", "L1"),),
    seats=(SeatSpec("BAL", "1", "1", 0.0, 0.0),),
    ga_areas=(GAAreaSpec("FLOOR", "Standing", 100, "L1"),),
)


async def _ga_session(admin: httpx.AsyncClient, clock: FixedClock, quota: int) -> int:
    venue = await make_venue(admin, code="CLUB", name="Club")
    seat_map = await import_map(admin, venue, CLUB)
    event = await make_event(admin, await make_organiser(admin), category="show")
    sid = await schedule_session(admin, event_id=event, venue_id=venue, seat_map_id=seat_map["id"])
    await admin.put(
        f"{ADMIN}/sessions/{sid}/price-levels",
        json={"levels": [{"code": "GA", "name": "Standing", "prices": {"adult": 20000}}]},
    )
    mapped = await admin.post(
        f"{ADMIN}/sessions/{sid}/plan/ga-levels", json={"area": "FLOOR", "level": "GA"}
    )
    assert mapped.status_code == 204
    window = await admin.post(
        f"{ADMIN}/sessions/{sid}/sales-windows",
        json={
            "channel": "web",
            "starts_at": T0.isoformat(),
            "ends_at": (T0 + timedelta(days=1)).isoformat(),
            "per_person_limit": 4,
            "quotas": [{"level": "GA", "quota": quota}],
        },
    )
    assert window.status_code == 201, window.text
    clock.advance(timedelta(minutes=1))
    return sid


async def test_a_rush_takes_exactly_the_capacity(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await _ga_session(admin, clock, quota=100)

    async def buy(i: int) -> bool:
        try:
            async with runtime.uow(TEST_ACTOR) as uow:
                await holds.place_hold(
                    uow,
                    holds.HoldRequest(
                        session_id=sid, buyer=f"customer:{i}", channel="web", places=[("FLOOR", 1)]
                    ),
                    now=clock.now(),
                )
        except SoldOut:
            return False
        return True

    won = await asyncio.gather(*(buy(i) for i in range(140)))
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        ga = (await uow.session.scalars(select(SessionGA))).one()
        quota = (await uow.session.scalars(select(WindowQuota))).one()
    assert sum(won) == 100
    assert (ga.held, quota.held) == (100, 100)
    floor = (await client.get(f"/api/v1/sessions/{sid}/availability")).json()["ga"]
    assert floor == [{"code": "FLOOR", "name": "Standing", "capacity": 100, "available": 0}]


async def test_the_window_quota_caps_places_below_capacity(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await _ga_session(admin, clock, quota=3)
    async with runtime.uow(TEST_ACTOR) as uow:
        hold = await holds.place_hold(
            uow,
            holds.HoldRequest(
                session_id=sid, buyer="customer:1", channel="web", places=[("FLOOR", 3)]
            ),
            now=clock.now(),
        )
    try:
        async with runtime.uow(TEST_ACTOR) as uow:
            await holds.place_hold(
                uow,
                holds.HoldRequest(
                    session_id=sid, buyer="customer:2", channel="web", places=[("FLOOR", 1)]
                ),
                now=clock.now(),
            )
    except SoldOut:
        refused = True
    else:
        refused = False
    assert refused
    async with runtime.uow(TEST_ACTOR) as uow:
        await hold_endings.release_hold(uow, hold_id=hold.id, buyer="customer:1", now=clock.now())
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        ga = (await uow.session.scalars(select(SessionGA))).one()
        quota = (await uow.session.scalars(select(WindowQuota))).one()
    assert (ga.held, quota.held) == (0, 0)


async def _slices(runtime: Runtime) -> dict[str, list[tuple[int, int, int]]]:
    """(capacity, held, sold) of each slice of the area's and the quota's counters."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        out = {}
        for name, model in (("ga", SessionGASlice), ("quota", WindowQuotaSlice)):
            rows = await uow.session.execute(
                select(model.capacity, model.held, model.sold).order_by(model.slice)
            )
            out[name] = [(c, h, s) for c, h, s in rows]
    return out


async def test_holds_of_mixed_sizes_fill_split_counters_exactly(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """100 places are six slices: holds of 1–4 take from their own slice, a short slice is
    refilled from the others, and the counters end exactly full with no slice past its own
    capacity; a release gives back to the slice the hold took from."""
    sid = await _ga_session(admin, clock, quota=100)
    before = await _slices(runtime)
    assert before["ga"] == before["quota"] == [(17, 0, 0)] * 4 + [(16, 0, 0)] * 2
    sizes = [4, 3, 1, 4, 2, 4, 4, 3, 2, 4]
    taken, refused, held = 0, 0, []
    for i in range(60):
        n = sizes[i % len(sizes)]
        try:
            async with runtime.uow(TEST_ACTOR) as uow:
                hold = await holds.place_hold(
                    uow,
                    holds.HoldRequest(
                        session_id=sid, buyer=f"customer:{i}", channel="web", places=[("FLOOR", n)]
                    ),
                    now=clock.now(),
                )
        except SoldOut:
            refused += 1
            assert 100 - taken < n  # refused only when the counter really has too few
            continue
        taken += n
        held.append(hold)
    after = await _slices(runtime)
    assert taken == 100
    assert refused > 0
    for name in ("ga", "quota"):
        assert sum(c for c, _, _ in after[name]) == 100
        assert sum(h for _, h, _ in after[name]) == 100
        assert all(h <= c for c, h, _ in after[name]), after[name]
    assert after["ga"] != before["ga"]  # short slices were refilled from the others
    first = held[0]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        (count,) = (
            await uow.session.scalars(
                select(HoldCount).where(
                    HoldCount.hold_id == first.id, HoldCount.session_ga_id.is_not(None)
                )
            )
        ).all()
    assert count.slice == first.id % 6
    async with runtime.uow(TEST_ACTOR) as uow:
        await hold_endings.release_hold(uow, hold_id=first.id, buyer=first.buyer, now=clock.now())
    released = await _slices(runtime)
    assert released["ga"][count.slice][1] == after["ga"][count.slice][1] - count.quantity
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await consistency.problems(uow) == []

"""The world of the hold contract tests (``test_hold_contract.py``): an arena with seats on
sale, seats at a level the window does not sell, a standing floor sold through a quota below
its capacity and a box not sold at all; and a ``Sale`` that places holds, catches refusals
(checking that each wrote nothing) and reads every row a hold writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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

from admit.catalog.models import Seat
from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec
from admit.core.clock import FixedClock
from admit.core.errors import AdmitError
from admit.core.runtime import Runtime
from admit.inventory.models import SessionGASlice, SessionSeat
from admit.sales import consistency, holds, orders
from admit.sales.hold_requests import Placed
from admit.sales.models import BuyerUsage, Hold, HoldCount, WindowQuotaSlice
from admit.sales.order_views import LineInput, OrderView

ADMIN = "/api/v1/admin"
LIMIT, PAY_MINUTES, QUOTA_P, QUOTA_G = 6, 15, 8, 50
ROW_A = [f"L1-S-A-{n}" for n in range(1, 7)]  # level P, on sale
ROW_B = [f"L1-S-B-{n}" for n in range(1, 7)]  # level Q: no quota in the window
ARENA = SeatMapSpec(
    name="Arena",
    levels=(LevelSpec("L1", "Ground"),),
    sections=(SectionSpec("S", "Stand", "L1"),),
    seats=tuple(
        SeatSpec("S", row, str(n), float(n), float(y))
        for y, row in enumerate("AB")
        for n in range(1, 7)
    ),
    ga_areas=(GAAreaSpec("FLOOR", "Floor", 100, "L1"), GAAreaSpec("BOX", "Box", 10, "L1")),
)


async def arena(admin: httpx.AsyncClient, clock: FixedClock) -> int:
    """Row A at level P (quota 8), the floor at level G (quota 50, capacity 100), row B and
    the box at levels the web window has no quota for; limit 6, 15 minutes to pay."""
    venue = await make_venue(admin, code="ARENA", name="Arena")
    seat_map = await import_map(admin, venue, ARENA)
    event_id = await make_event(admin, await make_organiser(admin), category="show")
    sid = await schedule_session(
        admin, event_id=event_id, venue_id=venue, seat_map_id=seat_map["id"]
    )
    levels = [
        {"code": code, "name": code, "prices": {"adult": 5000}} for code in ("P", "Q", "G", "X")
    ]
    put = await admin.put(f"{ADMIN}/sessions/{sid}/price-levels", json={"levels": levels})
    assert put.status_code < 300, put.text
    for level, row in (("P", "A"), ("Q", "B")):
        mapped = await admin.post(
            f"{ADMIN}/sessions/{sid}/plan/price-levels",
            json={"select": {"rows": [{"section": "S", "row": row}]}, "level": level},
        )
        assert mapped.status_code < 300, mapped.text
    for area, level in (("FLOOR", "G"), ("BOX", "X")):
        mapped = await admin.post(
            f"{ADMIN}/sessions/{sid}/plan/ga-levels", json={"area": area, "level": level}
        )
        assert mapped.status_code == 204, mapped.text
    window = await admin.post(
        f"{ADMIN}/sessions/{sid}/sales-windows",
        json={
            "channel": "web",
            "starts_at": T0.isoformat(),
            "ends_at": (T0 + timedelta(days=1)).isoformat(),
            "per_person_limit": LIMIT,
            "payment_minutes": PAY_MINUTES,
            "quotas": [{"level": "P", "quota": QUOTA_P}, {"level": "G", "quota": QUOTA_G}],
        },
    )
    assert window.status_code == 201, window.text
    clock.advance(timedelta(minutes=1))
    return sid


@dataclass
class Sale:
    """A sale of the arena: holds (and orders) placed the way the routes place them."""

    runtime: Runtime
    clock: FixedClock
    sid: int

    def request(
        self,
        buyer: str,
        seats: Sequence[str] = (),
        places: int = 0,
        *,
        key: str | None = None,
        area: str = "FLOOR",
    ) -> holds.HoldRequest:
        return holds.HoldRequest(
            session_id=self.sid,
            buyer=buyer,
            channel="web",
            seat_keys=list(seats),
            places=[(area, places)] if places else [],
            idempotency_key=key,
        )

    async def hold(
        self, buyer: str, seats: Sequence[str] = (), places: int = 0, **kw: Any
    ) -> Placed:
        async with self.runtime.uow(TEST_ACTOR) as uow:
            return await holds.hold_seats(
                uow, self.request(buyer, seats, places, **kw), now=self.clock.now()
            )

    async def order(
        self, hold_id: int, lines: Sequence[LineInput], *, buyer: str = "customer:1", key: str
    ) -> OrderView:
        async with self.runtime.uow(TEST_ACTOR) as uow:
            return await orders.order_hold(
                uow,
                hold_id=hold_id,
                buyer=buyer,
                lines=lines,
                idempotency_key=key,
                now=self.clock.now(),
            )

    async def refused(
        self, buyer: str, seats: Sequence[str] = (), places: int = 0, **kw: Any
    ) -> AdmitError:
        """The refusal of this hold, having checked that it wrote nothing."""
        before = await self.snapshot()
        try:
            await self.hold(buyer, seats, places, **kw)
        except AdmitError as refusal:
            assert await self.snapshot() == before
            return refusal
        raise AssertionError("the hold was placed")

    async def snapshot(self) -> dict[str, Any]:
        """Every row a hold writes."""
        async with self.runtime.uow(TEST_ACTOR, readonly=True) as uow:
            s = uow.session
            return {
                "holds": (await s.execute(select(Hold.id, Hold.status).order_by(Hold.id))).all(),
                "usage": (
                    await s.execute(
                        select(BuyerUsage.buyer, BuyerUsage.held).order_by(BuyerUsage.buyer)
                    )
                ).all(),
                "seats": (
                    await s.execute(
                        select(Seat.key, SessionSeat.status, SessionSeat.hold_id)
                        .join(SessionSeat, SessionSeat.seat_id == Seat.id)
                        .where(SessionSeat.session_id == self.sid)
                        .order_by(Seat.key)
                    )
                ).all(),
                "counts": (
                    await s.execute(
                        select(
                            HoldCount.hold_id,
                            HoldCount.session_ga_id,
                            HoldCount.quota_id,
                            HoldCount.slice,
                            HoldCount.quantity,
                        ).order_by(HoldCount.id)
                    )
                ).all(),
                "ga": (
                    await s.execute(
                        select(
                            SessionGASlice.counter_id, SessionGASlice.slice, SessionGASlice.held
                        ).order_by(SessionGASlice.counter_id, SessionGASlice.slice)
                    )
                ).all(),
                "quota": (
                    await s.execute(
                        select(
                            WindowQuotaSlice.counter_id,
                            WindowQuotaSlice.slice,
                            WindowQuotaSlice.held,
                            WindowQuotaSlice.capacity,
                        ).order_by(WindowQuotaSlice.counter_id, WindowQuotaSlice.slice)
                    )
                ).all(),
            }

    async def problems(self) -> list[str]:
        async with self.runtime.uow(TEST_ACTOR, readonly=True) as uow:
            return await consistency.problems(uow)

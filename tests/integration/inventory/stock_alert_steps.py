"""A hall selling at the box office, for the low-stock alert tests: its setup, its sales and
what the alerts left behind (notices, audit entries)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
from sqlalchemy import select, update
from tests.conftest import TEST_ACTOR
from tests.integration.catalog.catalog_factories import make_venue_with_map, ok
from tests.integration.sales.sale_factories import box_office, counter_order

from admit.catalog.models import Seat
from admit.core.audit import AuditEntry, PendingAudit
from admit.core.runtime import Runtime
from admit.inventory.models import SessionSeat

ADMIN = "/api/v1/admin"
SEATS = [f"L1-HALL-{row}-{n}" for row in "AB" for n in range(1, 11)]  # 20 seats, one level


async def selling_hall(admin: httpx.AsyncClient, runtime: Runtime) -> tuple[int, dict[str, str]]:
    """A 2×10 hall, every seat at level A ("Stalls"), sold at box office BO-1: the session
    and the clerk's Authorization header."""
    world = await make_venue_with_map(admin, rows=2, seats_per_row=10)
    sid = world.session_id
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{sid}/price-levels",
            json={"levels": [{"code": "A", "name": "Stalls", "prices": {"adult": 5000}}]},
        )
    )
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{sid}/plan/price-levels",
            json={
                "select": {"rows": [{"section": "HALL", "row": r} for r in "AB"]},
                "level": "A",
            },
        )
    )
    return sid, await box_office(admin, runtime, sid, quota_a=20)


async def set_states(runtime: Runtime, sid: int, keys: list[str], status: str) -> None:
    """Put seats in a state directly: the sales (or the refunds) before the test's own."""
    async with runtime.uow(TEST_ACTOR) as uow:
        done = await uow.session.execute(
            update(SessionSeat)
            .where(
                SessionSeat.session_id == sid,
                SessionSeat.seat_id.in_(select(Seat.id).where(Seat.key.in_(keys))),
            )
            .values(status=status),
            execution_options={"synchronize_session": False},
        )
        assert done.rowcount == len(keys)


async def sell(
    client: httpx.AsyncClient, clerk: dict[str, str], sid: int, seat: str, key: str
) -> None:
    """Sell one seat at the counter, paid in cash."""
    order = await counter_order(client, clerk, sid, [seat], key)
    ok(
        await client.post(
            f"/api/v1/counter/orders/{order['number']}/cash",
            headers=clerk,
            json={"received": order["total"]},
        )
    )


async def sell_each(
    client: httpx.AsyncClient, clerk: dict[str, str], sid: int, seats: list[str]
) -> None:
    """Sell the seats at once, one sale each."""
    await asyncio.gather(*(sell(client, clerk, sid, s, f"alert-{s}") for s in seats))


async def notices(admin: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(await admin.get(f"{ADMIN}/notices", params=params))
    return found


async def alert_entries(runtime: Runtime, sid: int) -> list[dict[str, Any]]:
    """The audit entries of the session's alerts, chained or not, oldest first."""
    found = []
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        for model in (AuditEntry, PendingAudit):
            rows = await uow.session.execute(
                select(model.at, model.id, model.action, model.data).where(
                    model.entity_type == "session",
                    model.entity_id == str(sid),
                    model.action.in_(["stock.low", "stock.sold_out"]),
                )
            )
            found += [(at, model is PendingAudit, i, a, d) for at, i, a, d in rows]
    return [{"action": a, **orjson.loads(d)} for *_, a, d in sorted(found)]

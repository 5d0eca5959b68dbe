"""Real tickets for the gate tests: a hall on sale (the sales factories), sold for cash at a box
office by the administrator, plus gates, devices and a policy made through the admin API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from tests.conftest import T0, TEST_ACTOR
from tests.integration.sales.sale_factories import ROW_A, ROW_B, on_sale

from admit.catalog.models import Session
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.ticketing.models import Ticket

ADMIN = "/api/v1/admin"
GATE = "/api/v1/gate"
# The sales factories' session starts at 19:30 on 1 December; the doors open at 16:30.
DOORS = datetime(2026, 12, 1, 18, 0, tzinfo=T0.tzinfo)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass(frozen=True, slots=True)
class Sold:
    session_id: int
    venue_id: int
    organiser_id: int
    order_number: str
    tickets: list[Ticket]  # in seat order of the sale


async def sell(
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    seats: list[str] | None = None,
) -> Sold:
    """A 4×5 hall on sale; the administrator sells ``seats`` (default: row A and B, 10
    seats) for cash at box office BO-1 and the tickets are issued."""
    sid = await on_sale(admin, clock)
    ok(
        await admin.post(
            f"{ADMIN}/outlets",
            json={"channel": "box_office", "code": "BO-1", "name": "Box office"},
        ),
        201,
    )
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{sid}/sales-windows",
            json={
                "channel": "box_office",
                "starts_at": T0.isoformat(),
                "ends_at": (T0 + timedelta(days=5)).isoformat(),
                "per_person_limit": 20,
                "quotas": [{"level": "A", "quota": 10}, {"level": "B", "quota": 10}],
            },
        ),
        201,
    )
    wanted = seats if seats is not None else ROW_A + ROW_B
    hold = ok(
        await admin.post(
            f"/api/v1/counter/sessions/{sid}/holds",
            json={"channel": "box_office", "outlet": "BO-1", "seats": wanted},
        ),
        201,
    )
    order = ok(
        await admin.post(
            f"/api/v1/counter/holds/{hold['id']}/order",
            headers={"Idempotency-Key": f"gate-{uuid.uuid4()}"},
            json={"lines": [{"seat": s} for s in wanted]},
        ),
        201,
    )
    ok(
        await admin.post(
            f"/api/v1/counter/orders/{order['number']}/cash", json={"received": order["total"]}
        )
    )
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        session = await uow.session.get(Session, sid)
        assert session is not None
        rows = (
            await uow.session.scalars(select(Ticket).where(Ticket.order_number == order["number"]))
        ).all()
    by_seat = {t.seat_key: t for t in rows}
    return Sold(
        session_id=sid,
        venue_id=session.venue_id,
        organiser_id=rows[0].organiser_id,
        order_number=order["number"],
        tickets=[by_seat[s] for s in wanted],
    )


async def make_gates(admin: httpx.AsyncClient, venue_id: int) -> None:
    """North entrance N with lane N-1, south entrance S."""
    for body in (
        {"code": "N", "name": "North entrance"},
        {"code": "N-1", "name": "North lane 1", "kind": "lane", "parent": "N"},
        {"code": "S", "name": "South entrance"},
    ):
        ok(await admin.post(f"{ADMIN}/venues/{venue_id}/gates", json=body), 201)


async def register(
    admin: httpx.AsyncClient, venue_id: int, number: str, gate: str | None = None
) -> dict[str, str]:
    """A handheld at the venue: the headers it authenticates with."""
    body = ok(
        await admin.post(
            f"{ADMIN}/gate-devices",
            json={
                "number": number,
                "device_type": "handheld",
                "venue_id": venue_id,
                "gate": gate,
            },
        ),
        201,
    )
    return {"X-Device-Key": body["credential"]}

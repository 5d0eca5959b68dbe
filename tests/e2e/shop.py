"""What buyers and the operator do in the end-to-end tests: an admin token, customers with
tokens, a session on sale seeded through the admin API, and a buyer's HTTP calls (hold, order,
pay on the bank's page), plus the consistency check read in one snapshot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import (
    Awaitable,
    Sequence,
)
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admit.accounts import customers, staff
from admit.accounts.customer_phones import phone_columns
from admit.accounts.models import Customer
from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall
from admit.catalog.seatmap_spec import GAAreaSpec
from admit.core.permissions import Grant, Role
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.sales import consistency
from admit.sales.models import Order
from tests.conftest import ROOT_PASSWORD, TEST_ACTOR
from tests.e2e.harness import GA_AREA, GATEWAY_RETRIES, Cluster


async def create_admin(rt: Runtime) -> str:
    """A system administrator; its bearer token."""
    now = datetime.now(UTC)
    async with rt.uow(TEST_ACTOR) as uow:
        admin = await staff.create_staff(
            uow,
            rt.crypto,
            staff.NewStaff(
                username="root", password=ROOT_PASSWORD, grants=[Grant(Role.SYSTEM_ADMIN)]
            ),
            now=now,
        )
        issued = await staff.issue_token(
            uow, staff_id=admin.id, now=now, lifetime=timedelta(hours=2)
        )
    return str(issued.token)


_phones = iter(range(10**8))


async def create_customers(rt: Runtime, count: int) -> list[str]:
    """``count`` customers (distinct phones across the process); their bearer tokens."""
    now = datetime.now(UTC)
    tokens = []
    async with rt.uow(TEST_ACTOR) as uow:
        for _ in range(count):
            phone = f"139{next(_phones):08d}"
            c = Customer(**phone_columns(rt.crypto, phone), source_channel="web", created_at=now)
            uow.session.add(c)
            await uow.session.flush()
            tokens.append(str((await customers.issue_token(uow, c.id, "e2e", now)).token))
    return tokens


async def _created(response: Awaitable[httpx.Response]) -> dict[str, Any]:
    r = await response
    assert r.is_success, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    body: dict[str, Any] = r.json() if r.content else {}
    return body


async def seed_session(
    url: str,
    admin_token: str,
    tag: str,
    *,
    quotas: dict[str, int],
    per_person_limit: int,
    payment_minutes: int = 15,
    ga_capacity: int = 500,
    rows: int = 5,
    seats_per_row: int = 10,
) -> int:
    """Through the admin API: organiser, venue, a hall (5 × 10 unless told) with a GA area,
    event and session priced S (seats, 100.00) and GA (standing, 50.00), and a web sales window
    open now with the given quotas per level. Returns the session id; ``tag`` keeps codes
    unique."""
    now = datetime.now(UTC)
    spec = replace(
        cinema_hall(f"Hall {tag}", rows=rows, seats_per_row=seats_per_row),
        ga_areas=(GAAreaSpec(GA_AREA, "Standing", ga_capacity, "L1"),),
    )
    async with httpx.AsyncClient(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {admin_token}"}
    ) as a:
        org = await _created(
            a.post("/api/v1/admin/organisers", json={"code": f"O{tag}", "name": f"O {tag}"})
        )
        venue = await _created(
            a.post("/api/v1/admin/venues", json={"code": f"V{tag}", "name": f"V {tag}"})
        )
        smap = await _created(
            a.post(
                f"/api/v1/admin/venues/{venue['id']}/seatmaps",
                content=to_json(spec),
                headers={"content-type": "application/json"},
            )
        )
        event = await _created(
            a.post(
                "/api/v1/admin/events",
                json={
                    "organiser_id": org["id"],
                    "number": f"E{tag}",
                    "name": f"Race {tag}",
                    "category": "show",
                },
            )
        )
        session = await _created(
            a.post(
                "/api/v1/admin/sessions",
                json={
                    "event_id": event["id"],
                    "venue_id": venue["id"],
                    "seat_map_id": smap["id"],
                    "code": f"S{tag}",
                    "starts_at": (now + timedelta(days=2)).isoformat(),
                    "ends_at": (now + timedelta(days=2, hours=2)).isoformat(),
                },
            )
        )
        sid = int(session["id"])
        await _created(
            a.put(
                f"/api/v1/admin/sessions/{sid}/price-levels",
                json={
                    "levels": [
                        {"code": "S", "name": "Seats", "prices": {"adult": 10000}},
                        {"code": "GA", "name": "Standing", "prices": {"adult": 5000}},
                    ]
                },
            )
        )
        await _created(
            a.post(
                f"/api/v1/admin/sessions/{sid}/plan/price-levels",
                json={"select": {"sections": ["HALL"]}, "level": "S"},
            )
        )
        await _created(
            a.post(
                f"/api/v1/admin/sessions/{sid}/plan/ga-levels",
                json={"area": GA_AREA, "level": "GA"},
            )
        )
        await _created(
            a.post(
                f"/api/v1/admin/sessions/{sid}/sales-windows",
                json={
                    "channel": "web",
                    "starts_at": (now - timedelta(hours=1)).isoformat(),
                    "ends_at": (now + timedelta(days=1)).isoformat(),
                    "per_person_limit": per_person_limit,
                    "payment_minutes": payment_minutes,
                    "quotas": [{"level": k, "quota": v} for k, v in quotas.items()],
                },
            )
        )
    return sid


# --- buying ---------------------------------------------------------------------------------


def error_code(r: httpx.Response) -> str:
    """The API error's code, or "" for a success."""
    if r.status_code < 400:
        return ""
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"http_{r.status_code}"


def order_lines(hold: dict[str, Any], body: dict[str, Any]) -> list[dict[str, str]]:
    """One order line per ticket of a hold: its seats, and one line per GA place asked."""
    lines = [{"seat": s} for s in hold["seats"]]
    for p in body.get("places", []):
        lines += [{"area": p["area"]}] * int(p["quantity"])
    return lines


class Shop:
    """HTTP clients of the servers (buyer ``i`` uses server ``i % n``) and of the bank's
    payer pages. Connections are not kept alive: uvicorn closes an idle one after 5 s, and a
    request sent on it at that moment fails with a reset (a client would retry; the races here
    must not depend on it)."""

    def __init__(self, cluster: Cluster, *, connections: int = 200) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=0)
        self.clients = [
            httpx.AsyncClient(base_url=u, timeout=90, limits=limits) for u in cluster.urls
        ]
        self.bank = httpx.AsyncClient(timeout=90, limits=limits)
        self.gateway_retries = 0

    async def aclose(self) -> None:
        for c in [*self.clients, self.bank]:
            await c.aclose()

    def client(self, i: int) -> httpx.AsyncClient:
        return self.clients[i % len(self.clients)]

    @staticmethod
    def auth(token: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def hold(
        self, i: int, token: str, sid: int, body: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        return await self.client(i).post(
            f"/api/v1/sessions/{sid}/holds", json=body, headers=self.auth(token, key)
        )

    async def order(
        self, i: int, token: str, hold_id: int, lines: list[dict[str, str]], key: str
    ) -> httpx.Response:
        return await self.client(i).post(
            f"/api/v1/holds/{hold_id}/order", json={"lines": lines}, headers=self.auth(token, key)
        )

    async def start_payment(self, i: int, token: str, number: str) -> httpx.Response:
        """Open the order's bank payment. A bank that answers too late under load leaves the
        payment ``created`` (503 ``gateway_unavailable``): asking again is the documented
        retry, which cannot make a second trade."""
        for attempt in range(GATEWAY_RETRIES):
            r = await self.client(i + attempt).post(
                f"/api/v1/orders/{number}/payments",
                json={"method": "bank"},
                headers=self.auth(token),
            )
            if error_code(r) != "gateway_unavailable":
                break
            self.gateway_retries += 1
            await asyncio.sleep(0.5)
        return r

    async def decide(self, pay_url: str, decision: str = "approve") -> httpx.Response:
        """The payer's click on the bank's page (303 back to the merchant when taken)."""
        return await self.bank.post(pay_url, data={"decision": decision})

    async def get(self, i: int, token: str, path: str) -> httpx.Response:
        return await self.client(i).get(f"/api/v1{path}", headers=self.auth(token))


@dataclass
class Purchase:
    """What one buyer's hold → order → payment → approval came to."""

    buyer: int
    hold_status: int
    hold_error: str
    hold_id: int | None = None
    seats: list[str] = field(default_factory=list)
    order: str | None = None
    payment: str | None = None


async def buy(shop: Shop, i: int, token: str, sid: int, body: dict[str, Any]) -> Purchase:
    """Hold, order what is held, open a bank payment and approve it on the bank's page. A
    refused hold ends the purchase; every later step must succeed."""
    r = await shop.hold(i, token, sid, body)
    assert r.status_code in (201, 409), r.text
    if r.status_code != 201:
        return Purchase(i, r.status_code, error_code(r))
    hold = r.json()
    done = Purchase(i, 201, "", hold["id"], list(hold["seats"]))
    return await pay_hold(shop, i, token, done, order_lines(hold, body))


async def pay_hold(
    shop: Shop, i: int, token: str, done: Purchase, lines: list[dict[str, str]]
) -> Purchase:
    assert done.hold_id is not None
    r = await shop.order(i, token, done.hold_id, lines, key=f"order-for-hold-{done.hold_id}")
    assert r.status_code == 201, r.text
    done.order = str(r.json()["number"])
    r = await shop.start_payment(i, token, done.order)
    assert r.status_code == 201, r.text
    payment = r.json()
    done.payment = str(payment["number"])
    assert payment["pay_url"], payment
    r = await shop.decide(payment["pay_url"])
    assert r.status_code == 303, r.text
    return done


async def wait_for_orders(
    rt: Runtime, numbers: Sequence[str], status: str = "paid", timeout: float = 60.0
) -> dict[str, str]:
    """Poll the database until every order has ``status`` (the bank's notifications arrive
    asynchronously); returns each order's status at the end, whether or not they all got
    there."""
    deadline = time.monotonic() + timeout
    while True:
        async with rt.uow(TEST_ACTOR, readonly=True) as uow:
            found = dict(
                (
                    await uow.session.execute(
                        select(Order.number, Order.status).where(Order.number.in_(numbers))
                    )
                ).all()
            )
        if all(found.get(n) == status for n in numbers) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.25)


async def problems(rt: Runtime) -> list[str]:
    """The consistency checker's findings, read from one snapshot (REPEATABLE READ): its
    queries would otherwise see transactions that commit between them, as they do while
    servers are still selling."""
    engine = rt.engine.execution_options(isolation_level="REPEATABLE READ")
    async with AsyncSession(engine) as session:
        found: list[str] = await consistency.problems(UnitOfWork(session, TEST_ACTOR))
        await session.rollback()
    return found

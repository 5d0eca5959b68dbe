"""Many buyers racing for the same seats and GA places through the HTTP API, served by two
server processes on one PostgreSQL database (invariant 1): no seat is held twice, the GA
quota is never exceeded, every loser gets a clean 409."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from admit.inventory.models import SessionGA, SessionSeat
from tests.conftest import TEST_ACTOR
from tests.e2e.harness import (
    GA_AREA,
    SEATS,
    Cluster,
    fresh_database,
    start_cluster,
)
from tests.e2e.shop import (
    create_admin,
    create_customers,
    error_code,
    seed_session,
)

pytestmark = pytest.mark.whole_machine  # its own group: it needs the machine to itself

BUYERS = 200
SERVERS = 2


@pytest.fixture
def cluster(pg_template: str, tmp_path: Path) -> Iterator[Cluster]:
    with (
        fresh_database(pg_template, "race") as pg_url,
        start_cluster(pg_url, tmp_path, servers=SERVERS) as running,
    ):
        yield running


async def test_two_hundred_buyers_on_two_servers(cluster: Cluster) -> None:
    async with cluster.runtime() as rt:
        admin_token = await create_admin(rt)
        tokens = await create_customers(rt, BUYERS)
        sid = await seed_session(
            cluster.urls[0], admin_token, "H", quotas={"S": 50, "GA": 60}, per_person_limit=4
        )
        rng = random.Random(7)
        limits = httpx.Limits(max_connections=BUYERS)
        clients = [httpx.AsyncClient(base_url=u, timeout=60, limits=limits) for u in cluster.urls]

        async def buyer(i: int) -> tuple[str, int, str]:
            client = clients[i % SERVERS]
            auth = {"Authorization": f"Bearer {tokens[i]}"}
            body: dict[str, Any]
            if i % 2:
                body = {"seats": rng.sample(SEATS, 2)}
                kind = "seats"
            else:
                body = {"places": [{"area": GA_AREA, "quantity": 1}]}
                kind = "ga"
            r = await client.post(f"/api/v1/sessions/{sid}/holds", json=body, headers=auth)
            return kind, r.status_code, error_code(r)

        try:
            results = await asyncio.gather(*(buyer(i) for i in range(BUYERS)))
        finally:
            for c in clients:
                await c.aclose()
        outcomes = Counter(results)
        assert {status for _, status, _ in results} <= {201, 409}, outcomes
        assert {code for _, status, code in results if status == 409} <= {
            "seats_taken",
            "sold_out",
        }, outcomes
        async with rt.uow(TEST_ACTOR, readonly=True) as uow:
            held_seats = await uow.session.scalar(
                select(func.count()).where(
                    SessionSeat.session_id == sid, SessionSeat.status == "held"
                )
            )
            distinct_holds = await uow.session.scalar(
                select(func.count(func.distinct(SessionSeat.hold_id))).where(
                    SessionSeat.session_id == sid, SessionSeat.status == "held"
                )
            )
            ga = (
                await uow.session.scalars(select(SessionGA).where(SessionGA.session_id == sid))
            ).one()
    seat_winners = outcomes[("seats", 201, "")]
    assert held_seats == 2 * seat_winners  # every winner has exactly its two seats
    assert distinct_holds == seat_winners
    assert held_seats <= 50
    assert ga.held == outcomes[("ga", 201, "")] == 60  # 100 buyers asked, the quota is 60
    assert outcomes[("ga", 409, "sold_out")] == 40

"""Many buyers racing for the same seats and GA places through the HTTP API, served by two
server processes on one PostgreSQL database (invariant 1): no seat is held twice, the GA
quota is never exceeded, every loser gets a clean 409."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from admit.accounts import customers, staff
from admit.accounts.models import Customer
from admit.accounts.permissions import Grant, Role
from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall
from admit.catalog.seatmap_spec import GAAreaSpec
from admit.core.config import Settings
from admit.core.runtime import Runtime
from admit.inventory.models import SessionGA, SessionSeat
from tests.conftest import ROOT_PASSWORD, TEST_ACTOR, _pg_admin, _pg_url

BUYERS = 200
SERVERS = 2
KEYS = {
    "ADMIT_FIELD_KEYS": Fernet.generate_key().decode(),
    "ADMIT_LOOKUP_KEY": Fernet.generate_key().decode(),
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def pg_url(pg_template: str) -> AsyncIterator[str]:
    name = f"admit_race_{os.getpid()}"
    await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await _pg_admin(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield _pg_url(name)
    await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def servers(pg_url: str, tmp_path: Path) -> Iterator[list[str]]:
    env = {
        **os.environ,
        **KEYS,
        "ADMIT_DATABASE_URL": pg_url,
        "ADMIT_DATA_DIR": str(tmp_path),
        "ADMIT_RUN_WORKER_IN_PROCESS": "false",
        "ADMIT_SIMULATORS_IN_PROCESS": "false",
        "ADMIT_LOG_LEVEL": "WARNING",
        "ADMIT_DB_POOL_SIZE": "20",
    }
    procs, urls = [], []
    for _ in range(SERVERS):
        port = _port()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "admit", "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, "a server process died"
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


async def _seed(rt: Runtime, url: str) -> tuple[int, list[str]]:
    now = datetime.now(UTC)
    async with rt.uow(TEST_ACTOR) as uow:
        admin = await staff.create_staff(
            uow,
            staff.NewStaff(
                username="root", password=ROOT_PASSWORD, grants=[Grant(Role.SYSTEM_ADMIN)]
            ),
            now=now,
        )
        admin_token = (
            await staff.issue_token(uow, staff_id=admin.id, now=now, lifetime=timedelta(hours=1))
        ).token
        tokens = []
        for i in range(BUYERS):
            c = Customer(phone=f"1330000{i:04d}", source_channel="web", created_at=now)
            uow.session.add(c)
            await uow.session.flush()
            tokens.append((await customers.issue_token(uow, c.id, "race", now)).token)
    spec = replace(
        cinema_hall("Race hall", rows=5, seats_per_row=10),
        ga_areas=(GAAreaSpec("FLOOR", "Standing", 500, "L1"),),
    )
    async with httpx.AsyncClient(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {admin_token}"}
    ) as a:
        org = (await a.post("/api/v1/admin/organisers", json={"code": "O", "name": "O"})).json()
        venue = (await a.post("/api/v1/admin/venues", json={"code": "V", "name": "V"})).json()
        smap = (
            await a.post(
                f"/api/v1/admin/venues/{venue['id']}/seatmaps",
                content=to_json(spec),
                headers={"content-type": "application/json"},
            )
        ).json()
        event = (
            await a.post(
                "/api/v1/admin/events",
                json={"organiser_id": org["id"], "number": "E", "name": "Race", "category": "show"},
            )
        ).json()
        session = (
            await a.post(
                "/api/v1/admin/sessions",
                json={
                    "event_id": event["id"],
                    "venue_id": venue["id"],
                    "seat_map_id": smap["id"],
                    "code": "S",
                    "starts_at": (now + timedelta(days=2)).isoformat(),
                    "ends_at": (now + timedelta(days=2, hours=2)).isoformat(),
                },
            )
        ).json()
        sid = session["id"]
        await a.put(
            f"/api/v1/admin/sessions/{sid}/price-levels",
            json={
                "levels": [
                    {"code": "S", "name": "Seats", "prices": {"adult": 10000}},
                    {"code": "GA", "name": "Standing", "prices": {"adult": 5000}},
                ]
            },
        )
        await a.post(
            f"/api/v1/admin/sessions/{sid}/plan/price-levels",
            json={"select": {"sections": ["HALL"]}, "level": "S"},
        )
        await a.post(
            f"/api/v1/admin/sessions/{sid}/plan/ga-levels", json={"area": "FLOOR", "level": "GA"}
        )
        window = await a.post(
            f"/api/v1/admin/sessions/{sid}/sales-windows",
            json={
                "channel": "web",
                "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(days=1)).isoformat(),
                "per_person_limit": 4,
                "quotas": [{"level": "S", "quota": 50}, {"level": "GA", "quota": 60}],
            },
        )
        assert window.status_code == 201, window.text
    return sid, tokens


async def test_two_hundred_buyers_on_two_servers(
    pg_url: str, servers: list[str], tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_url,
        field_keys=KEYS["ADMIT_FIELD_KEYS"],
        lookup_key=KEYS["ADMIT_LOOKUP_KEY"],
    )
    rt = Runtime.from_settings(settings)
    try:
        sid, tokens = await _seed(rt, servers[0])
        seats = [f"L1-HALL-{row}-{n}" for row in "ABCDE" for n in range(1, 11)]
        rng = random.Random(7)
        limits = httpx.Limits(max_connections=BUYERS)
        clients = [httpx.AsyncClient(base_url=u, timeout=60, limits=limits) for u in servers]

        async def buyer(i: int) -> tuple[str, int, str]:
            client = clients[i % SERVERS]
            auth = {"Authorization": f"Bearer {tokens[i]}"}
            if i % 2:
                body = {"seats": rng.sample(seats, 2)}
                kind = "seats"
            else:
                body = {"places": [{"area": "FLOOR", "quantity": 1}]}
                kind = "ga"
            r = await client.post(f"/api/v1/sessions/{sid}/holds", json=body, headers=auth)
            code = r.json()["error"]["code"] if r.status_code != 201 else ""
            return kind, r.status_code, code

        results = await asyncio.gather(*(buyer(i) for i in range(BUYERS)))
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
    finally:
        await rt.close()

"""Signing in: password logins over HTTP (argon2id at the configured cost, each a new device
token), the same argon2id verification in-process on one core (the ceiling per core), and
bearer-token validations (``GET /api/v1/me``)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from admit.accounts.passwords import hash_password, verify_password
from bench.catalogue import PASSWORD, Buyer
from bench.harness import Cluster
from bench.loadgen import CpuMeter, Http, Recorder, closed_loop, have_wrk, wrk


def argon2_per_core(seconds: float = 2.0) -> dict[str, Any]:
    """Verifications of one argon2id hash per second in this process (one core)."""
    stored = hash_password(PASSWORD)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        assert verify_password(stored, PASSWORD)
        n += 1
    took = time.perf_counter() - start
    per = took / n
    return {"requests": n, "rps": n / took, "p50_ms": per * 1000, "errors": 0}


def password_logins(
    cluster: Cluster, people: list[Buyer], seconds: float, concurrency: int
) -> dict[str, Any]:
    """Closed-loop logins, each user signing in as the next person in turn."""

    async def run() -> dict[str, Any]:
        rec = Recorder()
        async with Http(cluster.urls, concurrency) as http:

            async def work(user: int, n: int) -> None:
                who = people[(user + n * concurrency) % len(people)]
                await http.call(
                    rec,
                    "login",
                    user,
                    "POST",
                    "/api/v1/auth/login",
                    json={"login": who.login, "password": PASSWORD, "device": f"bench-{n}"},
                )

            took = await closed_loop(seconds, concurrency, work)
        return rec.ops["login"].figure(took)

    meter = CpuMeter([s.pid for s in cluster.servers]).start()
    figure = asyncio.run(run())
    return {**figure, "generator": "aiohttp", "cpu": meter.stop()}


def token_checks(cluster: Cluster, who: Buyer, seconds: float, connections: int) -> dict[str, Any]:
    """``GET /api/v1/me`` with a customer's bearer token."""
    headers = {"Authorization": f"Bearer {who.token}"}
    meter = CpuMeter([s.pid for s in cluster.servers]).start()
    if have_wrk():
        figure = {**wrk(cluster.urls, "/api/v1/me", headers, connections, seconds)}
        figure["generator"] = "wrk"
    else:

        async def run() -> dict[str, Any]:
            rec = Recorder()
            async with Http(cluster.urls, connections) as http:

                async def work(user: int, _: int) -> None:
                    await http.call(rec, "me", user, "GET", "/api/v1/me", headers=headers)

                took = await closed_loop(seconds, connections, work)
            return rec.ops["me"].figure(took)

        figure = {**asyncio.run(run()), "generator": "aiohttp"}
    return {**figure, "cpu": meter.stop()}

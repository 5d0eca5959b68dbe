"""Browsing: the storefront's home, search and session pages (those it serves), the API's
search and a 20,000-seat session's data, its seat availability with and without
``If-None-Match``, and its seat-map geometry revalidated. Plain GETs, so ``wrk`` drives them
(one process per server); without wrk, the aiohttp generator does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from admit.catalog.models import Session
from admit.core.runtime import Runtime
from bench.harness import BENCH_ACTOR, Cluster
from bench.loadgen import CpuMeter, Http, Recorder, closed_loop, have_wrk, wrk

DEMO_SESSION = "G-FB-01-S1"  # the football match at the 20,160-seat stadium


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


async def demo_session_id(rt: Runtime) -> int:
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        sid = await uow.session.scalar(select(Session.id).where(Session.code == DEMO_SESSION))
    assert sid is not None, "seed the demo catalogue first"
    return int(sid)


def pages(base: str, sid: int) -> list[Page]:
    """What a visitor's browser asks for, with the ETags it would have cached."""
    avail = f"/api/v1/sessions/{sid}/availability"
    layout = f"/api/v1/sessions/{sid}/seatmap"
    storefront = [  # pages of the storefront, measured when it serves them
        Page("home page /", "/"),
        Page("search page /search?q=football", "/search?q=football"),
        Page("session page /sessions/{id} (20k seats)", f"/sessions/{sid}"),
    ]
    return [
        *(p for p in storefront if httpx.get(base + p.path, timeout=30).status_code == 200),
        Page("search ?q=football", "/api/v1/sessions?q=football"),
        Page("session detail (20k seats)", f"/api/v1/sessions/{sid}"),
        Page("availability, full body (gzip)", avail, {"Accept-Encoding": "gzip"}),
        Page(
            "availability, If-None-Match → 304",
            avail,
            {"If-None-Match": httpx.get(base + avail, timeout=30).headers["etag"]},
        ),
        Page(
            "seat map, If-None-Match → 304",
            layout,
            {"If-None-Match": httpx.get(base + layout, timeout=30).headers["etag"]},
        ),
    ]


def measure(cluster: Cluster, page: Page, seconds: float, connections: int) -> dict[str, Any]:
    """One page under load: wrk when installed, else aiohttp."""
    meter = CpuMeter([s.pid for s in cluster.servers]).start()
    if have_wrk():
        figure = wrk(cluster.urls, page.path, page.headers, connections, seconds)
        generator = "wrk"
    else:
        figure = asyncio.run(_aiohttp(cluster, page, seconds, connections))
        generator = "aiohttp"
    return {**figure, "generator": generator, "cpu": meter.stop()}


async def _aiohttp(
    cluster: Cluster, page: Page, seconds: float, connections: int
) -> dict[str, Any]:
    rec = Recorder()
    async with Http(cluster.urls, connections) as http:

        async def work(user: int, _: int) -> None:
            await http.call(
                rec, page.name, user, "GET", page.path, headers=page.headers, expect=(200, 304)
            )

        took = await closed_loop(seconds, connections, work)
    return rec.ops[page.name].figure(took)

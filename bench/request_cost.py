"""What one purchase costs the server: the pages a visitor browses, then every step of a
buyer's path, sent one at a time (no concurrency, so no queueing), with the server's and
PostgreSQL's CPU read from ``/proc`` before and after each batch of the same step. CPU
milliseconds per request are the ceiling of a process's rate (1,000 ÷ ms per request on one
core), whatever the concurrency.

``python -m bench.request_cost [--buyers 300] [--backend postgresql|sqlite] [--profile DIR]``;
``make bench`` runs it as the ``cost`` scenario. ``--profile`` samples the server during each
buyer step (py-spy; the CPU figures then include its cost) and prints where the step's time
went."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from bench.catalogue import (
    SaleSetup,
    create_buyers,
    create_place,
    field_venue,
    open_sale,
    sections_by_level,
    seed_demo_catalogue,
    stadium,
    tiers_sale,
)
from bench.harness import POSTGRESQL, Cluster, database, new_keys, start_cluster
from bench.loadgen import TICKS, Http, Recorder, postgres_pids, proc_ticks
from bench.profiling import flame_svg, read_profile, sampling
from bench.purchase import auth, wait_paid

Step = Callable[[int], Awaitable[Any]]
PROFILE_RATE = 1000  # samples a second: a step of 300 requests lasts one or two seconds


def _cpu(pids: list[int]) -> tuple[int, int]:
    return sum(proc_ticks(p) for p in pids), sum(proc_ticks(p) for p in postgres_pids())


async def _measure(
    name: str, n: int, step: Step, server_pids: list[int], profile: Path | None = None
) -> dict[str, Any]:
    """``step`` for ``n`` buyers one at a time; with ``profile``, the servers are sampled
    meanwhile (py-spy) and the step's top frames printed and written beside its flame graph."""
    with contextlib.ExitStack() as sampled:
        if profile is not None:
            out = profile / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            files = sampled.enter_context(sampling(server_pids, out, rate=PROFILE_RATE))
        s0, pg0 = _cpu(server_pids)
        t0 = time.perf_counter()
        for i in range(n):
            await step(i)
        wall = time.perf_counter() - t0
        s1, pg1 = _cpu(server_pids)
    if profile is not None:
        _report_profile(name, out, files)
    return {
        "what": name,
        "requests": n,
        "server_ms": round((s1 - s0) / TICKS * 1000 / n, 2),
        "postgres_ms": round((pg1 - pg0) / TICKS * 1000 / n, 2),
        "wall_ms": round(wall * 1000 / n, 2),
    }


async def _scenario(
    cluster: Cluster, buyers: int, profile: Path | None = None
) -> list[dict[str, Any]]:
    async with cluster.runtime() as rt:
        await seed_demo_catalogue(rt)
        people = await create_buyers(rt, buyers)
        place = await stadium(rt)
        tiers = await sections_by_level(rt, place)
        field = await create_place(rt, "FIELD", field_venue(buyers * 4 + 100))
        sid = await open_sale(rt, place, tiers_sale("COST", tiers, Fraction(1, 2)))
        ga_sid = await open_sale(
            rt,
            field,
            SaleSetup(
                tag="COSTGA", seat_levels={}, ga_levels={"FIELD": "GA"}, quotas={"GA": 10**6}
            ),
        )
    pids = [s.pid for s in cluster.servers]
    scans_before = await _seq_scans(cluster)
    rec = Recorder()
    results: list[dict[str, Any]] = []
    n = len(people)
    async with Http(cluster.urls, 4) as http:
        layout = (await http.call(rec, "map", 0, "GET", f"/api/v1/sessions/{sid}/seatmap")).body
        results += await _pages(http, rec, sid, n, pids)
        buyer = _Buyers(http, rec, [p.token for p in people], sid, ga_sid, layout["seats"]["key"])
        for name, step in [
            ("token validation (GET /me)", buyer.me),
            ("availability (cached, full body)", buyer.availability),
            ("hold, 2 seats", buyer.hold),
            ("hold, 2 standing places", buyer.ga_hold),
            ("release of that hold", buyer.release),
            ("order", buyer.order),
            ("payment (creates the bank trade)", buyer.payment),
            ("purchase in one call: hold + order + payment, 2 seats", buyer.purchase),
        ]:
            results.append(await _measure(name, n, step, pids, profile))
        results += await _settlements(cluster, buyer.approve, sid, n, pids)
    results += await _scans_row(cluster, scans_before, n)
    bad = {k: v.outcomes for k, v in rec.ops.items() if v.errors}
    if bad:
        raise RuntimeError(f"unexpected answers: {bad}")
    return results


class _Buyers:
    """Each step of a buyer's path for buyer ``i``; what one step made, the next uses."""

    def __init__(
        self, http: Http, rec: Recorder, tokens: list[str], sid: int, ga_sid: int, keys: list[str]
    ) -> None:
        self.http, self.rec, self.tokens = http, rec, tokens
        self.sid, self.ga_sid, self.keys = sid, ga_sid, keys
        self.holds: dict[int, dict[str, Any]] = {}
        self.ga_holds: dict[int, int] = {}
        self.orders: dict[int, str] = {}
        self.pay_urls: dict[int, str] = {}

    async def _call(self, op: str, method: str, path: str, **kw: Any) -> Any:
        return await self.http.call(self.rec, op, 0, method, path, **kw)

    async def me(self, i: int) -> None:
        await self._call("me", "GET", "/api/v1/me", headers=auth(self.tokens[i]))

    async def availability(self, i: int) -> None:
        await self._call("avail", "GET", f"/api/v1/sessions/{self.sid}/availability")

    async def hold(self, i: int) -> None:
        r = await self._call(
            "hold",
            "POST",
            f"/api/v1/sessions/{self.sid}/holds",
            json={"seats": self.keys[2 * i * 7 : 2 * i * 7 + 2]},
            headers=auth(self.tokens[i], f"cost-{i}"),
            expect=(201,),
        )
        self.holds[i] = r.body

    async def ga_hold(self, i: int) -> None:
        r = await self._call(
            "ga hold",
            "POST",
            f"/api/v1/sessions/{self.ga_sid}/holds",
            json={"places": [{"area": "FIELD", "quantity": 2}]},
            headers=auth(self.tokens[i], f"cost-ga-{i}"),
            expect=(201,),
        )
        self.ga_holds[i] = r.body["id"]

    async def release(self, i: int) -> None:
        await self._call(
            "release",
            "DELETE",
            f"/api/v1/holds/{self.ga_holds[i]}",
            headers=auth(self.tokens[i]),
            expect=(200,),
        )

    async def order(self, i: int) -> None:
        lines = [{"seat": k, "ticket_type": "adult"} for k in self.holds[i]["seats"]]
        r = await self._call(
            "order",
            "POST",
            f"/api/v1/holds/{self.holds[i]['id']}/order",
            json={"lines": lines},
            headers=auth(self.tokens[i], f"cost-order-{i}"),
            expect=(201,),
        )
        self.orders[i] = r.body["number"]

    async def payment(self, i: int) -> None:
        r = await self._call(
            "payment",
            "POST",
            f"/api/v1/orders/{self.orders[i]}/payments",
            json={"method": "bank"},
            headers=auth(self.tokens[i]),
            expect=(201,),
        )
        self.pay_urls[i] = r.body["pay_url"]

    async def approve(self, i: int) -> None:
        await self._call(
            "approve",
            "POST",
            self.pay_urls[i],
            data={"decision": "approve"},
            absolute=True,
            expect=(303,),
        )

    async def purchase(self, i: int) -> None:
        await self._call(
            "purchase",
            "POST",
            f"/api/v1/sessions/{self.sid}/purchases",
            json={"seats": self.keys[2 * i * 7 + 4 : 2 * i * 7 + 6], "pay": {"method": "bank"}},
            headers=auth(self.tokens[i], f"cost-purchase-{i}"),
            expect=(201,),
        )


async def _settlements(
    cluster: Cluster, approve: Step, sid: int, n: int, pids: list[int]
) -> list[dict[str, Any]]:
    """The approval is the bank's; the server's work is the notification and settlement:
    first one at a time (each settled alone), then the rest all at once (settled in the
    batches the inbox gathers meanwhile)."""
    results = []
    half = n // 2
    for what, who, together in [
        ("bank notification → settlement, one at a time", range(half), 1),
        ("bank notifications, 32 at a time → settled in batches", range(half, n), 32),
    ]:
        s0, pg0 = _cpu(pids)
        await _each(approve, who, together)
        async with cluster.runtime() as rt:
            await wait_paid(rt, sid, who.stop)
        await asyncio.sleep(0.5)
        s1, pg1 = _cpu(pids)
        results.append(
            {
                "what": what,
                "requests": len(who),
                "server_ms": round((s1 - s0) / TICKS * 1000 / len(who), 2),
                # PostgreSQL backends that ended meanwhile take their CPU with them
                "postgres_ms": max(round((pg1 - pg0) / TICKS * 1000 / len(who), 2), 0.0),
                "wall_ms": None,
            }
        )
    return results


async def _each(step: Step, buyers: range, together: int) -> None:
    """``step`` for every buyer, ``together`` at a time."""
    gate = asyncio.Semaphore(together)

    async def one(i: int) -> None:
        async with gate:
            await step(i)

    await asyncio.gather(*(one(i) for i in buyers))


async def _pages(
    http: Http, rec: Recorder, sid: int, n: int, pids: list[int]
) -> list[dict[str, Any]]:
    """Pages any visitor sees, ``n`` of each: kept per process for the availability cache
    period, so mostly served from the caches (one at a time: ~5 ms apart)."""

    def page(op: str, path: str) -> Step:
        async def get(i: int) -> None:
            await http.call(rec, op, 0, "GET", path)

        return get

    return [
        await _measure(name, n, page(op, path), pids)
        for name, op, path in [
            ("home page", "home", "/"),
            ("search page ?q=football", "search", "/search?q=football"),
            ("session page (HTML, 20k seats)", "session", f"/sessions/{sid}"),
            ("API search ?q=football", "api search", "/api/v1/sessions?q=football"),
        ]
    ]


async def _scans_row(
    cluster: Cluster, before: dict[str, int], purchases: int
) -> list[dict[str, Any]]:
    """The tables most read by sequential scans since ``before``, per purchase (PostgreSQL)."""
    if cluster.backend != POSTGRESQL:
        return []
    scans = await _seq_scans(cluster)
    tables = sorted(
        ((t, rows - before.get(t, 0)) for t, rows in scans.items()), key=lambda i: -i[1]
    )
    return [
        {
            "what": "rows read by sequential scans, per purchase (PostgreSQL)",
            "requests": purchases,
            "tables": {t: round(rows / purchases) for t, rows in tables[:6] if rows},
        }
    ]


async def _seq_scans(cluster: Cluster) -> dict[str, int]:
    """Rows each table has had read by sequential scans so far: a missing index shows here."""
    if cluster.backend != POSTGRESQL:
        return {}
    async with cluster.runtime() as rt, rt.engine.connect() as conn:
        rows = await conn.execute(text("SELECT relname, seq_tup_read FROM pg_stat_user_tables"))
        return {str(name): int(n or 0) for name, n in rows}


def _report_profile(name: str, out: Path, files: list[Path]) -> None:
    found = read_profile(files)
    summary = found.summary(top=25)
    out.with_suffix(".svg").write_text(flame_svg(found, name))
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    console = Console()
    console.print(f"[bold]{name}[/]: {found.samples} samples → {out}.svg")
    for frame, share in summary["admit_with_callees"][:12]:
        console.print(f"  {share:5.1f} %  {frame}")


def run(
    buyers: int = 300, backend: str = POSTGRESQL, profile: Path | None = None
) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="admit-cost-") as tmp:
        data_dir = Path(tmp) / "data"
        with database(backend, data_dir, name="admit_cost") as url:
            keys = new_keys()
            with start_cluster(backend, url, data_dir, keys, servers=1) as cluster:
                rows = asyncio.run(_scenario(cluster, buyers, profile))
    return [{**r, "backend": backend} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--backend", default=POSTGRESQL)
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample the server with py-spy during each buyer step; flame graphs go to DIR",
    )
    opts = parser.parse_args()
    if opts.profile is not None:
        opts.profile.mkdir(parents=True, exist_ok=True)
    rows = run(opts.buyers, opts.backend, opts.profile)
    table = Table(title=f"CPU per request, one at a time ({opts.backend}, {opts.buyers} each)")
    for col in ("step", "server ms", "PostgreSQL ms", "wall ms"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for r in rows:
        if "tables" in r:
            continue
        table.add_row(r["what"], str(r["server_ms"]), str(r["postgres_ms"]), str(r["wall_ms"]))
    console = Console()
    console.print(table)
    for r in rows:
        if "tables" in r:
            console.print(f"{r['what']}: {r['tables']}")


if __name__ == "__main__":
    main()

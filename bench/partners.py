"""``python -m bench.partners``: what talking to a cinema's box-office system costs.

1. Lock + release round trips to the cinema simulator over loopback HTTP (uvicorn in this
   process's thread), one at a time and 32 in flight: the protocol's own cost (signing both
   ways, JSON) before any database work.
2. Importing the simulator's two cinemas for ``--days`` days into a fresh SQLite database:
   catalogue, plans, price levels and sales windows of every new showtime in one transaction.

Prints a Markdown table; figures are measured, never asserted."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from admit import tables  # noqa: F401  (every table on the metadata)
from admit.core.config import Settings
from admit.core.runtime import Runtime
from admit.migrations import upgrade
from admit.partners.box_office import BoxOffices
from admit.partners.cinema_client import HttpBoxOffice
from admit.partners.sync_jobs import sync_partners
from admit.sims.cinema import CinemaSimConfig, create_cinema_app


def _serve() -> tuple[str, uvicorn.Server]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_cinema_app(CinemaSimConfig(apps={"bench": "secret"}, max_seats_per_lock=8))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server


async def _pairs(
    office: HttpBoxOffice, session: str, seats: list[str], n: int, width: int
) -> dict[str, float]:
    """``n`` lock + release pairs by ``width`` concurrent workers, each on its own seats."""
    latencies: list[float] = []

    async def worker(mine: list[str]) -> None:
        for i in range(n // width):
            ref = secrets.token_hex(8)
            started = time.perf_counter()
            await office.lock("C001", session, [mine[i % len(mine)]], ref=ref)
            await office.release("C001", ref=ref)
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker(seats[w::width]) for w in range(width)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "pairs_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def _import(url: str, days: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(db)
        rt = Runtime.from_settings(Settings(data_dir=Path(tmp), database_url=db))
        rt.register(BoxOffices, BoxOffices(HttpBoxOffice(url, "bench", "secret", system="cinema")))
        began = time.perf_counter()
        results = await sync_partners(rt, days=days)
        elapsed = time.perf_counter() - began
        await rt.close()
    return elapsed, sum(len(r.new_sessions) for r in results.values())


async def main(pairs: int, days: int) -> None:
    url, server = _serve()
    office = HttpBoxOffice(url, "bench", "secret", timeout=10)
    shows = await office.list_showtimes("C001", start=datetime.now(UTC).date(), days=2)
    session = next(s.code for s in reversed(shows) if s.hall_code == "H1")
    seats = [f"{row}-{n}" for row in "ABCDEFGH" for n in range(1, 13)]
    rows = []
    for width in (1, 32):
        r = await _pairs(office, session, seats, pairs, width)
        rows.append(
            f"| lock + release, {width} in flight | {r['pairs_per_s']:,.0f} pairs/s "
            f"| p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms |"
        )
    await office.aclose()
    elapsed, created = await _import(url, days)
    rows.append(
        f"| import {days} days (SQLite) | {created} showtimes in {elapsed:.2f} s | "
        f"{elapsed / max(created, 1) * 1000:.0f} ms per showtime |"
    )
    server.should_exit = True
    print("| scenario | rate | latency |\n|---|---:|---|")  # noqa: T201
    print("\n".join(rows))  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--days", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.pairs, args.days))

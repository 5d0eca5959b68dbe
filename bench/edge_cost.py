"""What the request budgets (``admit.http.edge_limits``) add to each request: the middleware
in front of an application that answers at once, called in process (no network, no server), so
the figure is the middleware's own cost — exempt address, budget in process memory, budget in
Redis (one Lua call on the local Redis). Rounds of each kind alternate, so drift on the machine
touches all three alike; the median round is reported.

``python -m bench.edge_cost [--requests 20000] [--rounds 5] [--redis redis://127.0.0.1:6379/0]``"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from ipaddress import ip_network
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from starlette.types import Receive, Scope, Send

from admit.core.config import Settings
from admit.core.ratelimit import MemoryRateLimiter, RateLimiter
from admit.core.ratelimit_redis import RedisRateLimiter
from admit.core.runtime import Runtime
from admit.http.edge_limits import EdgeLimitMiddleware
from admit.web.errors import too_many_requests_page

HUGE = 10**9  # a budget never spent in the run


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _receive() -> dict[str, object]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(_: object) -> None:
    return None


def _runtime(data_dir: Path, limiter: RateLimiter, *, exempt: bool) -> Runtime:
    settings = Settings(
        data_dir=data_dir,
        limit_api_per_address_minute=HUGE,
        limit_exempt_networks=[ip_network("203.0.113.0/24")] if exempt else [],
    )
    rt = Runtime.from_settings(settings)
    rt.register(RateLimiter, limiter)  # type: ignore[type-abstract]
    return rt


async def _round(rt: Runtime, n: int) -> float:
    app = EdgeLimitMiddleware(_answer, rt_of=lambda: rt, page_refusal=too_many_requests_page)
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/sessions",
        "headers": [],
        "client": ("203.0.113.9", 40000),
    }
    started = time.perf_counter()
    for _ in range(n):
        await app(scope, _receive, _send)
    return (time.perf_counter() - started) / n * 1e6


async def main(requests: int, rounds: int, redis_url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisRateLimiter.from_url(redis_url, prefix="admit:bench:edge:")
        kinds = {
            "exempt address": _runtime(Path(tmp), MemoryRateLimiter(), exempt=True),
            "budget in memory": _runtime(Path(tmp), MemoryRateLimiter(), exempt=False),
            "budget in Redis": _runtime(Path(tmp), redis, exempt=False),
        }
        times: dict[str, list[float]] = {k: [] for k in kinds}
        with Progress() as progress:
            task = progress.add_task("edge budgets", total=rounds * len(kinds))
            for _ in range(rounds):
                for kind, rt in kinds.items():
                    times[kind].append(await _round(rt, requests))
                    progress.advance(task)
        await redis.aclose()
    table = Table(
        title=f"the middleware's cost per request ({requests} requests × {rounds} rounds)"
    )
    table.add_column("kind")
    table.add_column("median µs", justify="right")
    table.add_column("min–max µs", justify="right")
    for kind, values in times.items():
        table.add_row(
            kind, f"{statistics.median(values):.1f}", f"{min(values):.1f}–{max(values):.1f}"
        )
    Console().print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds, args.redis))

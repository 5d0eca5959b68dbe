"""What the request budgets (``admit.http.edge_limits``) add to each request: the middleware
in front of an application that answers at once, called in process (no network, no server), so
the figure is the middleware's own cost — exempt address, budget in process memory, budget in
Redis (a Lua call on the local Redis per leased chunk: the default budget of 1,200 a minute is
leased 60 tokens at a time). Requests come from addresses in turn, ``--per-address`` each (a
visit's worth), so leases are taken as a real mix of callers takes them. Rounds of each kind
alternate, so drift on the machine touches all three alike; the median round is reported.

``python -m bench.edge_cost [--requests 20000] [--per-address 60] [--rounds 5]
[--redis redis://127.0.0.1:6379/0]``"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from ipaddress import ip_address, ip_network
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


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _receive() -> dict[str, object]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(_: object) -> None:
    return None


def _runtime(data_dir: Path, limiter: RateLimiter, *, exempt: bool) -> Runtime:
    settings = Settings(
        data_dir=data_dir, limit_exempt_networks=[ip_network("10.0.0.0/8")] if exempt else []
    )
    rt = Runtime.from_settings(settings)
    rt.register(RateLimiter, limiter)  # type: ignore[type-abstract]
    return rt


async def _round(rt: Runtime, n: int, per_address: int, first: int) -> float:
    """``n`` requests, ``per_address`` from each address in turn (fresh addresses each round)."""
    app = EdgeLimitMiddleware(_answer, rt_of=lambda: rt, page_refusal=too_many_requests_page)
    scopes: list[Scope] = [
        {
            "type": "http",
            "method": "GET",
            "path": "/api/v1/sessions",
            "headers": [],
            "client": (str(ip_address("10.0.0.0") + first + i // per_address), 40000),
        }
        for i in range(n)
    ]
    started = time.perf_counter()
    for scope in scopes:
        await app(scope, _receive, _send)
    return (time.perf_counter() - started) / n * 1e6


async def main(requests: int, per_address: int, rounds: int, redis_url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisRateLimiter.from_url(redis_url, prefix=f"admit:bench:edge:{time.time()}:")
        kinds = {
            "exempt address": _runtime(Path(tmp), MemoryRateLimiter(), exempt=True),
            "budget in memory": _runtime(Path(tmp), MemoryRateLimiter(), exempt=False),
            "budget in Redis": _runtime(Path(tmp), redis, exempt=False),
        }
        times: dict[str, list[float]] = {k: [] for k in kinds}
        with Progress() as progress:
            task = progress.add_task("edge budgets", total=rounds * len(kinds))
            for r in range(rounds):
                for k, (kind, rt) in enumerate(kinds.items()):
                    first = (r * len(kinds) + k) * requests
                    times[kind].append(await _round(rt, requests, per_address, first))
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
    parser.add_argument("--per-address", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.per_address, args.rounds, args.redis))

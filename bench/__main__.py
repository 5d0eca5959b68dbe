"""Browse benchmarks: start `admit serve` on PostgreSQL and on SQLite with the demo catalogue,
drive it over loopback with an async HTTP load generator, print and save the figures."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

PG_ADMIN = os.environ.get("ADMIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DURATION = float(os.environ.get("BENCH_SECONDS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
RESULTS = Path(__file__).parent / "results"
console = Console()


@dataclass
class Figure:
    backend: str
    scenario: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admit(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "admit", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )


@contextmanager
def _server(env: dict[str, str]) -> Iterator[str]:
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "admit", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _drive(base: str, path: str, headers: dict[str, str]) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + DURATION
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def user() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = await client.get(path, headers=headers)
                latencies.append(time.perf_counter() - start)
                if response.status_code not in (200, 304):
                    errors += 1

        await asyncio.gather(*(user() for _ in range(CONCURRENCY)))
    return latencies, errors


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    for unit, factor in _UNITS.items():
        if text.endswith(unit) and text[: -len(unit)].replace(".", "").isdigit():
            return float(text[: -len(unit)]) * factor
    raise ValueError(f"not a wrk duration: {text}")


def _wrk(backend: str, scenario: str, url: str, headers: dict[str, str]) -> Figure:
    """wrk (C, one thread) as the load generator: it does not compete for the GIL."""
    args = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{DURATION:.0f}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    total = int(out.split(" requests in ")[0].split()[-1])
    bad = lines.get("Non-2xx", ["", "", "", "", "0"])[-1]
    return Figure(
        backend,
        scenario,
        total,
        int(bad),
        float(lines["Requests/sec:"][1]),
        _ms(lines["50%"][1]),
        _ms(lines["90%"][1]),
        _ms(lines["99%"][1]),
    )


def _figure(backend: str, scenario: str, latencies: list[float], errors: int) -> Figure:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Figure(
        backend,
        scenario,
        len(latencies),
        errors,
        len(latencies) / DURATION,
        q[49] * 1000,
        q[89] * 1000,
        q[98] * 1000,
    )


def _scenarios(base: str) -> list[tuple[str, str, dict[str, str]]]:
    found = httpx.get(f"{base}/api/v1/sessions", params={"q": "football"}).json()
    sid = found[0]["session"]["id"]
    avail = f"/api/v1/sessions/{sid}/availability"
    etag = httpx.get(f"{base}{avail}").headers["etag"]
    layout = f"/api/v1/sessions/{sid}/seatmap"
    map_etag = httpx.get(f"{base}{layout}").headers["etag"]
    return [
        ("search ?q=football", "/api/v1/sessions?q=football", {}),
        ("session detail (20k seats)", f"/api/v1/sessions/{sid}", {}),
        ("availability, full body", avail, {"Accept-Encoding": "gzip"}),
        ("availability, If-None-Match → 304", avail, {"If-None-Match": etag}),
        ("seat map geometry, If-None-Match → 304", layout, {"If-None-Match": map_etag}),
    ]


def _run_backend(backend: str, env: dict[str, str], bar: Progress) -> list[Figure]:
    task = bar.add_task(f"{backend}: seeding", total=None)
    _admit(env, "seed-demo")
    figures = []
    with _server(env) as base:
        scenarios = _scenarios(base)
        bar.update(task, total=len(scenarios), completed=0)
        for name, path, headers in scenarios:
            bar.update(task, description=f"{backend}: {name}")
            if shutil.which("wrk"):
                figures.append(_wrk(backend, name, base + path, headers))
            else:
                latencies, errors = asyncio.run(_drive(base, path, headers))
                figures.append(_figure(backend, name, latencies, errors))
            bar.advance(task)
    return figures


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp, Progress(console=console) as bar:
        base_env = {
            **os.environ,
            "ADMIT_DATA_DIR": tmp,
            "ADMIT_LOG_LEVEL": "WARNING",
            "ADMIT_RUN_WORKER_IN_PROCESS": "false",
        }
        asyncio.run(_pg("DROP DATABASE IF EXISTS admit_bench WITH (FORCE)"))
        asyncio.run(_pg("CREATE DATABASE admit_bench"))
        pg_url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        figures += _run_backend(
            "postgresql", {**base_env, "ADMIT_DATABASE_URL": f"{pg_url}/admit_bench"}, bar
        )
        figures += _run_backend("sqlite", base_env, bar)
        asyncio.run(_pg("DROP DATABASE IF EXISTS admit_bench WITH (FORCE)"))
    generator = "wrk" if shutil.which("wrk") else "httpx"
    table = Table(
        title=f"Browse ({generator}): {CONCURRENCY} connections, {DURATION:.0f} s per scenario"
    )
    for column in ("backend", "scenario", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors"):
        table.add_column(column)
    for f in figures:
        table.add_row(
            f.backend,
            f.scenario,
            f"{f.rps:,.0f}",
            f"{f.p50_ms:.1f}",
            f"{f.p90_ms:.1f}",
            f"{f.p99_ms:.1f}",
            str(f.errors),
        )
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"browse-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "duration_s": DURATION,
                "concurrency": CONCURRENCY,
                "generator": "wrk" if shutil.which("wrk") else "httpx",
                "figures": [asdict(f) for f in figures],
            },
            indent=2,
        )
    )
    console.print(f"saved {out}")


if __name__ == "__main__":
    main()

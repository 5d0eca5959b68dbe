"""The load generators and what they measure. Flows (buyers, logins) run on aiohttp with
keep-alive connections, one pool per server, in this process; plain GETs run on ``wrk`` (C,
one thread per server) when it is installed, with a Lua ``done`` hook that prints its whole
latency histogram so several wrk processes merge exactly. Every figure carries the CPU the
generator, the servers and PostgreSQL used while it was taken."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
TICKS = os.sysconf("SC_CLK_TCK")
Json = Any


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of ``values`` (nearest rank), 0 for none."""
    if not values:
        return 0.0, 0.0, 0.0
    ordered = sorted(values)
    n = len(ordered)
    p50, p95, p99 = (ordered[min(n - 1, int(q * n))] for q in (0.50, 0.95, 0.99))
    return p50, p95, p99


@dataclass
class Op:
    """One kind of request: its latencies (seconds) and outcomes (``"201"``, ``"409
    seats_taken"``, ``"transport"``); ``errors`` counts the outcomes it did not expect."""

    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    def figure(self, seconds: float) -> dict[str, Any]:
        p50, p95, p99 = percentiles(self.latencies)
        return {
            "requests": len(self.latencies),
            "rps": len(self.latencies) / seconds if seconds else 0.0,
            "p50_ms": p50 * 1000,
            "p95_ms": p95 * 1000,
            "p99_ms": p99 * 1000,
            "errors": self.errors,
            "outcomes": dict(self.outcomes),
        }


class Recorder:
    def __init__(self) -> None:
        self.ops: dict[str, Op] = {}

    def add(self, name: str, seconds: float, outcome: str, *, expected: bool) -> None:
        op = self.ops.setdefault(name, Op())
        op.latencies.append(seconds)
        op.outcomes[outcome] += 1
        op.errors += not expected


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Json
    headers: Mapping[str, str]

    @property
    def code(self) -> str:
        """The API error's code, "" on success."""
        if self.status < 400:
            return ""
        try:
            return str(self.body["error"]["code"])
        except (KeyError, TypeError):
            return f"http_{self.status}"


class Http:
    """aiohttp sessions with keep-alive: one per server (request ``i`` goes to server
    ``i % n``) and one for other hosts (the bank's pages)."""

    def __init__(self, urls: Sequence[str], connections: int) -> None:
        self.urls = list(urls)
        self.connections = connections
        self.sessions: list[aiohttp.ClientSession] = []
        self.other: aiohttp.ClientSession | None = None
        self.reconnects = 0

    def _session(self, base: str | None) -> aiohttp.ClientSession:
        timeout = aiohttp.ClientTimeout(total=120)
        connector = aiohttp.TCPConnector(limit=self.connections, force_close=False)
        return aiohttp.ClientSession(base, connector=connector, timeout=timeout)

    async def __aenter__(self) -> Http:
        self.sessions = [self._session(u) for u in self.urls]
        self.other = self._session(None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for s in [*self.sessions, *([self.other] if self.other else [])]:
            await s.close()

    async def call(
        self,
        rec: Recorder,
        op: str,
        i: int,
        method: str,
        path: str,
        *,
        expect: Sequence[int | str] = (200,),
        absolute: bool = False,
        **kwargs: Any,
    ) -> Reply:
        """Send one request, record its latency and outcome; a connection the server had
        closed is retried once (every request sent here is safe to repeat)."""
        assert self.other is not None, "use Http as an async context manager"
        session = self.other if absolute else self.sessions[i % len(self.sessions)]
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                async with session.request(
                    method, path, allow_redirects=False, **kwargs
                ) as response:
                    raw = await response.read()
                    status, headers = response.status, response.headers
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                if attempt == 1:
                    self.reconnects += 1
                    continue
                rec.add(op, time.perf_counter() - start, "transport", expected=False)
                return Reply(0, None, {})
            elapsed = time.perf_counter() - start
            body = _decode(raw, headers.get("content-type", ""))
            reply = Reply(status, body, dict(headers))
            outcome = f"{status} {reply.code}".strip()
            ok = status in expect or outcome in expect
            rec.add(op, elapsed, outcome, expected=ok)
            return reply
        raise AssertionError("unreachable")


def _decode(raw: bytes, content_type: str) -> Json:
    if raw and content_type.startswith("application/json"):
        return orjson.loads(raw)
    return None


async def closed_loop(
    seconds: float, concurrency: int, work: Callable[[int, int], Awaitable[None]]
) -> float:
    """``concurrency`` users each calling ``work(user, n)`` back to back until ``seconds``
    have passed; the time it took."""
    start = time.monotonic()
    stop = start + seconds

    async def user(u: int) -> None:
        n = 0
        while time.monotonic() < stop:
            await work(u, n)
            n += 1

    await asyncio.gather(*(user(u) for u in range(concurrency)))
    return time.monotonic() - start


# --- CPU ------------------------------------------------------------------------------------


def proc_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _machine() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used between :meth:`start` and :meth:`stop`, as a share of one core: this process
    and its finished children (the generator; wrk runs as a child), the servers, PostgreSQL;
    and the whole machine as a share of all its cores."""

    def __init__(self, server_pids: Sequence[int]) -> None:
        self.server_pids = list(server_pids)

    @staticmethod
    def _self() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def start(self) -> CpuMeter:
        self.t0 = time.monotonic()
        self.own0 = self._self()
        self.servers0 = {p: proc_ticks(p) for p in self.server_pids}
        self.pg0 = {p: proc_ticks(p) for p in postgres_pids()}
        self.machine0 = _machine()
        return self

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        busy, total = _machine()
        pg = sum(proc_ticks(p) - self.pg0.get(p, 0) for p in postgres_pids())
        servers = sum(proc_ticks(p) - t for p, t in self.servers0.items())
        return {
            "generator_cpu": round((self._self() - self.own0) / wall, 2),
            "servers_cpu": round(servers / TICKS / wall, 2),
            "postgres_cpu": round(pg / TICKS / wall, 2),
            "machine_busy": round((busy - self.machine0[0]) / max(total - self.machine0[1], 1), 2),
            "load_1m": round(os.getloadavg()[0], 2),
        }


# --- wrk ------------------------------------------------------------------------------------


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _latency_figure(hist: Counter[int], requests: int, seconds: float) -> dict[str, float]:
    """Percentiles from a merged histogram of microseconds."""
    total = sum(hist.values())
    out = {"requests": float(requests), "rps": requests / seconds if seconds else 0.0}
    targets = {"p50_ms": 0.50, "p95_ms": 0.95, "p99_ms": 0.99}
    seen = 0
    pending = dict(targets)
    for value in sorted(hist):
        seen += hist[value]
        for name, q in list(pending.items()):
            if seen >= q * total:
                out[name] = value / 1000
                del pending[name]
    for name in pending:
        out[name] = 0.0
    return out


def wrk(
    urls: Sequence[str], path: str, headers: Mapping[str, str], connections: int, seconds: float
) -> dict[str, Any]:
    """One wrk process per server (``connections`` split among them), run at once; their
    histograms merged. Non-2xx/3xx answers and socket errors count as errors."""
    per = max(1, connections // len(urls))
    procs = []
    for base in urls:
        args = ["wrk", "-t1", f"-c{per}", f"-d{seconds:.0f}s", "-s", str(WRK_SCRIPT)]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        procs.append(
            subprocess.Popen(
                [*args, base + path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    hist: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    requests = 0
    duration = 0.0
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        line = next(ln for ln in out.splitlines() if ln.startswith("BENCH-JSON "))
        report = json.loads(line.removeprefix("BENCH-JSON "))
        requests += report["requests"]
        kinds.update(report["errors"])
        duration = max(duration, report["duration_us"] / 1e6)
        hist.update({int(v): int(c) for v, c in report["latency"]})
    # by kind: connect, read, write, status (not 2xx/3xx), timeout (over wrk's 2 s)
    figure = _latency_figure(hist, requests, duration)
    return {
        **figure,
        "errors": sum(kinds.values()),
        "error_kinds": {k: n for k, n in kinds.items() if n},
    }

"""The figures as rows: printed as a Rich table, saved as JSON (with the machine, versions
and options) and as a Markdown table for ``docs/benchmarks.md``."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import subprocess
import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
from rich.table import Table

from bench.harness import PG_ADMIN

RESULTS = Path(__file__).parent / "results"
PACKAGES = ("fastapi", "starlette", "sqlalchemy", "asyncpg", "aiosqlite", "uvicorn", "aiohttp")


@dataclass
class Row:
    backend: str  # "postgresql ×2", "sqlite ×1", or "—" for what needs no server
    scenario: str
    what: str
    count: float = 0
    rate: float = 0.0  # per second
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    check: str = ""
    cpu: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, backend: str, scenario: str, what: str, figure: dict[str, Any]) -> Row:
        return cls(
            backend,
            scenario,
            what,
            figure.get("requests", 0),
            figure.get("rps", 0.0),
            figure.get("p50_ms"),
            figure.get("p95_ms"),
            figure.get("p99_ms"),
            int(figure.get("errors", 0)),
            cpu=figure.get("cpu", {}),
            extra={
                k: v for k, v in figure.items() if k in ("generator", "outcomes", "error_kinds")
            },
        )


def _ms(v: float | None) -> str:
    return "" if v is None else f"{v:,.1f}"


def _cells(r: Row) -> list[str]:
    cpu = r.cpu
    return [
        r.backend,
        r.scenario,
        r.what,
        f"{r.count:,.0f}",
        f"{r.rate:,.0f}" if r.rate >= 10 else f"{r.rate:,.1f}",
        _ms(r.p50_ms),
        _ms(r.p95_ms),
        _ms(r.p99_ms),
        str(r.errors),
        r.check,
        f"{cpu['generator_cpu']:.2f}" if "generator_cpu" in cpu else "",
        f"{cpu['load_1m']:.1f}" if "load_1m" in cpu else "",
    ]


HEADERS = [
    "backend",
    "scenario",
    "what",
    "count",
    "per s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "check",
    "gen CPU",
    "load",
]


def table(rows: list[Row], title: str) -> Table:
    t = Table(title=title)
    for h in HEADERS:
        t.add_column(h, justify="right" if h not in ("backend", "scenario", "what") else "left")
    for r in rows:
        t.add_row(*_cells(r))
    return t


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * 3 + "---:|" * 9]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _pg_version() -> str:
    async def ask() -> str:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    import asyncio

    try:
        return asyncio.run(ask())
    except (OSError, asyncpg.PostgresError):
        return "unavailable"


def machine() -> dict[str, Any]:
    wrk = ""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
        wrk = out.split(" [")[0].strip()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _pg_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk or "not installed",
        **{p: version(p) for p in PACKAGES},
    }


def save(rows: list[Row], meta: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(json.dumps({**meta, "rows": [asdict(r) for r in rows]}, indent=2, default=str))
    (RESULTS / "latest.md").write_text(markdown(rows))
    return out

"""``python -m bench`` (``make bench``): for each backend, a fresh migrated database with the
demo catalogue, the benchmark's buyers and a festival field; then for each number of server
processes, the platform started with the bank simulator and driven over loopback — browse,
login, on-sale, GA rush, the hold-only rush — and, once, profiled with py-spy. The gate's and
the storefront's benchmarks (``bench/gate.py``, ``bench/page_load.py``) run when they exist;
the reports' (``bench/reports.py``: a year of sales bulk-built, every report timed) too.
Prints the table; saves JSON and Markdown under ``bench/results/``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import importlib.util
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bench import browse, login, profiling, request_cost
from bench.catalogue import (
    Buyer,
    Place,
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
from bench.ga_rush import run_ga_rush
from bench.harness import (
    PG_ADMIN,
    POSTGRESQL,
    SQLITE,
    Cluster,
    database,
    new_keys,
    start_cluster,
)
from bench.holds import hold_rows, run_hold_rush
from bench.onsale import run_onsale
from bench.purchase import SaleResult
from bench.report import RESULTS, Row, machine, save, table

console = Console(width=None if Console().is_terminal else 200)
SCENARIOS = (
    "browse",
    "login",
    "onsale",
    "ga",
    "holds",
    "gate",
    "pages",
    "cost",
    "reports",
    "refunds",
)
LOGIN_PEOPLE = 500
Say = Callable[[str], None]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"BENCH_{name}", default)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--scenarios", default=_env("SCENARIOS", ",".join(SCENARIOS)))
    p.add_argument("--backends", default=_env("BACKENDS", f"{POSTGRESQL},{SQLITE}"))
    p.add_argument("--servers", default=_env("SERVERS", "1,2"), help="PostgreSQL: processes")
    p.add_argument("--sqlite-servers", default=_env("SQLITE_SERVERS", "1"))
    p.add_argument(
        "--settlers",
        type=int,
        default=int(_env("SETTLERS", "1")),
        help="settlement workers (`admit settle`); 0: the servers settle what they record",
    )
    p.add_argument("--seconds", type=float, default=float(_env("SECONDS", "5")))
    p.add_argument("--connections", type=int, default=int(_env("CONNECTIONS", "32")))
    p.add_argument("--buyers", type=int, default=int(_env("BUYERS", "5000")))
    p.add_argument("--ga-buyers", type=int, default=int(_env("GA_BUYERS", "5000")))
    p.add_argument("--ga-quota", type=int, default=int(_env("GA_QUOTA", "10000")))
    p.add_argument("--hold-buyers", type=int, default=int(_env("HOLD_BUYERS", "5000")))
    p.add_argument("--in-flight", type=int, default=int(_env("IN_FLIGHT", "200")))
    p.add_argument(
        "--sale-seconds",
        type=float,
        default=float(_env("SALE_SECONDS", "120")),
        help="after this, buyers still queued leave (bounds a slow run)",
    )
    p.add_argument("--login-concurrency", type=int, default=int(_env("LOGIN_CONCURRENCY", "8")))
    p.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=_env("PROFILE", "1") == "1",
        help="py-spy the browse and on-sale scenarios on PostgreSQL with one server",
    )
    opts = p.parse_args(argv)
    opts.scenarios = [s for s in opts.scenarios.split(",") if s]
    unknown = set(opts.scenarios) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    opts.backends = [b for b in opts.backends.split(",") if b]
    opts.servers = [int(n) for n in opts.servers.split(",")]
    opts.sqlite_servers = [int(n) for n in opts.sqlite_servers.split(",")]
    return opts


@dataclass
class Seeds:
    buyers: list[Buyer]
    people: list[Buyer]  # for logins: their devices come and go
    stadium: Place
    tiers: dict[str, list[str]]
    field: Place
    demo_sid: int


async def _seed(cluster: Cluster, opts: argparse.Namespace) -> Seeds:
    async with cluster.runtime() as rt:
        await seed_demo_catalogue(rt)
        buyers = await create_buyers(rt, max(opts.buyers, opts.ga_buyers, opts.hold_buyers))
        people = await create_buyers(rt, LOGIN_PEOPLE)
        place = await stadium(rt)
        tiers = await sections_by_level(rt, place)
        field = await create_place(rt, "FIELD", field_venue(opts.ga_quota + 2000))
        return Seeds(buyers, people, place, tiers, field, await browse.demo_session_id(rt))


async def _session(cluster: Cluster, place: Place, setup: SaleSetup) -> int:
    async with cluster.runtime() as rt:
        return await open_sale(rt, place, setup)


def _stadium_sale(seeds: Seeds, tag: str) -> SaleSetup:
    """Both tiers on sale with the web window's quota at half of each (the demo's split)."""
    return tiers_sale(tag, seeds.tiers, Fraction(1, 2))


def _all_seats(seeds: Seeds, tag: str) -> SaleSetup:
    """Both tiers on sale in full (the hold-only rush: quotas never refuse)."""
    return tiers_sale(tag, seeds.tiers, Fraction(1))


def _sale_rows(label: str, scenario: str, result: SaleResult) -> list[Row]:
    check = "ok" if result.check.ok else "FAILED"
    errors = sum(int(op["errors"]) for op in result.ops.values())
    rows = [
        Row(label, scenario, "successful holds", result.holds, result.holds_per_s, check=check),
        Row(
            label,
            scenario,
            "completed purchases",
            result.purchases,
            result.purchases_per_s,
            errors=errors,
            check=check,
            cpu=result.cpu,
            extra={"tickets": result.tickets, "ends": result.ends, "buyers": result.buyers},
        ),
    ]
    for name, op in result.ops.items():
        rows.append(Row.of(label, scenario, f"· {name}", op))
    if result.settled.get("requests"):
        rows.append(Row.of(label, scenario, "· notification → settled (inbox)", result.settled))
    return rows


def _browse(cluster: Cluster, seeds: Seeds, opts: argparse.Namespace, say: Say) -> list[Row]:
    rows = []
    for page in browse.pages(cluster.urls[0], seeds.demo_sid):
        say(f"{cluster.label}: browse {page.name}")
        figure = browse.measure(cluster, page, opts.seconds, opts.connections)
        rows.append(Row.of(cluster.label, "browse", page.name, figure))
    return rows


def _login(cluster: Cluster, seeds: Seeds, opts: argparse.Namespace, say: Say) -> list[Row]:
    say(f"{cluster.label}: password logins")
    logins = login.password_logins(cluster, seeds.people, opts.seconds, opts.login_concurrency)
    say(f"{cluster.label}: token validations")
    checks = login.token_checks(cluster, seeds.people[0], opts.seconds, opts.connections)
    return [
        Row.of(cluster.label, "login", "password login (argon2id)", logins),
        Row.of(cluster.label, "login", "token validation GET /me", checks),
    ]


def _sales(
    cluster: Cluster, seeds: Seeds, opts: argparse.Namespace, say: Say, out: dict[str, Any]
) -> list[Row]:
    rows: list[Row] = []
    tag = f"{cluster.backend[:2].upper()}{len(cluster.servers)}-{time.strftime('%H%M%S')}"
    if "onsale" in opts.scenarios:
        say(f"{cluster.label}: on-sale, {opts.buyers} buyers")
        sid = asyncio.run(_session(cluster, seeds.stadium, _stadium_sale(seeds, f"ON{tag}")))
        with _waits(cluster) as waits:
            result = asyncio.run(
                run_onsale(
                    cluster,
                    sid,
                    seeds.buyers[: opts.buyers],
                    in_flight=opts.in_flight,
                    time_limit=opts.sale_seconds,
                )
            )
        out[f"on-sale {cluster.label}"] = {**result.summary(), "pg_waits": waits.summary()}
        rows += _sale_rows(cluster.label, "on-sale", result)
    if "ga" in opts.scenarios:
        say(f"{cluster.label}: GA rush, {opts.ga_buyers} buyers for {opts.ga_quota}")
        setup = SaleSetup(
            tag=f"GA{tag}", seat_levels={}, ga_levels={"FIELD": "GA"}, quotas={"GA": opts.ga_quota}
        )
        sid = asyncio.run(_session(cluster, seeds.field, setup))
        with _waits(cluster) as waits:
            result = asyncio.run(
                run_ga_rush(
                    cluster,
                    sid,
                    seeds.buyers[: opts.ga_buyers],
                    in_flight=opts.in_flight,
                    time_limit=opts.sale_seconds,
                )
            )
        out[f"GA rush {cluster.label}"] = {**result.summary(), "pg_waits": waits.summary()}
        rows += _sale_rows(cluster.label, "GA rush", result)
    if "holds" in opts.scenarios:
        say(f"{cluster.label}: hold-only rush, {opts.hold_buyers} buyers")
        sid = asyncio.run(_session(cluster, seeds.stadium, _all_seats(seeds, f"HO{tag}")))
        with _waits(cluster) as waits:
            held = asyncio.run(
                run_hold_rush(
                    cluster,
                    sid,
                    seeds.buyers[: opts.hold_buyers],
                    in_flight=opts.in_flight,
                    time_limit=opts.sale_seconds,
                )
            )
        out[f"hold rush {cluster.label}"] = {**held.summary(), "pg_waits": waits.summary()}
        rows += hold_rows(cluster.label, held)
    return rows


@contextlib.contextmanager
def _waits(cluster: Cluster) -> Iterator[profiling.Waits]:
    """What PostgreSQL's backends wait on during a sale (nothing to sample on SQLite)."""
    if cluster.backend != POSTGRESQL:
        yield profiling.Waits()
        return
    with profiling.pg_waits(PG_ADMIN, cluster.database_url.rsplit("/", 1)[1]) as waits:
        yield waits


def _profile(cluster: Cluster, seeds: Seeds, opts: argparse.Namespace, say: Say) -> dict[str, Any]:
    """py-spy on the server while browse pages, then a smaller on-sale run, then a smaller
    hold-only rush (those of the scenarios chosen); figures of these runs are not reported
    (the sampler takes CPU)."""
    RESULTS.mkdir(exist_ok=True)
    pids = [s.pid for s in cluster.servers]
    found: dict[str, Any] = {}
    pages = [p for p in browse.pages(cluster.urls[0], seeds.demo_sid) if "304" not in p.name]
    if "browse" in opts.scenarios:
        with profiling.sampling(pids, RESULTS / "profile-browse") as files:
            for page in pages:
                say(f"profiling: browse {page.name}")
                browse.measure(cluster, page, opts.seconds, opts.connections)
        title = "browse: " + ", ".join(p.name for p in pages)
        found["browse"] = _write_profile(files, "browse", title)
    runs = {"onsale": ("on-sale", opts.buyers), "holds": ("hold rush", opts.hold_buyers)}
    for scenario, (name, wanted) in runs.items():
        if scenario not in opts.scenarios:
            continue
        buyers = seeds.buyers[: min(wanted, 2000)]
        setup = (_stadium_sale if scenario == "onsale" else _all_seats)(seeds, "PR" + scenario)
        sid = asyncio.run(_session(cluster, seeds.stadium, setup))
        run = run_onsale if scenario == "onsale" else run_hold_rush
        with (
            profiling.sampling(pids, RESULTS / f"profile-{scenario}") as files,
            _waits(cluster) as waits,
        ):
            say(f"profiling: {name}, {len(buyers)} buyers")
            asyncio.run(run(cluster, sid, buyers, in_flight=opts.in_flight, time_limit=60))
        found[name] = _write_profile(files, scenario, f"{name}: {len(buyers)} buyers")
        found[name]["pg_waits"] = waits.summary()
    return found


def _write_profile(files: list[Path], name: str, title: str) -> dict[str, Any]:
    profile = profiling.read_profile(files)
    svg = RESULTS / f"flame-{name}.svg"
    svg.write_text(profiling.flame_svg(profile, title))
    return {**profile.summary(), "flame_graph": str(svg), "raw": [str(f) for f in files]}


def _backend(backend: str, opts: argparse.Namespace, say: Say, meta: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    counts = opts.servers if backend == POSTGRESQL else opts.sqlite_servers
    with tempfile.TemporaryDirectory(prefix="admit-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        say(f"{backend}: migrating")
        with database(backend, data_dir) as url:
            keys = new_keys()
            say(f"{backend}: seeding the demo catalogue and the buyers")
            seeds = asyncio.run(_seed(Cluster(backend, url, data_dir, keys), opts))
            for n in counts:
                say(f"{backend}: starting {n} server(s)")
                logs = RESULTS / "logs" / f"{backend}-{n}"
                with start_cluster(
                    backend, url, data_dir, keys, servers=n, settlers=opts.settlers, log_dir=logs
                ) as cluster:
                    if "browse" in opts.scenarios:
                        rows += _browse(cluster, seeds, opts, say)
                    rows += _sales(cluster, seeds, opts, say, meta["sales"])
                    if "login" in opts.scenarios:
                        rows += _login(cluster, seeds, opts, say)
                    if opts.profile and backend == POSTGRESQL and n == 1:
                        meta["profiles"] = _profile(cluster, seeds, opts, say)
    return rows


def _number(figure: dict[str, Any], *names: str) -> float:
    return next((float(figure[n]) for n in names if figure.get(n) is not None), 0.0)


def _external(scenario: str, module: str) -> list[Row]:
    """The rows of another team's benchmark module (its ``run() -> list[dict]``)."""
    if importlib.util.find_spec(module) is None:
        return [Row("—", scenario, f"not built yet ({module.replace('.', '/')}.py missing)")]
    found: list[dict[str, Any]] = importlib.import_module(module).run()
    rows = []
    for f in found:
        what = str(f.get("what") or f.get("part") or f.get("name") or f.get("scenario") or scenario)
        row = Row.of(str(f.get("backend", "—")), scenario, what, f)
        row.count = _number(f, "requests", "count", "scans", "validations", "pages", "n")
        row.rate = _number(f, "rps", "per_second", "rate", "throughput")
        row.extra = f
        rows.append(row)
    return rows


def _cost(opts: argparse.Namespace) -> list[Row]:
    """Server CPU per request (``bench/request_cost.py``); the rate column is its ceiling:
    the requests per second one core could serve at that cost."""
    rows = []
    for backend in opts.backends:
        for f in request_cost.run(300, backend):
            if "server_ms" not in f:
                continue
            ms = float(f["server_ms"])
            what = f"{f['what']}: {ms:.1f} ms server, {f['postgres_ms']} ms PostgreSQL CPU"
            row = Row(f"{backend} ×1", "cost", what, float(f["requests"]), extra=f)
            row.rate = 1000.0 / ms if ms > 0 else 0.0
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    opts = parse(argv)
    meta: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "options": dict(vars(opts)),
        "sales": {},
    }
    rows: list[Row] = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("bench", total=None)

        def say(text: str) -> None:
            bar.update(task, description=text)
            bar.console.log(text)

        for backend in opts.backends:
            rows += _backend(backend, opts, say, meta)
        if "login" in opts.scenarios:
            say("argon2id verifications in this process (one core)")
            rows.append(Row.of("—", "login", "argon2id verify, 1 core", login.argon2_per_core()))
        if "gate" in opts.scenarios:
            say("gate: offline validations")
            rows += _external("gate", "bench.gate")
        if "pages" in opts.scenarios:
            say("storefront: page loads")
            rows += _external("pages", "bench.page_load")
        if "cost" in opts.scenarios:
            say("CPU per request of the purchase path, one at a time")
            rows += _cost(opts)
        if "reports" in opts.scenarios:
            say("reports over a year of sales (PostgreSQL)")
            rows += _external("reports", "bench.reports")
        if "refunds" in opts.scenarios:
            say("cancelling a sold-out 20,160-seat session: refunds through the bank")
            rows += _external("refunds", "bench.cancel_session")
    console.print(table(rows, f"Admit benchmarks — {meta['started']}"))
    out = save(rows, meta)
    console.print(f"saved {out} and {RESULTS / 'latest.md'}")
    failed = [r for r in rows if r.check == "FAILED"]
    if failed:
        console.print(f"[red]correctness check FAILED in {len(failed)} rows[/red]")
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Reports benchmark (issue 18, item 5): every report's JSON, CSV, XLSX and page over a year
of sales of one organiser on PostgreSQL — by default 800,000 paid orders with 1,000,000
tickets and lines, 800,000 captured payments and 40,000 done refunds over the 365 days that
end today — answered by a real server process over loopback.

The data is bulk-inserted with ``INSERT … SELECT generate_series`` (in chunks, with a Rich
progress bar), then ``ANALYZE``d, and the closed days are rolled up (``reports.rollup``, as
``admit rollup-reports`` does; timed): today is read live, as on a running platform. Every
fifth order is sold at one of 20 box-office outlets by one of 40 clerks, the others on the
web by one of 200,000 customers (half with a default address in one of 10 provinces); every
fourth order has a second (child) ticket; every twentieth payment is refunded two days
later. Each request is made once to warm up, then
``REPEAT`` times; the table shows the median and the slowest. Run: ``python -m bench.reports``
(``BENCH_REPORT_ORDERS``, ``BENCH_REPORT_REPEAT`` change the sizes)."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from admit.accounts.tokens import new_token
from admit.core.audit_context import SYSTEM
from admit.core.crypto import load_crypto
from admit.reports import rollup
from bench.harness import POSTGRESQL, Cluster, database, new_keys, start_cluster

ORDERS = int(os.environ.get("BENCH_REPORT_ORDERS", "800000"))
REPEAT = int(os.environ.get("BENCH_REPORT_REPEAT", "2"))
CHUNK = 100_000
SESSIONS, EVENTS, OUTLETS, CLERKS, CUSTOMERS = 500, 50, 20, 40, 200_000
PROVINCES = [
    "北京市",
    "上海市",
    "广东省",
    "浙江省",
    "江苏省",
    "四川省",
    "湖北省",
    "山东省",
    "福建省",
    "陕西省",
]
# The sales cover the 365 days ending today: last month (about 66,000 payments and 82,000
# tickets, rolled up) in all four forms, this month so far (rolled up but today) as JSON, and
# the whole 365 days (everything) as JSON and XLSX.
TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=364)
LAST_MONTH_END = TODAY.replace(day=1) - timedelta(days=1)
LAST_MONTH = LAST_MONTH_END.replace(day=1)
BILL_DAY = LAST_MONTH.replace(day=15)
PERIODS: list[tuple[str, tuple[date, date], tuple[str, ...]]] = [
    ("last month", (LAST_MONTH, LAST_MONTH_END), ("", ".csv", ".xlsx", ".html")),
    ("this month", (TODAY.replace(day=1), TODAY), ("",)),
    ("365 days", (START, TODAY), ("", ".xlsx")),
]
# The reports and groupings timed (each as JSON, CSV, XLSX and the page).
CASES: list[tuple[str, str]] = [
    *(("revenue", d) for d in ("day", "week", "month", "event", "session", "channel")),
    ("revenue", "outlet"),
    ("revenue", "ticket_type"),
    ("refunds", "day"),
    ("refunds", "reason"),
    ("sellers", "outlet"),
    ("sellers", "staff"),
    ("audience", "channel"),
    ("audience", "buyer_kind"),
    ("audience", "source"),
    ("audience", "region"),
    ("bills", "day"),
]
console = Console(width=130)

# Every statement is run for one chunk of ids: $1 the first, $2 the last.
_CATALOGUE = [
    "INSERT INTO organiser (id, code, name, created_at) VALUES (1, 'BENCH', 'Bench', now())",
    "INSERT INTO venue (id, code, name, address, use, capacity, search_text, created_at) "
    "VALUES (1, 'BV', 'Bench hall', '', '', 0, '', now())",
    "INSERT INTO seat_map (id, venue_id, name, version, seat_count, ga_capacity, created_at, "
    "updated_at) VALUES (1, 1, 'map', 1, 0, 0, now(), now())",
    f"INSERT INTO event (id, organiser_id, number, name, category, discipline, description, "
    f"tags, search_text, created_at) SELECT e, 1, 'E' || e, 'Event ' || e, 'concert', '', '', "
    f"'[]', '', now() FROM generate_series(1, {EVENTS}) e",
    f"INSERT INTO session (id, event_id, venue_id, seat_map_id, code, name, starts_at, ends_at, "
    f"status, created_at) SELECT s, 1 + s % {EVENTS}, 1, 1, 'S' || s, 'Show ' || s, "
    f"'2026-01-01'::timestamptz + s * interval '17 hours', "
    f"'2026-01-01'::timestamptz + s * interval '17 hours' + interval '2 hours', 'on_sale', "
    f"now() FROM generate_series(1, {SESSIONS}) s",
    f"INSERT INTO sales_window (id, session_id, channel, starts_at, ends_at, per_person_limit, "
    f"payment_minutes, real_name_required, enabled, created_at) SELECT 2 * s - c, s, "
    f"CASE c WHEN 0 THEN 'box_office' ELSE 'web' END, '{START - timedelta(days=31)}', "
    f"'{TODAY + timedelta(days=31)}', 6, 15, "
    f"false, true, now() FROM generate_series(1, {SESSIONS}) s, generate_series(0, 1) c",
    f"INSERT INTO sales_outlet (id, channel, code, name, enabled, created_at) SELECT o, "
    f"'box_office', 'BO-' || o, 'Kiosk ' || o, true, now() FROM generate_series(0, "
    f"{OUTLETS - 1}) o",
    f"INSERT INTO staff_user (id, username, display_name, password_hash, password_changed_at, "
    f"must_change_password, is_active, failed_logins, locked_by_operator, created_at) SELECT "
    f"u, 'clerk' || u, '', 'x', now(), false, true, 0, false, now() FROM generate_series(1, "
    f"{CLERKS + 1}) u",
]
_CUSTOMERS = [
    "INSERT INTO customer (id, source_channel, failed_logins, locked_by_operator, created_at) "
    "SELECT c, CASE WHEN c % 3 = 0 THEN 'mobile' ELSE 'web' END, 0, false, now() "
    "FROM generate_series($1::bigint, $2::bigint) c",
    "INSERT INTO customer_address (id, customer_id, province, city, district, street_enc, "
    "recipient_enc, phone_enc, is_default, created_at, updated_at) SELECT c, c, "
    "(ARRAY['" + "','".join(PROVINCES) + "'])[1 + c % 10], 'city', 'district', $3, $3, $3, "
    "true, now(), now() FROM generate_series($1::bigint, $2::bigint) c WHERE c % 2 = 0",
]
# Order i: 365 days spread evenly; web unless i % 5 = 0 (a clerk at an outlet).
_AT = "('{start}'::timestamptz + interval '1 second' * (i * 31535000 / {n}))"
_SALES = [
    "INSERT INTO sales_hold (id, session_id, window_id, buyer, channel, outlet, status, "
    "quantity, created_at, expires_at, ended_at) SELECT i, 1 + i % {sessions}, "
    "2 * (1 + i % {sessions}) - CASE WHEN i % 5 = 0 THEN 0 ELSE 1 END, "
    "CASE WHEN i % 5 = 0 THEN 'staff:' || (2 + i % {clerks}) "
    "ELSE 'customer:' || (1 + i % {customers}) END, "
    "CASE WHEN i % 5 = 0 THEN 'box_office' ELSE 'web' END, "
    "CASE WHEN i % 5 = 0 THEN 'BO-' || (i % {outlets}) END, 'ordered', "
    "CASE WHEN i % 4 = 0 THEN 2 ELSE 1 END, {at}, {at} + interval '15 minutes', {at} "
    "FROM generate_series($1::bigint, $2::bigint) i",
    "INSERT INTO sales_order (id, number, hold_id, session_id, buyer, channel, status, total, "
    "currency, idempotency_key, created_at, pay_by, paid_at, paid_by) SELECT i, 'B' || i, i, "
    "1 + i % {sessions}, h.buyer, h.channel, 'paid', "
    "CASE WHEN i % 4 = 0 THEN 12000 ELSE 8000 END, 'CNY', 'k' || i, {at}, "
    "{at} + interval '15 minutes', {at} + interval '1 minute', 'B' || i || 'P1' "
    "FROM generate_series($1::bigint, $2::bigint) i JOIN sales_hold h ON h.id = i",
    "INSERT INTO sales_order_line (id, order_id, seat_key, ticket_type, amount) "
    "SELECT 2 * i - k, i, 'S-' || i || '-' || k, CASE k WHEN 1 THEN 'adult' ELSE 'child' END, "
    "CASE k WHEN 1 THEN 8000 ELSE 4000 END FROM generate_series($1::bigint, $2::bigint) i, "
    "generate_series(0, 1) k WHERE k = 1 OR i % 4 = 0",
    "INSERT INTO ticket (id, code, order_number, line_id, session_id, organiser_id, seat_key, "
    "label, ticket_type, amount, status, kid, qr, issued_at) SELECT l.id, 'T' || l.id, "
    "'B' || l.order_id, l.id, 1 + l.order_id % {sessions}, 1, l.seat_key, l.seat_key, "
    "l.ticket_type, l.amount, 'valid', 'k', 'qr', "
    "('{start}'::timestamptz + interval '1 second' * (l.order_id * 31535000 / {n})) "
    "+ interval '1 minute' FROM sales_order_line l WHERE l.order_id BETWEEN $1 AND $2",
    "INSERT INTO payment (id, number, order_number, organiser_id, method, amount, currency, "
    "status, staff, outlet, created_at, expires_at, captured_at, refunded) SELECT i, "
    "'B' || i || 'P1', 'B' || i, 1, CASE WHEN i % 5 = 0 THEN 'cash' ELSE 'bank' END, "
    "CASE WHEN i % 4 = 0 THEN 12000 ELSE 8000 END, 'CNY', 'captured', "
    "CASE WHEN i % 5 = 0 THEN 'clerk' || (2 + i % {clerks}) END, "
    "CASE WHEN i % 5 = 0 THEN 'BO-' || (i % {outlets}) END, {at}, {at} + interval '15 minutes', "
    "{at} + interval '1 minute', CASE WHEN i % 20 = 0 THEN 8000 ELSE 0 END "
    "FROM generate_series($1::bigint, $2::bigint) i",
    "INSERT INTO payment_refund (id, number, payment_id, amount, reason, status, created_at, "
    "done_at) SELECT i, 'B' || i || 'P1R1', i, 8000, CASE WHEN i % 40 = 0 THEN 'late' "
    "ELSE 'buyer' END, 'done', {at} + interval '2 days', {at} + interval '2 days' "
    "FROM generate_series($1::bigint, $2::bigint) i WHERE i % 20 = 0",
]


def _sales_sql(n: int) -> list[str]:
    start = f"{START} 00:00+00"
    at = _AT.format(n=n, start=start)
    sizes = {"sessions": SESSIONS, "clerks": CLERKS, "customers": CUSTOMERS, "outlets": OUTLETS}
    return [s.format(at=at, n=n, start=start, **sizes) for s in _SALES]


async def build(dsn: str, orders: int, keys: dict[str, str]) -> str:
    """Insert the catalogue, the customers and ``orders`` sales; a finance manager's token.
    The addresses' encrypted fields are encrypted with the run's keys (the server checks)."""
    sealed = load_crypto(keys["ADMIT_FIELD_KEYS"], keys["ADMIT_LOOKUP_KEY"], Path()).encrypt("x")
    conn = await asyncpg.connect(dsn)
    token, digest = new_token()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("catalogue", total=len(_CATALOGUE))
            for statement in _CATALOGUE:
                await conn.execute(statement)
                bar.advance(task)
            await conn.execute(
                "INSERT INTO staff_grant (staff_id, role, scope, scope_id) "
                "VALUES (1, 'business_manager', 'organiser', '1')"
            )
            await conn.execute(
                "INSERT INTO staff_token (staff_id, token_hash, created_at, expires_at) "
                "VALUES (1, $1, now(), now() + interval '1 day')",
                digest,
            )
            task = bar.add_task("customers", total=CUSTOMERS)
            for first in range(1, CUSTOMERS + 1, CHUNK):
                last = min(first + CHUNK - 1, CUSTOMERS)
                await conn.execute(_CUSTOMERS[0], first, last)
                await conn.execute(_CUSTOMERS[1], first, last, sealed)
                bar.advance(task, last - first + 1)
            task = bar.add_task("orders, lines, tickets, payments, refunds", total=orders)
            sales = _sales_sql(orders)
            for first in range(1, orders + 1, CHUNK):
                last = min(first + CHUNK - 1, orders)
                async with conn.transaction():
                    for statement in sales:
                        await conn.execute(statement, first, last)
                bar.advance(task, last - first + 1)
            task = bar.add_task("VACUUM ANALYZE", total=1)
            await conn.execute("VACUUM ANALYZE")  # as autovacuum would: index-only scans
            bar.advance(task)
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608 (fixed names)
            for t in ("sales_order", "ticket", "payment", "payment_refund")
        }
        console.log(f"built: {counts}")
    finally:
        await conn.close()
    return token


async def _roll_up(cluster: Cluster) -> dict[str, Any]:
    """Roll up every closed day, a month per transaction (as ``admit rollup-reports``)."""
    async with cluster.runtime() as rt:
        now = rt.clock.now()
        async with rt.uow(SYSTEM, readonly=True) as uow:
            total = await rollup.pending(uow, now)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        started = time.perf_counter()
        with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("rolling up the closed days", total=total)
            while True:
                async with rt.uow(SYSTEM) as uow:
                    days = await rollup.advance(uow, now, days=31)
                if not days:
                    break
                bar.advance(task, len(days))
        elapsed = (time.perf_counter() - started) * 1000
    return {
        "backend": POSTGRESQL,
        "what": f"roll-up of {total} closed days (once, not a request)",
        "requests": 1,
        "p50_ms": elapsed,
        "p99_ms": elapsed,
        "errors": 0,
        "bytes": 0,
    }


async def _time(base: str, token: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {token}"}
    total = sum(len(CASES) * len(formats) for _, _, formats in PERIODS)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as http:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("reports", total=total)
            for period, (first, last), formats in PERIODS:
                for report, by in CASES:
                    for suffix in formats:
                        what = f"{period}: {report}{suffix or ' (JSON)'} by {by}"
                        bar.update(task, description=what)
                        url = f"/api/v1/admin/reports/1/{report}{suffix}"
                        params = {"from": str(first), "to": str(last), "by": by}
                        rows.append(await _timed(http, what, url, params))
                        bar.advance(task)
            day = f"/api/v1/admin/reports/1/bills/{BILL_DAY}.xlsx"
            rows.append(await _timed(http, f"one day's bill .xlsx ({BILL_DAY})", day, {}))
    return rows


async def _timed(
    http: httpx.AsyncClient, what: str, url: str, params: dict[str, str]
) -> dict[str, Any]:
    """One warm-up request (not counted), then ``REPEAT`` timed ones."""
    times, size, failed = [], 0, 0
    for attempt in range(REPEAT + 1):
        started = time.perf_counter()
        got = await http.get(url, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        size, failed = len(got.content), failed + (got.status_code != 200)
        if attempt:
            times.append(elapsed)
    return {
        "backend": POSTGRESQL,
        "what": what,
        "requests": REPEAT,
        "p50_ms": statistics.median(times),
        "p99_ms": max(times),
        "errors": failed,
        "bytes": size,
    }


def run(orders: int = ORDERS) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="admit-reports-") as tmp:
        data_dir = Path(tmp) / "data"
        with database(POSTGRESQL, data_dir, name="admit_reports") as url:
            dsn = url.replace("postgresql+asyncpg://", "postgresql://")
            keys = new_keys()
            token = asyncio.run(build(dsn, orders, keys))
            with start_cluster(POSTGRESQL, url, data_dir, keys, servers=1) as cluster:
                rolled = asyncio.run(_roll_up(cluster))
                return [rolled, *asyncio.run(_time(cluster.urls[0], token))]


def main() -> None:
    rows = run()
    title = f"Reports: {ORDERS:,} orders over the 365 days to {TODAY}, PostgreSQL, one server"
    table = Table(title=title)
    for col in ("report", "median ms", "slowest ms", "bytes", "ok"):
        table.add_column(col, justify="left" if col == "report" else "right")
    for r in rows:
        table.add_row(
            r["what"],
            f"{r['p50_ms']:.0f}",
            f"{r.get('p99_ms', r['p50_ms']):.0f}",
            f"{r['bytes']:,}",
            "yes" if not r["errors"] else "NO",
        )
    console.print(table)


if __name__ == "__main__":
    main()

"""``python -m bench.reconciliation``: a payment gateway's day reconciled with a big ledger.

A fresh migrated PostgreSQL database is filled with SQL (``INSERT … SELECT generate_series``):
``--payments`` captured bank payments spread evenly over ``--days`` UTC days, one in twenty
refunded the same day, each with its ledger entry (``capture`` / ``refund``, two lines). The
statement of the middle day is built from the day's payments and refunds and perturbed (a
hundred lines each dropped, changed, duplicated and foreign), written in the generic upload
CSV. Then, timed: the CSV parsed (``finance.statement_csv``), the day compared with the
ledger and stored (``finance.gateway_recon.compare_and_store``: one query for the platform's
side, matching in memory, the run and its exceptions written), and the same run again (the
existing exceptions are kept). The run must find exactly the injected differences.

Prints a Markdown table; figures are measured, never asserted."""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from admit import tables  # noqa: F401  (every table on the metadata)
from admit.core.audit_context import SYSTEM
from admit.core.config import Settings
from admit.core.runtime import Runtime
from admit.finance import gateway_recon, statement_csv
from admit.payments.gateway import StatementLine
from bench.harness import POSTGRESQL, database

START = datetime(2026, 1, 1, tzinfo=UTC)
PERTURBED = 100  # lines of each kind of difference

SEED = [
    "INSERT INTO organiser (id, code, name, created_at) VALUES (1, 'BENCH', 'Bench', :start)",
    # Payment i is captured on day i % days, spread over the day by i.
    "INSERT INTO payment (id, number, order_number, organiser_id, method, amount, currency,"
    " status, trade_no, created_at, expires_at, captured_at, ended_at, refunded)"
    " SELECT i, 'P' || lpad(i::text, 9, '0'), 'O' || lpad(i::text, 9, '0'), 1, 'bank',"
    " 1000 + (i % 97) * 100, 'CNY', 'captured', 'T' || i, ts, ts + interval '15 minutes', ts,"
    " ts, CASE WHEN (i / :days) % 20 = 0 THEN 1000 + (i % 97) * 100 ELSE 0 END"
    " FROM (SELECT i, CAST(:start AS timestamptz) + (i % :days) * interval '1 day'"
    "       + ((i / :days) % 86000) * interval '1 second' AS ts"
    "       FROM generate_series(1, :n) AS i) AS s",
    "INSERT INTO payment_refund (id, number, payment_id, amount, reason, status, refund_no,"
    " created_at, done_at)"
    " SELECT id, number || 'R1', id, amount, 'buyer', 'done', 'RF' || id,"
    " captured_at + interval '5 minutes', captured_at + interval '5 minutes'"
    " FROM payment WHERE refunded > 0",
    "INSERT INTO ledger_entry (id, at, kind, ref, organiser_id, currency, memo)"
    " SELECT id, captured_at, 'capture', number, 1, 'CNY', 'order ' || order_number"
    " FROM payment",
    "INSERT INTO ledger_entry (id, at, kind, ref, organiser_id, currency, memo)"
    " SELECT :n + r.id, r.done_at, 'refund', r.number, 1, 'CNY', 'buyer'"
    " FROM payment_refund r",
    "INSERT INTO ledger_line (entry_id, account, amount)"
    " SELECT p.id, a.account, CASE WHEN a.account = 'gateway:bank' THEN p.amount"
    " ELSE -p.amount END FROM payment p"
    " CROSS JOIN (VALUES ('gateway:bank'), ('organiser:1:payable')) AS a(account)",
    "INSERT INTO ledger_line (entry_id, account, amount)"
    " SELECT :n + r.id, a.account, CASE WHEN a.account = 'gateway:bank' THEN -r.amount"
    " ELSE r.amount END FROM payment_refund r"
    " CROSS JOIN (VALUES ('gateway:bank'), ('organiser:1:payable')) AS a(account)",
    *(
        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
        for t in ("ledger_entry", "ledger_line", "payment", "payment_refund")
    ),
    "ANALYZE",
]


async def _seed(url: str, payments: int, days: int) -> None:
    """On an engine of its own, with no command timeout: the big inserts take a minute."""
    params = {"start": START, "days": days, "n": payments}
    engine = create_async_engine(url)
    try:
        for sql in SEED:
            async with engine.begin() as conn:
                used = {k: v for k, v in params.items() if f":{k}" in sql}
                await conn.execute(text(sql), used)
    finally:
        await engine.dispose()


async def _statement(rt: Runtime, day: date) -> tuple[str, int]:
    """The day's true statement, perturbed; the CSV and how many lines it has."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    async with rt.uow(SYSTEM, readonly=True) as uow:
        pays = (
            await uow.session.execute(
                text(
                    "SELECT number, trade_no, amount, captured_at FROM payment"
                    " WHERE captured_at >= :s AND captured_at < :e ORDER BY id"
                ),
                {"s": start, "e": start + timedelta(days=1)},
            )
        ).all()
        refunds = (
            await uow.session.execute(
                text(
                    "SELECT r.number, p.number, p.trade_no, r.amount, r.done_at"
                    " FROM payment_refund r JOIN payment p ON p.id = r.payment_id"
                    " WHERE r.done_at >= :s AND r.done_at < :e ORDER BY r.id"
                ),
                {"s": start, "e": start + timedelta(days=1)},
            )
        ).all()
    lines = [StatementLine(t, n, "pay", a, a * 6 // 1000, at, None) for n, t, a, at in pays]
    lines += [StatementLine(t, p, "refund", a, a * 6 // 1000, at, r) for r, p, t, a, at in refunds]
    rng = random.Random(18)
    picked = rng.sample(range(len(pays)), 3 * PERTURBED)
    dropped = set(picked[:PERTURBED])
    changed = set(picked[PERTURBED : 2 * PERTURBED])
    doubled = picked[2 * PERTURBED :]
    out = [
        StatementLine(ln.trade_no, ln.out_trade_no, "pay", ln.amount + 1, ln.fee, ln.at, None)
        if i in changed
        else ln
        for i, ln in enumerate(lines)
        if i not in dropped
    ]
    out += [lines[i] for i in doubled]
    out += [
        StatementLine(f"TX{i}", f"FOREIGN{i}", "pay", 500, 3, start + timedelta(hours=1), None)
        for i in range(PERTURBED)
    ]
    return statement_csv.write("bank", out), len(out)


def main(payments: int, days: int) -> None:
    """The database is made and dropped outside the event loop (the harness runs its own)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(POSTGRESQL, Path(tmp), name="admit_bench_recon") as url,
    ):
        asyncio.run(_run(Path(tmp), url, payments, days))


async def _run(tmp: Path, url: str, payments: int, days: int) -> None:
    console = Console(stderr=True)
    rt = Runtime.from_settings(Settings(data_dir=tmp, database_url=url))
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"seeding {payments:,} payments with SQL", total=None)
        began = time.perf_counter()
        await _seed(url, payments, days)
        seeded = time.perf_counter() - began
        day = (START + timedelta(days=days // 2)).date()
        progress.update(task, description=f"building {day}'s statement")
        csv_text, lines = await _statement(rt, day)
        progress.update(task, description="reconciling")
        began = time.perf_counter()
        parsed = statement_csv.parse(csv_text, gateway="bank", day=day)
        parse_s = time.perf_counter() - began
        timings = []
        for _ in range(2):
            began = time.perf_counter()
            async with rt.uow(SYSTEM) as uow:
                view = await gateway_recon.compare_and_store(
                    uow,
                    gateway="bank",
                    day=day,
                    lines=parsed,
                    source="uploaded",
                    now=datetime.now(UTC),
                )
            timings.append(time.perf_counter() - began)
    kinds: dict[str, int] = {}
    for e in view.exceptions:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    await rt.close()
    expected = {
        "missing_at_gateway": PERTURBED,
        "amount_differs": PERTURBED,
        "duplicate_at_gateway": PERTURBED,
        "missing_on_platform": PERTURBED,
    }
    check = "ok" if kinds == expected else f"WRONG {kinds}"
    print(  # noqa: T201
        f"ledger: {payments:,} payments + {payments // 20:,} refunds over {days} days "
        f"(seeded in {seeded:.0f} s); the day: {lines:,} statement lines, "
        f"{view.run.matched:,} matched, exceptions {check}\n"
        "| step | seconds |\n|---|---:|\n"
        f"| parse the uploaded CSV ({len(csv_text) / 1e6:.1f} MB) | {parse_s:.2f} |\n"
        f"| compare with the ledger and store (first run) | {timings[0]:.2f} |\n"
        f"| the same again (exceptions kept) | {timings[1]:.2f} |\n"
        f"| **upload to stored run** (parse + first run) | **{parse_s + timings[0]:.2f}** |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()
    main(args.payments, args.days)

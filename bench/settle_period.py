"""``python -m bench.settle_period``: what settling a day costs (issue 18, item 3).

Per backend, a fresh migrated database with the demo catalogue; ``--sales`` paid sales of
two tickets on one UTC day, a fifth on the web and the rest spread over ``--agents`` agent
outlets, one in ten paid in cash and one in twenty refunded (the rows a sale leaves — hold,
order, lines, payment — and its capture and refund entries, bulk-inserted through
``ledger.post_many``); agreements with the platform and every agent. Then the day's run is
timed (read the period, compute, write the shares, post the entries), the same run asked
again (idempotent: nothing posted), and one statement rendered as CSV and as PDF.

Prints a Markdown table; figures are measured, never asserted."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import insert, select, text

from admit import tables  # noqa: F401  (every table on the metadata)
from admit.catalog.models import Organiser
from admit.cli.demo_data import seed_demo
from admit.core.audit_context import SYSTEM
from admit.core.config import Settings
from admit.core.db import table
from admit.core.runtime import Runtime
from admit.finance import ledger
from admit.payments.models import Payment, Refund
from admit.sales.models import Hold, Order, OrderLine, Outlet, SalesWindow
from admit.sales.settlement import capture_entry
from admit.settlement import agreements, runs, statements
from bench.harness import POSTGRESQL, SQLITE, database

DAY = date(2026, 12, 1)
BATCH = 2000
PRICE = 6800


async def _fill(rt: Runtime, sales: int, agents: int, bar: Progress) -> int:
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    async with rt.uow(SYSTEM) as uow:
        await seed_demo(uow, now=at - timedelta(days=2))
        organiser_id = await uow.session.scalar(select(Organiser.id).order_by(Organiser.id))
        window = (await uow.session.execute(select(SalesWindow).limit(1))).scalar_one()
        codes = [f"AG-{i}" for i in range(agents)]
        await uow.session.execute(
            insert(table(Outlet)),
            [{"channel": "agent", "code": c, "name": c, "created_at": at} for c in codes],
        )
        for kind, party, bp in [("platform", None, 300)] + [("agent", c, 800) for c in codes]:
            await agreements.create(
                uow,
                agreements.NewAgreement(
                    organiser_id=organiser_id or 0,
                    kind=kind,
                    party=party,
                    percent_bp=bp,
                    per_ticket=50 if kind == "agent" else 0,
                    valid_from=DAY,
                ),
                who="bench",
                now=at,
            )
    assert organiser_id is not None
    task = bar.add_task("Inserting sales", total=sales)
    for first in range(0, sales, BATCH):
        n = min(BATCH, sales - first)
        async with rt.uow(SYSTEM) as uow:
            holds = []
            for i in range(first, first + n):
                outlet = None if i % 5 == 0 else codes[i % agents]
                holds.append(
                    {
                        "session_id": window.session_id,
                        "window_id": window.id,
                        "buyer": f"guest:{i}",
                        "channel": "agent" if outlet else "web",
                        "outlet": outlet,
                        "status": "sold",
                        "quantity": 2,
                        "created_at": at,
                        "expires_at": at,
                    }
                )
            hold_ids = (
                (
                    await uow.session.execute(
                        insert(table(Hold)).returning(
                            table(Hold).c.id, sort_by_parameter_order=True
                        ),
                        holds,
                    )
                )
                .scalars()
                .all()
            )
            orders = [
                {
                    "number": f"B{i}",
                    "hold_id": hid,
                    "session_id": window.session_id,
                    "buyer": h["buyer"],
                    "channel": h["channel"],
                    "status": "paid",
                    "total": 2 * PRICE,
                    "currency": "CNY",
                    "idempotency_key": f"b{i}",
                    "created_at": at,
                    "pay_by": at,
                    "paid_at": at,
                    "paid_by": f"B{i}P1",
                }
                for i, hid, h in zip(range(first, first + n), hold_ids, holds, strict=True)
            ]
            order_ids = (
                (
                    await uow.session.execute(
                        insert(table(Order)).returning(
                            table(Order).c.id, sort_by_parameter_order=True
                        ),
                        orders,
                    )
                )
                .scalars()
                .all()
            )
            await uow.session.execute(
                insert(table(OrderLine)),
                [
                    {
                        "order_id": oid,
                        "price_level_id": None,
                        "ticket_type": "adult",
                        "amount": PRICE,
                    }
                    for oid in order_ids
                    for _ in range(2)
                ],
            )
            payments = [
                Payment(
                    number=f"B{i}P1",
                    order_number=f"B{i}",
                    organiser_id=organiser_id,
                    method="cash" if i % 10 == 1 and h["outlet"] else "bank",
                    amount=2 * PRICE,
                    currency="CNY",
                    status="captured",
                    outlet=h["outlet"] if i % 10 == 1 else None,
                    created_at=at,
                    expires_at=at,
                    captured_at=at,
                )
                for i, h in zip(range(first, first + n), holds, strict=True)
            ]
            uow.session.add_all(payments)
            await uow.session.flush()
            entries = [capture_entry(p, at) for p in payments]
            refunds = [
                p for i, p in zip(range(first, first + n), payments, strict=True) if i % 20 == 3
            ]
            uow.session.add_all(
                Refund(
                    number=f"{p.number}R1",
                    payment_id=p.id,
                    amount=PRICE,
                    reason="buyer",
                    status="done",
                    created_at=at,
                    done_at=at,
                )
                for p in refunds
            )
            entries += [
                ledger.moved(
                    kind="refund",
                    ref=f"{p.number}R1",
                    organiser_id=organiser_id,
                    currency="CNY",
                    debit=ledger.payable_account(organiser_id),
                    credit=ledger.money_account(p.method, p.outlet),
                    amount=PRICE,
                    at=at + timedelta(hours=1),
                )
                for p in refunds
            ]
            await ledger.post_many(uow, entries)
        bar.advance(task, n)
    return organiser_id


async def _measure(url: str, data_dir: Path, sales: int, agents: int) -> dict[str, float]:
    rt = Runtime.from_settings(Settings(data_dir=data_dir, database_url=url))
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            organiser_id = await _fill(rt, sales, agents, bar)
        if url.startswith("postgresql"):  # as autovacuum would have by the next day
            async with rt.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        now = datetime(2026, 12, 2, 1, tzinfo=UTC)
        out: dict[str, float] = {}
        for label in ("run", "again"):
            started = time.perf_counter()
            async with rt.uow(SYSTEM) as uow:
                run = await runs.settle(
                    uow,
                    organiser_id=organiser_id,
                    start=DAY,
                    end=DAY + timedelta(days=1),
                    trigger="manual",
                    who="bench",
                    now=now,
                )
                found, shares = await runs.run_shares(uow, run.id)
            out[label] = time.perf_counter() - started
        agent = next(s for s in shares if s.kind == "agent")
        started = time.perf_counter()
        statements.statement_csv(found, agent)
        out["csv"] = time.perf_counter() - started
        started = time.perf_counter()
        statements.statement_pdf(found, agent)
        out["pdf"] = time.perf_counter() - started
        out["shares"] = len(shares)
        out["net"] = found.gross - found.refunded
        return out
    finally:
        await rt.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=50_000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--backends", default=f"{POSTGRESQL},{SQLITE}")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        with (
            tempfile.TemporaryDirectory() as tmp,
            database(backend, Path(tmp), name="admit_bench_settle") as url,
        ):
            got = asyncio.run(_measure(url, Path(tmp), args.sales, args.agents))
        rows.append(
            f"| {backend} | {int(got['shares'])} | {int(got['net'])} | {got['run']:.2f} "
            f"| {got['again']:.3f} | {got['csv'] * 1000:.1f} | {got['pdf'] * 1000:.1f} |"
        )
    head = "| backend | shares | net (fen) | run (s) | again (s) | CSV (ms) | PDF (ms) |"
    print(f"\n{args.sales} sales, {args.agents} agent outlets\n")  # noqa: T201
    print("\n".join([head, "|---|---|---|---|---|---|---|", *rows]))  # noqa: T201


if __name__ == "__main__":
    main()

"""Cancelling a sold-out stadium session (issue 18): a 20,160-seat session sold through the
bank simulator in orders of four seats (5,040 orders, each paid by its own bank trade), then
cancelled — refund requests made and tickets revoked by the batch (``refund_session``), and
every refund sent to the bank by the worker's refund jobs. The platform runs in this process
with the bank simulator over an in-process HTTP transport; figures are wall time.

    python -m bench.cancel_session [--backend postgresql|sqlite] [--seats N]

Checks afterwards: every ticket revoked, every trade refunded in full at the bank, exactly one
refund per trade, the ledger balanced."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from admit import tables  # noqa: F401  (every table on the metadata)
from admit.aftersale import session_cancel
from admit.aftersale.hooks import AfterSaleHooks
from admit.core.clock import FixedClock
from admit.core.config import Settings
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance import ledger
from admit.payments.bank import HttpBankGateway
from admit.payments.directory import Gateways
from admit.payments.models import Payment, Refund
from admit.sales import after_sale, checkout, holds, order_views, orders, settlement
from admit.sims.bank import create_bank_app
from admit.sims.bank_state import BankSimConfig
from admit.ticketing.models import Ticket
from bench.catalogue import stadium_session
from bench.harness import BENCH_ACTOR, POSTGRESQL, SQLITE, database

ORDER_SIZE = 4
MERCHANT, SECRET = "admit", "bench-secret"
console = Console()


async def _sell_one(
    rt: Runtime, gateway: HttpBankGateway, payer: httpx.AsyncClient, sid: int, seats: list[str]
) -> None:
    """One buyer's four seats: held, ordered, paid at the bank, captured."""
    buyer = f"bench:cancel:{seats[0]}"
    now = rt.clock.now()
    async with rt.uow(BENCH_ACTOR) as uow:
        hold = await holds.place_hold(
            uow,
            holds.HoldRequest(session_id=sid, buyer=buyer, channel="web", seat_keys=seats),
            now=now,
        )
        order = await orders.place_order(
            uow,
            hold_id=hold.id,
            buyer=buyer,
            lines=[order_views.LineInput(ticket_type="adult", seat=s) for s in seats],
            idempotency_key=f"cancel-{seats[0]}",
            now=now,
        )
        payment = await checkout.add_payment(
            uow, order, number=f"{order.number}P1", method="bank", now=now
        )
        number, amount, pay_by = payment.number, payment.amount, order.pay_by
    trade = await gateway.create(
        out_trade_no=number,
        amount=amount,
        currency="CNY",
        subject="bench",
        notify_url="http://admit.bench/notify",
        return_url="http://admit.bench/back",
        expires_at=pay_by,
    )
    paid = await payer.post(f"/pay/{trade.trade_no}", data={"decision": "approve"})
    assert paid.status_code in (200, 303), paid.text
    async with rt.uow(BENCH_ACTOR) as uow:
        locked = await settlement.lock_payment(uow, number)
        assert locked is not None
        assert await settlement.capture(uow, rt.crypto, locked, rt.clock.now()) == "paid"


async def _pending_refunds(rt: Runtime) -> int:
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        return int(
            await uow.session.scalar(
                select(func.count())
                .select_from(OutboxJob)
                .where(OutboxJob.kind == "sales.refund", OutboxJob.done_at.is_(None))
            )
            or 0
        )


async def _checks(rt: Runtime, payer: httpx.AsyncClient) -> dict[str, Any]:
    trades = (await payer.get("/_trades")).json()
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        valid = await uow.session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.status == "valid")
        )
        refunds = await uow.session.scalar(
            select(func.count()).select_from(Refund).where(Refund.status == "done")
        )
        payments = await uow.session.scalar(select(func.count()).select_from(Payment))
        unbalanced = await ledger.unbalanced_entries(uow)
    in_full = sum(1 for t in trades if sum(r["amount"] for r in t["refunds"]) == t["amount"])
    twice = sum(1 for t in trades if len(t["refunds"]) > 1)
    ok = valid == 0 and refunds == payments == in_full == len(trades) and not twice
    return {
        "valid_tickets_left": valid,
        "trades": len(trades),
        "refunded_in_full": in_full,
        "refunded_twice": twice,
        "ledger_balanced": not unbalanced,
        "check": "ok" if ok and not unbalanced else "FAILED",
    }


async def _measure(rt: Runtime, clock: FixedClock, seats: int) -> list[dict[str, Any]]:
    config = BankSimConfig(
        merchants={MERCHANT: SECRET}, public_url="http://bank.bench", lose_notifications=True
    )
    bank = create_bank_app(config, clock=clock)
    transport = httpx.ASGITransport(app=bank)
    gateway = HttpBankGateway(
        "http://bank.bench", MERCHANT, SECRET, transport=transport, clock=clock
    )
    rt.register(Gateways, Gateways(gateway))
    after_sale.install(AfterSaleHooks())  # what ``wiring`` does for the app's processes
    _, sid, keys = await stadium_session(rt, "CANCELBENCH", seats, ORDER_SIZE)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    figures: list[dict[str, Any]] = []
    async with (
        bank.router.lifespan_context(bank),
        httpx.AsyncClient(transport=transport, base_url="http://bank.bench") as payer,
    ):
        with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
            orders_n = (len(keys) + ORDER_SIZE - 1) // ORDER_SIZE
            task = bar.add_task("selling through the bank (setup)", total=orders_n)
            start = time.perf_counter()
            for i in range(0, len(keys), ORDER_SIZE):
                await _sell_one(rt, gateway, payer, sid, keys[i : i + ORDER_SIZE])
                bar.advance(task)
            figures.append(_row("sell through the bank (setup)", orders_n, start))

            start = time.perf_counter()
            async with rt.uow(BENCH_ACTOR) as uow:
                await session_cancel.cancel_session(
                    uow, session_id=sid, note="bench", who="bench", now=clock.now(), queue=False
                )
            task = bar.add_task("refund requests, tickets revoked", total=orders_n)
            report, _ = await session_cancel.refund_session(rt, sid, progress=_progress(bar, task))
            figures.append(_row("cancel: requests made, tickets revoked", report.tickets, start))
            figures[-1]["orders"] = report.refunded

            start = time.perf_counter()
            task = bar.add_task("refunds paid by the bank", total=report.refunded)
            while (left := await _pending_refunds(rt)) > 0:
                bar.update(task, completed=report.refunded - left)
                await run_once(rt, limit=200)
            figures.append(_row("refund jobs paid through the bank", report.refunded, start))
        figures.append({"part": "checks", **await _checks(rt, payer)})
    await gateway.aclose()
    return figures


def _progress(bar: Progress, task: Any) -> Callable[[int, int], None]:
    return lambda done, total: bar.update(task, completed=done, total=total)


def _row(part: str, count: int, start: float) -> dict[str, Any]:
    seconds = time.perf_counter() - start
    return {
        "part": part,
        "count": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds) if seconds else 0,
    }


def run(backend: str = POSTGRESQL, seats: int = 20_160) -> list[dict[str, Any]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(backend, Path(tmp), "admit_bench_cancel") as url,
    ):
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url,
            run_worker_in_process=False,
            simulators_in_process=False,
        )

        async def main() -> list[dict[str, Any]]:
            clock = FixedClock(datetime.now(UTC))
            rt = Runtime.from_settings(settings, clock=clock)
            try:
                return await _measure(rt, clock, seats)
            finally:
                await rt.close()

        figures = asyncio.run(main())
    return [{"backend": backend, **f} for f in figures]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.cancel_session", description=__doc__)
    parser.add_argument("--backend", choices=(POSTGRESQL, SQLITE), default=POSTGRESQL)
    parser.add_argument("--seats", type=int, default=20_160)
    args = parser.parse_args()
    for figure in run(args.backend, args.seats):
        console.print(figure)

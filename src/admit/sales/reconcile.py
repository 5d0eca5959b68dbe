"""After a restore, every payment the bank captured since the backup ends as a paid order with
tickets or as a refund — never both, never twice (issue 34, item 5; invariant 2).

The restored database does not know what happened after its backup. Reconciliation asks the
gateways three ways, each idempotent:

1. every gateway payment the database has open is queried;
2. every order still waiting for payment is asked about the payment numbers after the ones
   the database knows (``{order}P{n}``: a payment opened after the backup);
3. the daily statements from the backup's day to today are read (a payment whose order the
   database never saw is only there). A day whose statement is not ready yet, and today in
   any case (a payer may still pay a trade opened before the restore), is read again by a
   job (``sales.reconcile_statement``) once the day has ended.

A captured payment of a known order goes the ordinary settlement path (``capture``: paid with
its tickets and confirmation when its hold still holds, honoured again when its seats are still
free, refunded otherwise). A captured payment of an order the database does not know is
refunded at the gateway under one refund number per trade (``{trade}RC``), for what is left
unrefunded: a second run, or a refund the lost data had already made, adds nothing. Those
refunds have no order, organiser or ledger account in this database: they are recorded in the
audit log (``payment.unknown_refunded``), not in the ledger — the money came and went outside
it.

While the platform is in reconciling mode (``admit.core.platform_mode``) sales refuse and the
worker runs only this; :func:`reconcile` clears the mode when the payments it can see are
settled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select

from admit.core import audit, outbox
from admit.core.audit_context import SYSTEM
from admit.core.platform_mode import leave_reconciling, reconciling
from admit.core.runtime import Runtime
from admit.core.worker import while_reconciling
from admit.payments.directory import Gateways
from admit.payments.gateway import GatewayRefused, PaymentGateway, TradeNotFound, TradeState
from admit.payments.models import IN_PERSON_METHODS, Payment
from admit.sales.checkout import OPEN, add_payment, apply_state
from admit.sales.models import Order
from admit.sales.settlement import LATE_JOB

log = structlog.get_logger(__name__)
STATEMENT_JOB = "sales.reconcile_statement"
STATEMENT_MARGIN = timedelta(minutes=15)  # after a day ends, before its statement is asked for
MAX_PROBES = 20  # payment numbers asked about per waiting order

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class Tally:
    """What a run did; ``outcomes`` counts ``apply_state``'s answers for captured trades."""

    asked: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    unknown_refunded: int = 0
    days_later: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def summary(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            **self.outcomes,
            "unknown_refunded": self.unknown_refunded,
            "statements_later": self.days_later,
        }


def _quiet(_: str, __: int, ___: int) -> None:
    return None


async def reconcile(rt: Runtime, *, progress: Progress = _quiet) -> dict[str, Any] | None:
    """Reconcile the payments since the restored backup and leave reconciling mode; ``None``
    when the platform is not reconciling."""
    async with rt.uow(SYSTEM, readonly=True) as uow:
        mode = await reconciling(uow)
        if mode is None:
            return None
        since = mode.backup_at or mode.since
        open_payments = (
            await uow.session.execute(
                select(Payment.number, Payment.method).where(
                    Payment.status.in_(OPEN), Payment.method.not_in(IN_PERSON_METHODS)
                )
            )
        ).all()
        waiting = (
            await uow.session.execute(
                select(Order.number, func.count(Payment.id))
                .outerjoin(Payment, Payment.order_number == Order.number)
                .where(Order.status == "pending_payment")
                .group_by(Order.number)
            )
        ).all()
    tally = Tally()
    gateways = rt.adapter(Gateways)
    total = len(open_payments) + len(waiting)
    for i, (number, method) in enumerate(open_payments, 1):
        await _settle_trade(rt, gateways.get(method), number, tally)
        progress("Querying open payments", i, total)
    for j, (order_number, known) in enumerate(waiting, len(open_payments) + 1):
        for method in gateways:
            await _probe(rt, gateways.get(method), order_number, int(known), tally)
        progress("Asking about waiting orders", j, total)
    for method in gateways:
        await statements_since(rt, gateways.get(method), since.date(), tally, progress)
    summary = tally.summary()
    async with rt.uow(SYSTEM) as uow:
        if await reconciling(uow) is not None:
            await leave_reconciling(uow, now=rt.clock.now(), summary=summary)
    log.info("reconciled", **summary)
    return summary


async def _settle_trade(
    rt: Runtime, gateway: PaymentGateway, number: str, tally: Tally
) -> TradeState | None:
    """Query one trade the database has a payment for and apply what the bank says."""
    tally.asked += 1
    try:
        state = await gateway.query(number)
    except TradeNotFound:
        return None
    await _apply(rt, state, tally)
    return state


async def _apply(rt: Runtime, state: TradeState, tally: Tally) -> None:
    now = rt.clock.now()
    async with rt.uow(SYSTEM) as uow:
        outcome = await apply_state(
            uow,
            rt.crypto,
            number=state.out_trade_no,
            status=state.status,
            amount=state.amount,
            now=now,
        )
    if state.status != "paid":
        return
    tally.count(outcome)
    if outcome == "late":  # honoured (seats still free) or refunded, now, not by a later job
        await outbox.run_handler(
            outbox.JobContext(now, rt), LATE_JOB, {"payment": state.out_trade_no}
        )


async def _probe(
    rt: Runtime, gateway: PaymentGateway, order_number: str, known: int, tally: Tally
) -> None:
    """Ask about the order's payment numbers after the ones the database has: a trade opened
    after the backup gets its payment row back, then is applied like any other."""
    for n in range(known + 1, known + 1 + MAX_PROBES):
        number = f"{order_number}P{n}"
        tally.asked += 1
        try:
            state = await gateway.query(number)
        except TradeNotFound:
            return
        await _adopt(rt, gateway.name, order_number, state)
        await _apply(rt, state, tally)


async def _adopt(rt: Runtime, method: str, order_number: str, state: TradeState) -> bool:
    """Give a trade of a known order its payment row back (as ``open_payment`` made it);
    ``False`` when the order is unknown."""
    now = rt.clock.now()
    async with rt.uow(SYSTEM) as uow:
        if await uow.session.scalar(select(Payment.id).where(Payment.number == state.out_trade_no)):
            return True
        order = await uow.session.scalar(select(Order).where(Order.number == order_number))
        if order is None:
            return False
        await add_payment(
            uow,
            order,
            number=state.out_trade_no,
            method=method,
            now=now,
            status="pending",
            trade_no=state.trade_no,
        )
        await audit.record(
            uow,
            action="payment.recovered",
            entity_type="payment",
            entity_id=state.out_trade_no,
            data={"order": order.number, "bank_status": state.status},
            now=now,
        )
    return True


async def statements_since(
    rt: Runtime, gateway: PaymentGateway, first: date, tally: Tally, progress: Progress = _quiet
) -> None:
    """Read the statements of ``first`` to today; a day not ready yet gets a job for later."""
    today = rt.clock.now().date()
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    for i, day in enumerate(days, 1):
        # Today's is read again once the day has ended, whatever it says now: a payer may
        # still pay a trade opened before the restore.
        if not await statement_day(rt, gateway, day, tally) or day == today:
            tally.days_later.append(day.isoformat())
            async with rt.uow(SYSTEM) as uow:
                ready = datetime.combine(day + timedelta(days=1), time(), UTC) + STATEMENT_MARGIN
                await outbox.enqueue(
                    uow,
                    kind=STATEMENT_JOB,
                    payload={"method": gateway.name, "day": day.isoformat()},
                    now=rt.clock.now(),
                    delay=max(ready - rt.clock.now(), timedelta(0)),
                )
        progress(f"Reading {gateway.name} statements", i, len(days))


async def statement_day(rt: Runtime, gateway: PaymentGateway, day: date, tally: Tally) -> bool:
    """Settle every pay line of the day's statement; ``False`` when it is not ready yet."""
    try:
        lines = await gateway.statement(day)
    except GatewayRefused as exc:
        if exc.reason == "statement_not_ready":
            return False
        raise
    for line in lines:
        if line.kind != "pay":
            continue
        async with rt.uow(SYSTEM, readonly=True) as uow:
            payment = await uow.session.scalar(
                select(Payment.status).where(Payment.number == line.out_trade_no)
            )
        if payment == "captured":
            continue  # settled already (``capture`` would say "duplicate")
        order_number = line.out_trade_no.rpartition("P")[0]
        if payment is None:
            state = await gateway.query(line.out_trade_no)
            if not await _adopt(rt, gateway.name, order_number, state):
                await refund_unknown(rt, gateway, state, tally)
                continue
        await _settle_trade(rt, gateway, line.out_trade_no, tally)
    return True


async def refund_unknown(
    rt: Runtime, gateway: PaymentGateway, state: TradeState, tally: Tally
) -> None:
    """A captured trade whose order this database never saw: what is left of it goes back,
    under one refund number per trade (idempotent at the gateway)."""
    left = state.amount - state.refunded
    if state.status != "paid" or left <= 0:
        return
    refund_no = f"{state.out_trade_no}RC"
    result = await gateway.refund(
        out_trade_no=state.out_trade_no,
        out_refund_no=refund_no,
        amount=left,
        reason="order not in the restored database",
    )
    tally.unknown_refunded += 1
    async with rt.uow(SYSTEM) as uow:
        await audit.record(
            uow,
            action="payment.unknown_refunded",
            entity_type="payment",
            entity_id=state.out_trade_no,
            data={"amount": left, "refund": refund_no, "refund_no": result.refund_no},
            now=rt.clock.now(),
        )


@outbox.handler(STATEMENT_JOB)
async def _statement_later(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """A day's statement that was not ready when reconciling: read it now (retried while it
    is still not ready)."""
    gateway = ctx.runtime.adapter(Gateways).get(str(payload["method"]))
    tally = Tally()
    if not await statement_day(ctx.runtime, gateway, date.fromisoformat(payload["day"]), tally):
        raise RuntimeError(f"the statement of {payload['day']} is not ready yet")
    if tally.outcomes or tally.unknown_refunded:
        log.info("reconciled_statement", day=payload["day"], **tally.summary())


@while_reconciling
async def _in_worker(rt: Runtime) -> None:
    await reconcile(rt)

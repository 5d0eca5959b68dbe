"""Daily reconciliation of each payment gateway's statement with the ledger (C5, A2, A3).

The platform's side of a gateway's UTC day is what the ledger moved through its account
``gateway:<name>`` that day: ``capture`` entries (ref: the payment number, the statement's
``out_trade_no``) and ``refund`` entries (ref: the refund number, ``out_refund_no``) — read in
one query, matched in memory, so a day of 100,000 lines costs one indexed range scan. The
gateway's side is its statement: fetched (``PaymentGateway.statement``, outside any
transaction) by the worker for yesterday or on demand, or uploaded by an operator in the
generic CSV format (``finance.statement_csv``). The comparison is stored as a run of
``gateway:<name>`` (``finance.reconciliation``, shared with the cinemas).

Resolving a gateway's exception may post a correcting entry ``recon_adjust`` (ref: the
exception's id, so it is posted once): the difference moves between the gateway's account and
``suspense:reconciliation``, where it waits for whoever settles it (a claim on the gateway, a
refund done by hand) — the ledger then says what the gateway holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from admit.catalog.models import Organiser
from admit.core import outbox
from admit.core.audit_context import SYSTEM, Actor
from admit.core.errors import InvalidInput
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.core.worker import chore
from admit.finance import ledger
from admit.finance import reconciliation as recon
from admit.finance.models import LedgerEntry, LedgerLine, ReconException, ReconRun
from admit.finance.recon_rules import Record, compare, correction
from admit.payments.directory import Gateways
from admit.payments.gateway import StatementLine
from admit.payments.models import Payment, Refund

JOB = "finance.reconcile_gateway"
PREFIX = "gateway:"
ADJUST = "recon_adjust"
SUSPENSE = "suspense:reconciliation"


class OrganiserRequired(InvalidInput):
    """A correction of a line the platform has no payment for: say whose books it goes to."""

    code = "organiser_required"


class NothingToAdjust(InvalidInput):
    code = "nothing_to_adjust"


def counterparty(gateway: str) -> str:
    return ledger.gateway_account(gateway)  # the same name as its ledger account


async def platform_records(uow: UnitOfWork, gateway: str, day: date) -> list[Record]:
    """The ledger's side of the gateway's day: one row per capture and refund."""
    start, end = recon.day_bounds(day)
    rows = await uow.session.execute(
        select(LedgerEntry.kind, LedgerEntry.ref, LedgerLine.amount)
        .join(LedgerLine, LedgerLine.entry_id == LedgerEntry.id)
        .where(
            LedgerEntry.at >= start,
            LedgerEntry.at < end,
            LedgerEntry.kind.in_(("capture", "refund")),
            LedgerLine.account == ledger.gateway_account(gateway),
        )
    )
    return [
        Record(ref, "pay" if kind == "capture" else "refund", abs(int(amount)))
        for kind, ref, amount in rows.all()
    ]


def statement_records(lines: list[StatementLine]) -> list[Record]:
    """The gateway's side: a pay line by its payment number, a refund by its refund number."""
    return [
        Record(ln.out_refund_no or "", "refund", ln.amount)
        if ln.kind == "refund"
        else Record(ln.out_trade_no, "pay", ln.amount)
        for ln in lines
    ]


async def compare_and_store(
    uow: UnitOfWork,
    *,
    gateway: str,
    day: date,
    lines: list[StatementLine],
    source: str,
    now: datetime,
) -> recon.RunView:
    result = compare(
        await platform_records(uow, gateway, day), statement_records(lines), side="gateway"
    )
    return await recon.store(
        uow,
        counterparty=counterparty(gateway),
        day=day,
        result=result,
        now=now,
        lines=len(lines),
        source=source,
    )


async def reconcile(
    rt: Runtime,
    *,
    gateway: str,
    day: date,
    lines: list[StatementLine] | None = None,
    actor: Actor = SYSTEM,
) -> recon.RunView:
    """Reconcile one gateway's day with ``lines`` (an uploaded statement) or, without them,
    the statement fetched from the gateway. Raises ``InvalidInput`` (a day not yet over),
    ``NotFound`` (no such gateway) and the gateway's errors (nothing is stored then)."""
    now = rt.clock.now()
    recon.check_day_over(day, now)
    source = "uploaded"
    if lines is None:
        lines = await rt.adapter(Gateways).get(gateway).statement(day)
        source = "fetched"
    async with rt.uow(actor) as uow:
        return await compare_and_store(
            uow, gateway=gateway, day=day, lines=lines, source=source, now=now
        )


async def _owner(uow: UnitOfWork, row: ReconException) -> tuple[int, str] | None:
    """The organiser and currency of the payment (or refunded payment) the line names."""
    query = select(Payment.organiser_id, Payment.currency)
    if row.line_kind == "refund":
        query = query.join(Refund, Refund.payment_id == Payment.id).where(Refund.number == row.ref)
    else:
        query = query.where(Payment.number == row.ref)
    found = (await uow.session.execute(query)).first()
    return (int(found[0]), str(found[1])) if found else None


async def resolve(
    uow: UnitOfWork,
    *,
    exception_id: int,
    note: str,
    who: str,
    now: datetime,
    adjust: bool = False,
    organiser_id: int | None = None,
) -> ReconException:
    """Close any reconciliation exception with a note (A3); with ``adjust``, a gateway's one
    also posts the correcting entry, in the same transaction."""
    row = await recon.lock_exception(uow, exception_id)
    if row.status == "resolved":
        raise recon.AlreadyResolved("this exception was resolved already")
    if not note.strip():
        raise InvalidInput("say how the difference was resolved")
    posted: dict[str, object] = {}
    if adjust:
        posted = await _adjust(uow, row, organiser_id=organiser_id, now=now)
    return await recon.resolve(uow, row=row, note=note, who=who, now=now, data=posted)


async def _adjust(
    uow: UnitOfWork, row: ReconException, *, organiser_id: int | None, now: datetime
) -> dict[str, object]:
    if not row.counterparty.startswith(PREFIX):
        raise InvalidInput("only a payment gateway's difference is corrected in the ledger")
    amount = correction(row.kind, row.line_kind, row.platform_amount, row.partner_amount)
    if amount == 0:
        raise NothingToAdjust("this difference moves no money: resolve it with a note")
    owner = await _owner(uow, row)
    if owner is None:
        if organiser_id is None:
            raise OrganiserRequired(
                f"the platform has no payment {row.ref}: name the organiser whose books the "
                "correction goes to"
            )
        if await uow.session.get(Organiser, organiser_id) is None:
            raise InvalidInput(f"organiser {organiser_id} does not exist")
        owner = (organiser_id, "CNY")
    await ledger.post(
        uow,
        kind=ADJUST,
        ref=str(row.id),
        organiser_id=owner[0],
        currency=owner[1],
        lines=[(row.counterparty, amount), (SUSPENSE, -amount)],
        at=now,
        memo=f"{row.counterparty} {row.day.isoformat()} {row.kind} {row.ref}",
    )
    row.adjustment = amount
    return {"adjustment": amount, "organiser": owner[0]}


@outbox.handler(JOB)
async def _reconcile(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    await reconcile(ctx.runtime, gateway=payload["gateway"], day=date.fromisoformat(payload["day"]))


async def _moved(uow: UnitOfWork, account: str, day: date) -> bool:
    """Whether the ledger moved money through ``account`` that day (stops at the first line)."""
    start, end = recon.day_bounds(day)
    found = await uow.session.scalar(
        select(LedgerLine.id)
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerEntry.at >= start, LedgerEntry.at < end, LedgerLine.account == account)
        .limit(1)
    )
    return found is not None


@chore("finance.reconcile_gateways_daily")
async def queue_yesterday(rt: Runtime) -> int:
    """Queue yesterday's reconciliation of every gateway of this process that moved money in
    the ledger that day and has no run of it (the run is written as ``queued`` at once, so no
    other worker queues it again). A chore, not a sweeper: the gateways are the runtime's. A
    day the platform recorded nothing through a gateway is reconciled on demand."""
    gateways = rt.adapters.get(Gateways)
    if not isinstance(gateways, Gateways):
        return 0
    now = rt.clock.now()
    day = now.date() - timedelta(days=1)
    names = [counterparty(name) for name in gateways]
    async with rt.uow(SYSTEM) as uow:
        done = set(
            (
                await uow.session.scalars(
                    select(ReconRun.counterparty).where(
                        ReconRun.day == day, ReconRun.counterparty.in_(names)
                    )
                )
            ).all()
        )
        queued = 0
        for name in gateways:
            if counterparty(name) in done or not await _moved(uow, counterparty(name), day):
                continue
            uow.session.add(
                ReconRun(counterparty=counterparty(name), day=day, ran_at=now, status="queued")
            )
            await outbox.enqueue(
                uow, kind=JOB, payload={"gateway": name, "day": day.isoformat()}, now=now
            )
            queued += 1
        await uow.session.flush()
    return queued

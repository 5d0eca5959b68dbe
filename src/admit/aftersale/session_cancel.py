"""An operator cancels a whole session (S11): it stops selling at once, its unpaid holds end,
refunds open for every order paid so far — no fee, no approval — and a batch job refunds
every order: tickets revoked (the gates' next manifest refuses them), money back through
each order's payment (a refund job each, idempotent by the refund number). A payment that
arrives later for the session is refunded (``settlement.honour_late`` refuses it).

The batch runs as a job (``sales.cancel_session``) or from ``admit cancel-session`` with a
progress bar; both are ``refund_session``, which may be run again at any time: an order
already refunded or with a live request is passed over, and the report counts what it
finds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from admit.aftersale.decisions import approve
from admit.aftersale.models import RefundRequest
from admit.aftersale.policies import PolicyInput, open_policy
from admit.aftersale.requests import RefundRefused, apply
from admit.catalog.models import Session, SessionStatus
from admit.core import audit, outbox
from admit.core.audit_context import SYSTEM, Actor
from admit.core.errors import Conflict, NotFound
from admit.core.runtime import Runtime
from admit.core.short_cache import SALE_CONFIG, forget_on_commit
from admit.core.uow import UnitOfWork
from admit.sales.hold_endings import end_holds
from admit.sales.models import Hold, Order, SalesWindow

JOB = "sales.cancel_session"
BATCH = 200  # orders per job
CHUNK = 25  # orders per transaction, each in a savepoint of its own
REFUNDS_OPEN_FOR = timedelta(days=365)  # a cancelled session's refunds stay open this long

Progress = Callable[[int, int], None]  # (orders done, orders in all)


class AlreadyCancelled(Conflict):
    code = "session_cancelled"


@dataclass
class CancelReport:
    session_id: int
    orders: int = 0  # paid orders found
    refunded: int = 0  # orders refunded by this run
    tickets: int = 0  # tickets revoked by this run
    amount: int = 0  # money sent back by this run (refund jobs queued)
    skipped: dict[str, int] = field(default_factory=dict)  # reason → orders passed over

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, other: CancelReport) -> None:
        self.refunded += other.refunded
        self.tickets += other.tickets
        self.amount += other.amount
        for reason, n in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + n


async def cancel_session(
    uow: UnitOfWork, *, session_id: int, note: str, who: str, now: datetime, queue: bool = True
) -> int:
    """Cancel the session in one transaction: no more sales, unpaid holds released,
    refunds opened, the batch queued (unless the caller runs it: ``queue`` False). Returns
    how many holds were released. Raises ``NotFound`` and ``AlreadyCancelled``."""
    session = await uow.session.scalar(
        select(Session).where(Session.id == session_id).with_for_update()
    )
    if session is None:
        raise NotFound(f"session {session_id} does not exist")
    if session.status == SessionStatus.CANCELLED:
        raise AlreadyCancelled("the session was cancelled already")
    session.status = SessionStatus.CANCELLED
    await uow.session.execute(
        update(SalesWindow).where(SalesWindow.session_id == session_id).values(enabled=False),
        execution_options={"synchronize_session": False},
    )
    forget_on_commit(uow, SALE_CONFIG)
    active = (
        await uow.session.execute(
            select(Hold.id, Hold.session_id, Hold.buyer, Hold.quantity)
            .where(Hold.session_id == session_id, Hold.status == "active")
            .order_by(Hold.id)
            .with_for_update()
        )
    ).all()
    await end_holds(uow, active, "released", now)
    await open_policy(
        uow,
        session_id=session_id,
        terms=PolicyInput(
            reason="cancelled",
            note=note,
            paid_before=now,
            closes_at=now + REFUNDS_OPEN_FOR,
            approval_required=False,
        ),
        who=who,
        now=now,
    )
    if queue:
        await outbox.enqueue(uow, kind=JOB, payload={"session": session_id, "by": who}, now=now)
    await audit.record(
        uow,
        action="session.cancelled",
        entity_type="session",
        entity_id=session_id,
        data={"note": note, "holds_released": len(active)},
        now=now,
    )
    return len(active)


async def refund_session(
    rt: Runtime,
    session_id: int,
    *,
    actor: Actor = SYSTEM,
    who: str = "system",
    after_id: int = 0,
    limit: int | None = None,
    progress: Progress | None = None,
) -> tuple[CancelReport, int | None]:
    """Refund the paid orders of a cancelled session after order id ``after_id`` (at most
    ``limit``), ``CHUNK`` orders per transaction, each in a savepoint — one that cannot be
    refunded does not hold the others back. Returns what was done and the last order id
    seen (None: none left)."""
    report = CancelReport(session_id)
    query = (
        select(Order.id, Order.number)
        .where(
            Order.session_id == session_id,
            Order.status.in_(("paid", "partially_refunded")),
            Order.id > after_id,
        )
        .order_by(Order.id)
    )
    async with rt.uow(actor, readonly=True) as uow:
        rows = (await uow.session.execute(query.limit(limit) if limit else query)).all()
    report.orders = len(rows)
    for start in range(0, len(rows), CHUNK):
        part = CancelReport(session_id)
        async with rt.uow(actor) as uow:
            now = rt.clock.now()
            for _, number in rows[start : start + CHUNK]:
                await _refund_one(uow, who, number, part, now)
        report.add(part)  # counted once its transaction committed
        if progress is not None:
            progress(min(start + CHUNK, len(rows)), len(rows))
    return report, (rows[-1][0] if rows else None)


async def _refund_one(
    uow: UnitOfWork, who: str, number: str, report: CancelReport, now: datetime
) -> None:
    """Approve the order's undecided requests, then refund what is left of it — inside a
    savepoint each, so an order that cannot be refunded leaves the others of its chunk be."""
    try:
        async with uow.session.begin_nested():
            waiting = (
                await uow.session.scalars(
                    select(RefundRequest.number).where(
                        RefundRequest.order_number == number, RefundRequest.status == "requested"
                    )
                )
            ).all()
            for request_number in waiting:
                request = await approve(
                    uow, number=request_number, who=who, note="the session was cancelled", now=now
                )
                report.tickets += request.tickets
                report.amount += request.refund
    except Conflict as exc:
        report.skip(exc.code)
        return
    try:
        async with uow.session.begin_nested():
            applied = await apply(
                uow,
                order_number=number,
                buyer=None,
                codes=None,
                reason="the session was cancelled",
                who=who,
                now=now,
            )
    except RefundRefused as exc:
        why = str((exc.details or {}).get("reason", exc.code))
        if waiting and why in ("nothing_to_refund", "order_not_paid"):  # all approved above
            report.refunded += 1
        else:
            report.skip(why)
        return
    except Conflict as exc:
        report.skip(exc.code)
        return
    report.refunded += 1
    report.tickets += applied.request.tickets
    report.amount += applied.request.refund


async def requests_of(uow: UnitOfWork, session_id: int) -> dict[str, int]:
    """How the session's refund requests stand, by state."""
    rows = await uow.session.scalars(
        select(RefundRequest.status).where(RefundRequest.session_id == session_id)
    )
    out: dict[str, int] = {}
    for status in rows.all():
        out[status] = out.get(status, 0) + 1
    return out


@outbox.handler(JOB)
async def _cancel_batch(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """One batch of orders, then the next batch as a job of its own (a job stays well within
    its lease however large the session)."""
    report, last = await refund_session(
        ctx.runtime,
        int(payload["session"]),
        who=str(payload["by"]),
        after_id=int(payload.get("after", 0)),
        limit=BATCH,
    )
    async with ctx.unit() as uow:
        if last is not None and report.orders == BATCH:
            await outbox.enqueue(uow, kind=JOB, payload={**payload, "after": last}, now=ctx.now)
        await audit.record(
            uow,
            action="session.refund_batch",
            entity_type="session",
            entity_id=report.session_id,
            data={
                "orders": report.orders,
                "refunded": report.refunded,
                "tickets": report.tickets,
                "amount": report.amount,
                "skipped": report.skipped,
            },
            now=ctx.now,
        )

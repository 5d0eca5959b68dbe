"""Settling the payment inbox in batches (issue 17, item 3; C2, G6, invariants 2 and 3).

A verified notification is recorded (``payments.inbox.record``) and answered at once; then the
process that recorded it kicks its settler, which takes the pending notifications — its own
and any other process's — up to ``BATCH`` at a time, and settles them in one transaction:
the common cases with set-based statements (``batch_capture``), the rest one by one through
the rules of ``checkout.apply_state``, each in a transaction of its own. While a batch is being
settled, new notifications gather for the next one, so the busier the sale, the larger the
batches. Every worker cycle settles what is left (a crash between record and settlement:
the inbox is the queue), so several servers and workers settle side by side, never the same
notification twice (``SKIP LOCKED``), and a notification delivered five times settles once."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import structlog

from admit.core.audit_context import SYSTEM
from admit.core.reachability import database_unreachable
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.core.worker import chore
from admit.payments import inbox
from admit.payments.directory import Gateways
from admit.payments.gateway import ForgedNotification
from admit.payments.models import PaymentNotice
from admit.sales.batch_capture import capture_batch
from admit.sales.checkout import apply_state

log = structlog.get_logger(__name__)
BATCH = 200  # notifications per transaction
SWEEP_BATCHES = 20  # at most this many batches per worker cycle


async def receive_notice(
    rt: Runtime, *, method: str, body: bytes, content_type: str, remote: str | None
) -> tuple[int, str]:
    """A gateway's notification: verified, then recorded in the inbox and answered at once
    with the exact body the gateway expects (a forgery is logged and refused); this
    process's settler is kicked to settle it. Returns the HTTP status and the body."""
    gateway = rt.adapter(Gateways).get(method)
    now = rt.clock.now()
    text = body[:4000].decode("utf-8", "replace")
    try:
        notice = gateway.parse_notification(body, content_type)
    except ForgedNotification as exc:
        log.warning("payment_notice_forged", method=method, remote=remote, why=exc.message)
        async with rt.uow(SYSTEM) as uow:
            uow.session.add(
                PaymentNotice(
                    method=method,
                    received_at=now,
                    verified=False,
                    outcome="forged",
                    remote_addr=remote,
                    body=text,
                )
            )
        return 400, "fail"
    async with rt.uow(SYSTEM) as uow:
        await inbox.record(uow, method=method, notice=notice, remote=remote, body=text, now=now)
    if rt.settings.settle_in_server:
        rt.adapter(NoticeSettler).kick()
    return 200, gateway.ack


async def settle_pending(rt: Runtime, *, limit: int = BATCH) -> int:
    """Settle one batch of pending notifications; returns how many were taken (0: none left
    that this settler may take now)."""
    now = rt.clock.now()
    entries: list[inbox.Pending] = []
    try:
        async with rt.uow(SYSTEM) as uow:
            entries = await inbox.claim(uow, now=now, limit=limit)
            if not entries:
                return 0
            settled = await capture_batch(uow, rt.crypto, entries, now)
            await inbox.mark_settled(uow, settled, now=rt.clock.now())  # just before commit
    except Exception as exc:
        if database_unreachable(exc):
            raise
        # One of them fails the batch: each is settled alone, and only that one waits.
        log.warning("settlement_batch_failed", error=repr(exc), notifications=len(entries))
        settled = {}
    for entry in entries:
        if entry.id not in settled:
            await _settle_one(rt, entry.id)
    return len(entries)


async def _settle_one(rt: Runtime, entry_id: int) -> None:
    now = rt.clock.now()
    try:
        async with rt.uow(SYSTEM) as uow:
            entry = await inbox.claim_one(uow, entry_id)
            if entry is None:
                return  # settled meanwhile, or another settler has it
            outcome = await _apply(uow, rt, entry, now)
            await inbox.mark_settled(uow, {entry.id: outcome}, now=rt.clock.now())
    except Exception as exc:
        if database_unreachable(exc):
            raise
        log.error("notification_settlement_failed", entry=entry_id, error=repr(exc))
        async with rt.uow(SYSTEM) as uow:
            await inbox.mark_failed(uow, entry_id, error=repr(exc), now=now)


async def _apply(uow: UnitOfWork, rt: Runtime, entry: inbox.Pending, now: datetime) -> str:
    return await apply_state(
        uow,
        rt.crypto,
        number=entry.payment_number,
        status=entry.status,
        amount=entry.amount,
        now=now,
    )


@chore("payments.inbox")
async def settle_all(rt: Runtime, *, batches: int = SWEEP_BATCHES) -> int:
    """Settle batches until none is left (or ``batches`` were done): what every worker cycle
    does. Returns how many notifications were taken."""
    taken = 0
    for _ in range(batches):
        n = await settle_pending(rt)
        taken += n
        if n == 0:
            break
    return taken


class NoticeSettler:
    """A process's settler: :meth:`kick` after recording a notification starts a drain of the
    inbox unless one is running, in which case that drain goes round once more."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def kick(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._drain())

    async def drain(self) -> None:
        """Settle everything pending now, and wait until that is done (tests, tools)."""
        self.kick()
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        try:
            while True:
                self._again = False
                if await settle_pending(self.rt) == 0 and not self._again:
                    return
        except Exception as exc:  # the worker's next cycle settles what is left
            if database_unreachable(exc):
                self.rt.database.lost(exc)
            else:
                log.error("settler_failed", error=repr(exc))

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

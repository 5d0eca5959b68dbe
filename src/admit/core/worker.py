"""The background worker: runs due outbox jobs, each in its own unit of work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from admit.core import audit, outbox, platform_mode
from admit.core.audit_context import SYSTEM
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork

log = structlog.get_logger(__name__)


Sweeper = Callable[[UnitOfWork, datetime], Awaitable[int]]
SWEEPERS: dict[str, Sweeper] = {}


def sweeper(name: str) -> Callable[[Sweeper], Sweeper]:
    """Register a periodic clean-up (expired holds, …) that every worker cycle runs in its own
    unit of work; it must be safe to run in several workers at once."""

    def register(fn: Sweeper) -> Sweeper:
        SWEEPERS[name] = fn
        return fn

    return register


Reconciler = Callable[[Runtime], Awaitable[None]]
RECONCILERS: list[Reconciler] = []


def while_reconciling(fn: Reconciler) -> Reconciler:
    """Register what a worker cycle runs instead of jobs and sweepers while the platform is in
    reconciling mode (``admit.core.platform_mode``): queued jobs — confirmations among them —
    wait until the payments since the restored backup are settled."""
    RECONCILERS.append(fn)
    return fn


async def _reconciling(rt: Runtime) -> bool:
    async with rt.uow(SYSTEM, readonly=True) as uow:
        return await platform_mode.reconciling(uow) is not None


@sweeper("audit.chain")
async def _chain_audit(uow: UnitOfWork, now: datetime) -> int:
    return await audit.chain_pending(uow)


async def sweep(rt: Runtime) -> dict[str, int]:
    done = {}
    for name, fn in SWEEPERS.items():
        async with rt.uow(SYSTEM) as uow:
            done[name] = await fn(uow, rt.clock.now())
    return done


async def run_once(rt: Runtime, *, limit: int = 50) -> int:
    """Run the sweepers, then lease and run the due jobs; returns how many jobs ran. While
    the platform is reconciling, only the reconciliation runs."""
    if await _reconciling(rt):
        for reconcile in RECONCILERS:
            await reconcile(rt)
        return 0
    await sweep(rt)
    async with rt.uow(SYSTEM) as uow:
        ids = await outbox.claim_due(uow, now=rt.clock.now(), limit=limit)
    for job_id in ids:
        try:
            await _run_one(rt, job_id)
        except Exception as exc:  # a job's failure must not stop the others
            log.warning("job_failed", job_id=job_id, error=repr(exc))
            async with rt.uow(SYSTEM) as uow:
                await outbox.record_failure(uow, job_id, error=repr(exc), now=rt.clock.now())
    return len(ids)


async def _run_one(rt: Runtime, job_id: int) -> None:
    """Read the job, run its handler outside any transaction, then mark it done."""
    async with rt.uow(SYSTEM, readonly=True) as uow:
        job = await outbox.load_job(uow, job_id)
    if job is None:
        return
    kind, payload = job
    await outbox.run_handler(outbox.JobContext(rt.clock.now(), rt), kind, payload)
    async with rt.uow(SYSTEM) as uow:
        await outbox.mark_done(uow, job_id, now=rt.clock.now())


async def run_forever(rt: Runtime, stop: asyncio.Event) -> None:
    poll = rt.settings.worker_poll_seconds
    while not stop.is_set():
        try:
            ran = await run_once(rt)
        except Exception as exc:
            log.error("worker_cycle_failed", error=repr(exc))
            ran = 0
        if ran == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)

"""The background worker: runs due outbox jobs, each in its own unit of work."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from admit.core import audit, outbox, platform_mode
from admit.core.audit_context import SYSTEM
from admit.core.reachability import database_unreachable
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork

log = structlog.get_logger(__name__)
BATCH = 50  # jobs claimed at a time; their leases are renewed while they wait their turn


Sweeper = Callable[[UnitOfWork, datetime], Awaitable[int]]
SWEEPERS: dict[str, Sweeper] = {}


def sweeper(name: str) -> Callable[[Sweeper], Sweeper]:
    """Register a periodic clean-up (expired holds, …) that every worker cycle runs in its own
    unit of work; it must be safe to run in several workers at once."""

    def register(fn: Sweeper) -> Sweeper:
        SWEEPERS[name] = fn
        return fn

    return register


Chore = Callable[[Runtime], Awaitable[int]]
CHORES: dict[str, Chore] = {}


def chore(name: str) -> Callable[[Chore], Chore]:
    """Register work that every worker cycle runs after the sweepers, with the process's
    runtime (it opens its own units of work: the settlement of the payment inbox, in
    batches); it must be safe to run in several workers at once."""

    def register(fn: Chore) -> Chore:
        CHORES[name] = fn
        return fn

    return register


# Sweepers that run even while the platform is reconciling: the worker's heartbeat keeps the
# servers ready (pages, and 503 ``reconciling`` for sales, rather than out of rotation).
KEPT_WHILE_RECONCILING = frozenset({"worker.heartbeat"})
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


async def sweep(rt: Runtime, *, only: frozenset[str] | None = None) -> dict[str, int]:
    done = {}
    for name, fn in SWEEPERS.items():
        if only is not None and name not in only:
            continue
        async with rt.uow(SYSTEM) as uow:
            done[name] = await fn(uow, rt.clock.now())
    for name, work in CHORES.items():
        if only is None or name in only:
            done[name] = await work(rt)
    return done


class Worker:
    """One worker: its name in the leases, the jobs it holds, and how it stops.

    When ``stop`` is set it claims nothing more, releases at once the jobs it claimed and has
    not started (another worker takes them straight away), and gives the job it is running
    ``worker_stop_grace_seconds`` to finish; past that the job is cancelled and released too
    (handlers are idempotent and outside sends carry idempotency keys, so running it again
    sends nothing twice); a second signal (:meth:`request_stop`) ends the grace at once.
    While it holds jobs it renews their leases every third of ``worker_lease_seconds``, so a
    killed worker's jobs are free again within one lease."""

    def __init__(self, rt: Runtime, stop: asyncio.Event | None = None) -> None:
        self.rt = rt
        self.stop = stop if stop is not None else asyncio.Event()
        self.name = worker_name()
        self.lease = timedelta(seconds=rt.settings.worker_lease_seconds)
        self.grace = rt.settings.worker_stop_grace_seconds
        self.hurry = asyncio.Event()  # a second stop signal: no more grace
        self.held: list[int] = []  # claimed and not finished, the running one first

    async def run_once(self, *, limit: int = BATCH) -> int:
        """Run the sweepers, then lease and run the due jobs; returns how many jobs ran."""
        if self.stop.is_set():
            return 0
        if await _reconciling(self.rt):  # only the reconciliation (and the heartbeat) runs
            await sweep(self.rt, only=KEPT_WHILE_RECONCILING)
            for reconcile in RECONCILERS:
                await reconcile(self.rt)
            return 0
        await sweep(self.rt)
        if self.stop.is_set():
            return 0
        async with self.rt.uow(SYSTEM) as uow:
            self.held = await outbox.claim_due(
                uow, now=self.rt.clock.now(), limit=limit, owner=self.name, lease=self.lease
            )
        if not self.held:
            return 0
        renewing = asyncio.create_task(self._renew())
        ran = 0
        try:
            while self.held and not self.stop.is_set():
                await self._run_next()
                ran += 1
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await self._release(self.held)
            self.held = []
        return ran

    async def run_forever(self) -> None:
        poll = self.rt.settings.worker_poll_seconds
        while not self.stop.is_set():
            try:
                ran = await self.run_once()
                self.rt.database.found()
            except Exception as exc:
                if database_unreachable(exc):  # one line when it goes, one when it is back
                    self.rt.database.lost(exc)
                else:
                    log.error("worker_cycle_failed", error=repr(exc))
                ran = 0
            if ran == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=poll)
        log.info("worker_stopped", worker=self.name)

    def request_stop(self) -> None:
        """A stop signal: the first stops the worker as above, a second cuts the grace short."""
        if self.stop.is_set():
            self.hurry.set()
        self.stop.set()

    async def _run_next(self) -> None:
        """Run the first held job; on ``stop``, release the others and give it the grace."""
        job = asyncio.create_task(self._run_guarded(self.held[0]))
        stopping = asyncio.create_task(self.stop.wait())
        hurrying = asyncio.create_task(self.hurry.wait())
        try:
            await asyncio.wait({job, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not job.done():
                await self._release(self.held[1:])
                del self.held[1:]
                await asyncio.wait(
                    {job, hurrying}, timeout=self.grace, return_when=asyncio.FIRST_COMPLETED
                )
            if not job.done():
                log.warning("job_abandoned", job_id=self.held[0], grace_seconds=self.grace)
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
                return  # still held: released by the caller
            job.result()  # the outcome could not be recorded (no database): ends the cycle
            self.held.pop(0)
        finally:
            stopping.cancel()
            hurrying.cancel()
            job.cancel()  # when this coroutine itself is cancelled; a no-op once done

    async def _run_guarded(self, job_id: int) -> None:
        try:
            await self._run_one(job_id)
        except Exception as exc:  # a job's failure must not stop the others
            log.warning("job_failed", job_id=job_id, error=repr(exc))
            async with self.rt.uow(SYSTEM) as uow:
                await outbox.record_failure(uow, job_id, error=repr(exc), now=self.rt.clock.now())

    async def _run_one(self, job_id: int) -> None:
        """Read the job, run its handler outside any transaction, then mark it done."""
        rt = self.rt
        async with rt.uow(SYSTEM, readonly=True) as uow:
            job = await outbox.load_job(uow, job_id, owner=self.name)
        if job is None:
            return
        kind, payload = job
        await outbox.run_handler(outbox.JobContext(rt.clock.now(), rt), kind, payload)
        async with rt.uow(SYSTEM) as uow:
            await outbox.mark_done(uow, job_id, now=rt.clock.now())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.rt.uow(SYSTEM) as uow:
                    await outbox.renew_leases(
                        uow,
                        list(self.held),
                        owner=self.name,
                        now=self.rt.clock.now(),
                        lease=self.lease,
                    )
            except Exception as exc:  # the next renewal may work; the lease is the backstop
                log.warning("lease_renewal_failed", error=repr(exc), jobs=len(self.held))

    async def _release(self, ids: list[int]) -> None:
        if not ids:
            return
        try:
            async with self.rt.uow(SYSTEM) as uow:
                released = await outbox.release(uow, ids, owner=self.name, now=self.rt.clock.now())
        except Exception as exc:  # their leases run out on their own
            log.warning("job_release_failed", error=repr(exc), jobs=len(ids))
            return
        log.info("jobs_released", worker=self.name, jobs=released)


def worker_name() -> str:
    """Unique per worker (host, process, and a random part for several in one process)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


async def run_once(rt: Runtime, *, limit: int = BATCH) -> int:
    """One cycle of a worker of its own (tests, tools): sweep, then run the due jobs."""
    return await Worker(rt).run_once(limit=limit)


async def run_forever(rt: Runtime, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set; then finish or release what is held and return."""
    await Worker(rt, stop).run_forever()


def stop_on_signals(worker: Worker) -> None:
    """SIGTERM and SIGINT (Ctrl-C) stop ``worker``; a second one ends the grace period."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.request_stop)

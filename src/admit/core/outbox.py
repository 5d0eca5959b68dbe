"""Transactional outbox: side effects are enqueued with the change and run after it commits.

A job is written in the caller's transaction (a rollback discards it) and run by
``admit worker`` (or the in-process worker of ``admit demo``). Handlers take ids and JSON and
must be safe to run twice: a crash after the handler but before the job is marked done runs
it again.

A claimed job is leased: ``run_after`` is pushed to the end of the lease and ``leased_by`` names
the worker. The worker renews the lease of the jobs it still holds and gives back (releases)
those it has not started when it stops, so a job waits at most one lease after its worker
died; renewals and releases touch only the rows the worker itself holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import JSON, CursorResult, Index, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.audit_context import SYSTEM
from admit.core.db import Base, BigIntKey, UTCDateTime, table
from admit.core.uow import UnitOfWork

if TYPE_CHECKING:
    from admit.core.runtime import Runtime


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler gets: the time and the process (its adapters and units of work).

    Handlers open their own units of work (``ctx.unit()``) so that a call to an outside system
    happens between transactions, never inside one (no lock is held while waiting)."""

    now: datetime
    runtime: Runtime

    def unit(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.runtime.uow(SYSTEM)


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
_HANDLERS: dict[str, Handler] = {}

MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=30)  # the default; ``ADMIT_WORKER_LEASE_SECONDS``


class OutboxJob(Base):
    __tablename__ = "outbox_job"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    run_after: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The worker holding the lease (until ``run_after``); None when nobody does.
    leased_by: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (Index("ix_outbox_job_due", "done_at", "failed_at", "run_after"),)


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler of one job kind (at import time of the owning slice)."""

    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise RuntimeError(f"two handlers for job kind {kind!r}")
        _HANDLERS[kind] = fn
        return fn

    return register


async def enqueue(
    uow: UnitOfWork,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    delay: timedelta = timedelta(0),
) -> OutboxJob:
    if kind not in _HANDLERS:
        raise RuntimeError(f"no handler registered for job kind {kind!r}")
    job = OutboxJob(kind=kind, payload=payload, created_at=now, run_after=now + delay)
    uow.session.add(job)
    await uow.session.flush()
    return job


async def enqueue_many(
    uow: UnitOfWork, kind: str, payloads: Sequence[dict[str, Any]], *, now: datetime
) -> None:
    """Jobs of one kind, due now, in one statement (a batch's messages)."""
    if kind not in _HANDLERS:
        raise RuntimeError(f"no handler registered for job kind {kind!r}")
    if payloads:
        await uow.session.execute(
            insert(table(OutboxJob)),
            [{"kind": kind, "payload": p, "created_at": now, "run_after": now} for p in payloads],
        )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 3600))


def _pending() -> tuple[Any, ...]:
    return (OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None))


async def claim_due(
    uow: UnitOfWork, *, now: datetime, limit: int, owner: str, lease: timedelta = LEASE
) -> list[int]:
    """Lease up to ``limit`` due jobs to worker ``owner`` until ``now + lease``; another worker
    skips them (``SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time)."""
    due = (
        select(OutboxJob.id)
        .where(*_pending(), OutboxJob.run_after <= now)
        .order_by(OutboxJob.run_after, OutboxJob.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list((await uow.session.scalars(due)).all())
    if ids:
        await uow.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(ids))
            .values(run_after=now + lease, leased_by=owner)
        )
    return ids


async def renew_leases(
    uow: UnitOfWork, ids: Sequence[int], *, owner: str, now: datetime, lease: timedelta = LEASE
) -> int:
    """Extend to ``now + lease`` the leases ``owner`` still holds among ``ids``; how many."""
    if not ids:
        return 0
    result = await uow.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id.in_(ids), OutboxJob.leased_by == owner, *_pending())
        .values(run_after=now + lease)
    )
    return int(cast("CursorResult[Any]", result).rowcount)


async def release(uow: UnitOfWork, ids: Sequence[int], *, owner: str, now: datetime) -> int:
    """Give back the jobs ``owner`` holds among ``ids``: due at ``now``, so any worker takes
    them at once. No attempt is counted. How many were released."""
    if not ids:
        return 0
    result = await uow.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id.in_(ids), OutboxJob.leased_by == owner, *_pending())
        .values(run_after=now, leased_by=None)
    )
    return int(cast("CursorResult[Any]", result).rowcount)


async def load_job(
    uow: UnitOfWork, job_id: int, *, owner: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The job's kind and payload; None when it is done, or when ``owner`` is given and no
    longer holds its lease (it ran out and another worker took the job)."""
    job = await uow.session.get(OutboxJob, job_id)
    if job is None or job.done_at is not None or job.failed_at is not None:
        return None
    if owner is not None and job.leased_by != owner:
        return None
    return job.kind, job.payload


async def run_handler(ctx: JobContext, kind: str, payload: dict[str, Any]) -> None:
    await _HANDLERS[kind](ctx, payload)


async def mark_done(uow: UnitOfWork, job_id: int, *, now: datetime) -> None:
    job = await uow.session.get(OutboxJob, job_id)
    if job is not None:
        job.done_at = now
        job.attempts += 1
        job.leased_by = None


async def record_failure(uow: UnitOfWork, job_id: int, *, error: str, now: datetime) -> None:
    job = await uow.session.get(OutboxJob, job_id)
    if job is None:
        return
    job.attempts += 1
    job.last_error = error[:2000]
    job.leased_by = None
    if job.attempts >= MAX_ATTEMPTS:
        job.failed_at = now
    else:
        job.run_after = now + backoff(job.attempts)

"""What readiness and ``/metrics`` read about the platform, each within a short time limit so
that neither hangs while the database or Redis is away: the database's answer, the workers'
last beat, the outbox's backlog, and Redis."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text

from admit.core.heartbeat import last_beat
from admit.core.outbox import OutboxJob
from admit.core.ratelimit import RateLimiter
from admit.core.reachability import database_unreachable
from admit.core.runtime import Runtime
from admit.core.staff_notices import notices_by_kind


@dataclass(frozen=True)
class DatabaseFacts:
    """``up`` is False when the database did not answer in time; the rest is then unknown."""

    up: bool
    error: str | None = None
    heartbeat_age: float | None = None  # seconds since any worker's last cycle; None: never
    due_jobs: int = 0  # outbox jobs due now, neither done nor parked
    oldest_due_age: float = 0.0  # seconds the oldest of them has waited
    parked_jobs: int = 0  # jobs that failed every attempt and wait for a person
    notices: dict[str, int] = field(default_factory=dict)  # staff notices posted, by kind


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


async def read_database(rt: Runtime, *, with_counts: bool) -> DatabaseFacts:
    """``SELECT 1``, the freshest heartbeat and the oldest due job (with ``with_counts`` also
    how many are due and parked), on one connection, within ``ready_timeout_seconds``."""
    now = rt.clock.now()
    pending = (OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None))
    try:
        async with asyncio.timeout(rt.settings.ready_timeout_seconds), rt.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            beat = await last_beat(conn)
            due = (
                await conn.execute(
                    select(func.count(), func.min(OutboxJob.run_after)).where(
                        *pending, OutboxJob.run_after <= now
                    )
                )
            ).one()
            parked, notices = 0, {}
            if with_counts:
                notices = await notices_by_kind(conn)
                parked = int(
                    await conn.scalar(
                        select(func.count()).where(
                            OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_not(None)
                        )
                    )
                    or 0
                )
    except Exception as exc:  # unreachable, too slow, or not migrated: not ready either way
        if database_unreachable(exc) and not isinstance(exc, TimeoutError):
            # Logged once, even while no request comes in. A check that ran out of time may
            # only have waited for a busy pool: that fails readiness without the log line.
            rt.database.lost(exc)
        return DatabaseFacts(up=False, error=type(exc).__name__)
    return DatabaseFacts(
        up=True,
        heartbeat_age=_age(now, beat),
        due_jobs=int(due[0] or 0),
        oldest_due_age=_age(now, due[1]) or 0.0,
        parked_jobs=parked,
        notices=notices,
    )


async def redis_up(rt: Runtime) -> bool | None:
    """Whether Redis answers a PING in time; ``None`` when no Redis is configured."""
    if not rt.settings.redis_url:
        return None
    limiter = rt.adapters.get(RateLimiter)
    ping = getattr(limiter, "ping", None)
    if ping is None:  # a test's in-memory limiter stands in for Redis
        return None
    try:
        async with asyncio.timeout(rt.settings.ready_timeout_seconds):
            return bool(await ping())
    except TimeoutError:
        return False


def pool_usage(rt: Runtime) -> dict[str, int]:
    """Connections checked out, the pool's size and its overflow now in use (PostgreSQL's
    queue pool; empty for a pool without these numbers)."""
    pool: Any = rt.engine.pool
    try:
        return {
            "checked_out": int(pool.checkedout()),
            "size": int(pool.size()),
            "overflow": max(0, int(pool.overflow())),
        }
    except AttributeError:
        return {}

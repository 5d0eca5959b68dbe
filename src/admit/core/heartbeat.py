"""Worker heartbeats: every worker cycle records that its process (``host:pid``) is alive, so
readiness and ``/metrics`` can tell a dead worker from an idle one."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, UTCDateTime
from admit.core.uow import UnitOfWork
from admit.core.worker import sweeper

# A worker silent this long is forgotten (its row would only say when it died).
FORGET_AFTER = timedelta(days=1)


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())


def worker_name() -> str:
    """This process's name among workers (read each time: a forked process has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


@sweeper("worker.heartbeat")
async def beat(uow: UnitOfWork, now: datetime) -> int:
    """Record this worker's beat; forget other workers silent for a day. (The others first:
    this process's own row, however old, is updated, never deleted under the update.)"""
    me = worker_name()
    await uow.session.execute(
        delete(WorkerHeartbeat).where(
            WorkerHeartbeat.beat_at < now - FORGET_AFTER, WorkerHeartbeat.name != me
        )
    )
    row = await uow.session.get(WorkerHeartbeat, me)
    if row is None:
        uow.session.add(WorkerHeartbeat(name=me, started_at=now, beat_at=now))
    else:
        row.beat_at = now
    return 1


async def last_beat(conn: AsyncConnection) -> datetime | None:
    """When any worker last completed a cycle (``None``: no worker ever has)."""
    beat: datetime | None = await conn.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    return beat

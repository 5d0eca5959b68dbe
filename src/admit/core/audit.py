"""Append-only audit log with a hash chain (INV1, INV3, INV4, OPS5, G20).

Every row stores the hash of the previous one; changing, inserting or deleting a row in the
middle breaks the chain, which :func:`verify_chain` finds.

A change records its entry in its own transaction, into ``audit_pending``, without any lock:
so audited writes (captures, registrations, staff changes) never queue behind one another.
:func:`chain_pending` — run by every worker cycle and before the log is read or verified —
moves pending entries into the chain under one lock (an advisory lock on PostgreSQL, the
write lock on SQLite), so the chain has a single order. An entry is tamper-evident once
chained, normally within a worker poll (about a second)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, Index, String, Text, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.audit_context import SYSTEM
from admit.core.db import Base, BigIntKey, UTCDateTime, table
from admit.core.uow import UnitOfWork, UnitOfWorkFactory

GENESIS = "0" * 64
_AUDIT_LOCK_KEY = 0x0AD17  # pg_advisory_xact_lock key that orders appends


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(80))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)


class PendingAudit(Base):
    """An entry recorded but not yet chained (see the module's docstring)."""

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(80))
    data: Mapped[str] = mapped_column(Text)


def canonical_json(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    data: str,
) -> str:
    material = "\x1f".join(
        [prev_hash, str(seq), at.isoformat(), actor, action, entity_type, entity_id, data]
    )
    return hashlib.sha256(material.encode()).hexdigest()


async def record(
    uow: UnitOfWork,
    *,
    action: str,
    entity_type: str,
    entity_id: object,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Record one entry in the caller's transaction: it commits or rolls back with the change,
    and is chained by the next :func:`chain_pending`."""
    uow.session.add(
        PendingAudit(
            at=now,
            actor=uow.actor.label,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            data=canonical_json(data),
        )
    )


@dataclass(frozen=True, slots=True)
class Event:
    """One entry to record with :func:`record_many`."""

    action: str
    entity_type: str
    entity_id: object
    data: dict[str, Any]


async def record_many(uow: UnitOfWork, events: list[Event], *, now: datetime) -> None:
    """Record several entries in one statement of the caller's transaction (a batch of
    settlements)."""
    if not events:
        return
    await uow.session.execute(
        insert(table(PendingAudit)),
        [
            {
                "at": now,
                "actor": uow.actor.label,
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": str(e.entity_id),
                "data": canonical_json(e.data),
            }
            for e in events
        ],
    )


async def chain_pending(uow: UnitOfWork, *, limit: int = 5000) -> int:
    """Append up to ``limit`` pending entries to the chain, oldest first; returns how many."""
    session = uow.session
    if uow.dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK_KEY})
    pending = (
        await session.scalars(select(PendingAudit).order_by(PendingAudit.id).limit(limit))
    ).all()
    if not pending:
        return 0
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    for p in pending:
        seq += 1
        digest = entry_hash(
            prev_hash=prev,
            seq=seq,
            at=p.at,
            actor=p.actor,
            action=p.action,
            entity_type=p.entity_type,
            entity_id=p.entity_id,
            data=p.data,
        )
        session.add(
            AuditEntry(
                seq=seq,
                at=p.at,
                actor=p.actor,
                action=p.action,
                entity_type=p.entity_type,
                entity_id=p.entity_id,
                data=p.data,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    await session.execute(delete(PendingAudit).where(PendingAudit.id.in_([p.id for p in pending])))
    await session.flush()
    return len(pending)


async def chain_all(uows: UnitOfWorkFactory) -> int:
    """Chain everything pending now (before the log is read or verified)."""
    total = 0
    while True:
        async with uows(SYSTEM) as uow:
            done = await chain_pending(uow)
        total += done
        if done == 0:
            return total


async def record_update(
    uow: UnitOfWork,
    row: object,
    changes: dict[str, Any],
    *,
    action: str,
    entity_type: str,
    entity_id: object,
    now: datetime,
) -> None:
    """Apply ``changes`` to a loaded row and log them with the values they replaced."""
    before = {name: getattr(row, name) for name in changes}
    for name, value in changes.items():
        setattr(row, name, value)
    await uow.session.flush()
    await record(
        uow,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        data={"before": before, "after": dict(changes)},
        now=now,
    )


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    broken_at_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at_seq is None


async def _stream(session: AsyncSession) -> AsyncIterator[AuditEntry]:
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.seq))
    async for entry in result:
        yield entry


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Recompute every hash in order; report the first row that does not fit."""
    prev, expected_seq, count = GENESIS, 1, 0
    async for e in _stream(session):
        count += 1
        if e.seq != expected_seq or e.prev_hash != prev:
            return ChainReport(count, e.seq, "a row is missing or out of order before this one")
        recomputed = entry_hash(
            prev_hash=e.prev_hash,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            entity_type=e.entity_type,
            entity_id=e.entity_id,
            data=e.data,
        )
        if recomputed != e.hash:
            return ChainReport(count, e.seq, "the row's content does not match its hash")
        prev, expected_seq = e.hash, e.seq + 1
    return ChainReport(count, None, None)


async def latest(session: AsyncSession) -> tuple[int, str]:
    """The chain's newest sequence number and hash (0 and the genesis hash when empty): what
    to keep outside the database at backup time (``admit audit head``), since the chain alone
    cannot show that its newest rows were deleted."""
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)

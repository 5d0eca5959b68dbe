"""The audit log's hash chain: verifies when intact, finds the row that was tampered with."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from admit.catalog import venues
from admit.core.audit import AuditEntry, PendingAudit, chain_all, verify_chain
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.core.worker import sweep
from tests.conftest import T0, TEST_ACTOR


async def _three_changes(rt: Runtime) -> None:
    async with rt.uow(TEST_ACTOR) as uow:
        await venues.create_organiser(uow, code="ORG", name="Organiser", now=T0)
        await venues.create_venue(
            uow, code="V1", name="Hall", address="", use="", capacity=10, now=T0
        )
    async with rt.uow(TEST_ACTOR) as uow:
        await venues.create_venue(
            uow, code="V2", name="Arena", address="", use="", capacity=9, now=T0
        )
    assert await chain_all(rt.uow) == 3, "recorded without a lock, chained afterwards"


async def _verify(rt: Runtime) -> tuple[bool, int, int | None]:
    await chain_all(rt.uow)
    async with rt.uow(TEST_ACTOR, readonly=True) as uow:
        report = await verify_chain(uow.session)
    return report.ok, report.entries, report.broken_at_seq


async def _as_attacker(uow: UnitOfWork, sql: str) -> None:
    """Someone with database access who first switches off the append-only triggers."""
    if uow.dialect == "postgresql":
        await uow.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        await uow.session.execute(text("DROP TRIGGER audit_log_no_update"))
        await uow.session.execute(text("DROP TRIGGER audit_log_no_delete"))
    await uow.session.execute(text(sql))


async def test_every_change_is_chained_and_verifies(runtime: Runtime) -> None:
    await _three_changes(runtime)
    assert await _verify(runtime) == (True, 3, None)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = (
            await uow.session.execute(
                text(
                    "SELECT seq, actor, action, entity_type, prev_hash, hash"
                    " FROM audit_log ORDER BY seq"
                )
            )
        ).all()
    assert [(r.seq, r.actor, r.action, r.entity_type) for r in rows] == [
        (1, "staff:test", "organiser.created", "organiser"),
        (2, "staff:test", "venue.created", "venue"),
        (3, "staff:test", "venue.created", "venue"),
    ]
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


async def test_a_rolled_back_change_leaves_no_entry(runtime: Runtime) -> None:
    async def crash_before_commit() -> None:
        async with runtime.uow(TEST_ACTOR) as uow:
            await venues.create_organiser(uow, code="ORG", name="Organiser", now=T0)
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        await crash_before_commit()
    assert await _verify(runtime) == (True, 0, None)


async def test_the_database_refuses_updates_and_deletes(runtime: Runtime) -> None:
    await _three_changes(runtime)
    for sql in (
        "UPDATE audit_log SET actor = 'x' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with runtime.uow(TEST_ACTOR) as uow:
                await uow.session.execute(text(sql))
    assert await _verify(runtime) == (True, 3, None)


@pytest.mark.parametrize(
    ("sql", "broken_at"),
    [
        ("UPDATE audit_log SET data = replace(data, 'Arena', 'Arena 2') WHERE seq = 3", 3),
        ("UPDATE audit_log SET actor = 'staff:someone-else' WHERE seq = 1", 1),
        ("DELETE FROM audit_log WHERE seq = 2", 3),
    ],
)
async def test_tampering_is_detected(runtime: Runtime, sql: str, broken_at: int) -> None:
    await _three_changes(runtime)
    async with runtime.uow(TEST_ACTOR) as uow:
        await _as_attacker(uow, sql)
    ok, _, seq = await _verify(runtime)
    assert (ok, seq) == (False, broken_at)


async def test_concurrent_writers_keep_one_chain(runtime: Runtime) -> None:
    async def create(i: int) -> None:
        async with runtime.uow(TEST_ACTOR) as uow:
            await venues.create_venue(
                uow, code=f"V{i}", name=f"Venue {i}", address="", use="", capacity=i, now=T0
            )

    await asyncio.gather(*(create(i) for i in range(12)))
    assert await _verify(runtime) == (True, 12, None)


async def test_pending_entries_are_chained_by_the_worker_in_commit_order(runtime: Runtime) -> None:
    await _three_changes(runtime)
    async with runtime.uow(TEST_ACTOR) as uow:
        await venues.create_venue(
            uow, code="V3", name="Stage", address="", use="", capacity=5, now=T0
        )
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(PendingAudit)) == 1
    assert (await sweep(runtime))["audit.chain"] == 1
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(PendingAudit)) == 0
        last = await uow.session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()))
    assert last is not None
    assert (last.seq, last.action) == (4, "venue.created")
    assert await _verify(runtime) == (True, 4, None)

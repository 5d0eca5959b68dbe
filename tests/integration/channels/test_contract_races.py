"""Contract quotas under concurrency (issue 19, acceptance): reps of two clients lock at once,
each lock on its own transaction (PostgreSQL, where transactions really overlap) — the locks
never exceed a client's quota, the contract total or the session's free seats, and what the
quota rows say is locked is exactly what the locks hold and the seats reserved for each
client."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import select

from admit.channels import contract_locks
from admit.channels.contract_models import ContractClientQuota, ContractLock, ContractTotalQuota
from admit.core.clock import FixedClock
from admit.core.errors import Conflict
from admit.core.runtime import Runtime
from admit.inventory.models import SessionSeat
from tests.conftest import TEST_ACTOR
from tests.integration.channels.contract_world import rep_of, set_client_quota, set_total
from tests.integration.clients.client_factories import make_client
from tests.integration.sales.sale_factories import on_sale

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
LEVEL_A_SEATS = 10  # rows A and B of on_sale's hall


async def _race(
    runtime: Runtime, clock: FixedClock, sid: int, attempts: list[tuple[int, int]]
) -> Counter[str]:
    """Every (client, rep) attempt locks one seat of level A at once; the refusals' codes."""

    async def attempt(client_id: int, rep_id: int) -> str:
        try:
            async with runtime.uow(TEST_ACTOR) as uow:
                await contract_locks.lock_quantity(
                    uow,
                    client_id=client_id,
                    session_id=sid,
                    level="A",
                    quantity=1,
                    rep_id=rep_id,
                    now=clock.now(),
                )
        except Conflict as refused:
            return refused.code
        return "locked"

    return Counter(await asyncio.gather(*(attempt(c, r) for c, r in attempts)))


async def _held(
    runtime: Runtime, sid: int
) -> tuple[dict[int, int], dict[int, int], int, Counter[int]]:
    """Per client: locked in its quota row and in its locks; the total's locked; seats
    reserved per client."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        quota_rows = {
            row.client_id: row.locked
            for row in await uow.session.execute(
                select(ContractClientQuota.client_id, ContractClientQuota.locked).where(
                    ContractClientQuota.session_id == sid
                )
            )
        }
        locks: Counter[int] = Counter()
        for lock in await uow.session.scalars(
            select(ContractLock).where(ContractLock.session_id == sid)
        ):
            locks[lock.client_id] += lock.quantity
        total = await uow.session.scalar(
            select(ContractTotalQuota.locked).where(ContractTotalQuota.session_id == sid)
        )
        reserved = Counter(
            await uow.session.scalars(
                select(SessionSeat.reserved_client_id).where(
                    SessionSeat.session_id == sid,
                    SessionSeat.reserved_client_id.is_not(None),
                    SessionSeat.status == "reserved",
                )
            )
        )
    return quota_rows, dict(locks), int(total or 0), reserved


async def test_racing_reps_never_pass_a_client_quota_or_the_contract_total(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """Two reps per client, 12 attempts per client, all at once: client quotas 4 and 5, a
    contract total of 7 (below their sum), 10 free seats."""
    sid = await on_sale(admin, clock)
    acme, bolt = await make_client(admin, "Acme"), await make_client(admin, "Bolt")
    await set_total(admin, sid, A=7)
    await set_client_quota(admin, acme, sid, A=4)
    await set_client_quota(admin, bolt, sid, A=5)
    reps = {
        acme: [await rep_of(runtime, acme, f"acme-rep-{i}") for i in (1, 2)],
        bolt: [await rep_of(runtime, bolt, f"bolt-rep-{i}") for i in (1, 2)],
    }
    attempts = [(c, reps[c][i % 2].staff_id) for i in range(12) for c in (acme, bolt)]

    outcomes = await _race(runtime, clock, sid, attempts)

    quota_rows, locks, total, reserved = await _held(runtime, sid)
    assert outcomes["locked"] == 7 == total  # the total binds: 7 of 24 attempts
    assert locks[acme] <= 4
    assert locks[bolt] <= 5
    assert quota_rows == locks == dict(reserved)
    assert set(outcomes) <= {"locked", "contract_quota_exceeded", "client_quota_exceeded"}
    assert outcomes["contract_quota_exceeded"] + outcomes["client_quota_exceeded"] == 17


async def test_racing_reps_never_pass_a_client_quota(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """A total of 20 and quotas of 3 and 4: each client's quota binds."""
    sid = await on_sale(admin, clock)
    acme, bolt = await make_client(admin, "Acme"), await make_client(admin, "Bolt")
    await set_total(admin, sid, A=20)
    await set_client_quota(admin, acme, sid, A=3)
    await set_client_quota(admin, bolt, sid, A=4)
    reps = {c: await rep_of(runtime, c, f"rep-{c}") for c in (acme, bolt)}
    attempts = [(c, reps[c].staff_id) for _ in range(10) for c in (acme, bolt)]

    outcomes = await _race(runtime, clock, sid, attempts)

    quota_rows, locks, total, reserved = await _held(runtime, sid)
    assert locks == {acme: 3, bolt: 4} == quota_rows == dict(reserved)
    assert total == outcomes["locked"] == 7
    assert outcomes["client_quota_exceeded"] == 13


async def test_racing_reps_never_pass_the_sessions_free_seats(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """Quotas above the hall: the 10 free seats of level A bind, each reserved for one
    client only, and a refused lock gives its quota back."""
    sid = await on_sale(admin, clock)
    acme, bolt = await make_client(admin, "Acme"), await make_client(admin, "Bolt")
    await set_total(admin, sid, A=30)
    await set_client_quota(admin, acme, sid, A=15)
    await set_client_quota(admin, bolt, sid, A=15)
    reps = {c: await rep_of(runtime, c, f"rep-{c}") for c in (acme, bolt)}
    attempts = [(c, reps[c].staff_id) for _ in range(8) for c in (acme, bolt)]

    outcomes = await _race(runtime, clock, sid, attempts)

    quota_rows, locks, total, reserved = await _held(runtime, sid)
    assert outcomes["locked"] == LEVEL_A_SEATS == total == sum(reserved.values())
    assert outcomes["session_unavailable"] == 16 - LEVEL_A_SEATS
    assert quota_rows == locks == dict(reserved)

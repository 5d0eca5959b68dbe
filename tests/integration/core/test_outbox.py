"""Outbox jobs run after commit, once, with retries; a rollback discards them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from admit.core import outbox
from admit.core.clock import FixedClock
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.conftest import TEST_ACTOR

CALLS: list[dict[str, Any]] = []
FAILURES_LEFT = {"n": 0}


@outbox.handler("test.record")
async def _record(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    if FAILURES_LEFT["n"] > 0:
        FAILURES_LEFT["n"] -= 1
        raise ConnectionError("the outside system is down")
    CALLS.append(payload)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FAILURES_LEFT["n"] = 0


async def _enqueue(rt: Runtime, payload: dict[str, Any]) -> None:
    async with rt.uow(TEST_ACTOR) as uow:
        await outbox.enqueue(uow, kind="test.record", payload=payload, now=rt.clock.now())


async def test_a_job_runs_once_after_commit(runtime: Runtime) -> None:
    await _enqueue(runtime, {"n": 1})
    assert await run_once(runtime) == 1
    assert await run_once(runtime) == 0
    assert CALLS == [{"n": 1}]


async def test_a_rolled_back_transaction_enqueues_nothing(runtime: Runtime) -> None:
    async def rolled_back() -> None:
        async with runtime.uow(TEST_ACTOR) as uow:
            await outbox.enqueue(uow, kind="test.record", payload={"n": 2}, now=runtime.clock.now())
            raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        await rolled_back()
    assert await run_once(runtime) == 0
    assert CALLS == []


async def test_a_failing_job_is_retried_with_backoff(runtime: Runtime, clock: FixedClock) -> None:
    FAILURES_LEFT["n"] = 2
    await _enqueue(runtime, {"n": 3})
    assert await run_once(runtime) == 1  # fails
    assert await run_once(runtime) == 0  # not due yet
    clock.advance(outbox.backoff(1))
    assert await run_once(runtime) == 1  # fails again
    clock.advance(outbox.backoff(2))
    assert await run_once(runtime) == 1  # succeeds
    assert CALLS == [{"n": 3}]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        job = (await uow.session.scalars(select(OutboxJob))).one()
    assert (job.attempts, job.done_at is not None, job.last_error) == (
        3,
        True,
        "ConnectionError('the outside system is down')",
    )


async def test_a_job_that_always_fails_is_parked(runtime: Runtime, clock: FixedClock) -> None:
    FAILURES_LEFT["n"] = 100
    await _enqueue(runtime, {"n": 4})
    for _ in range(outbox.MAX_ATTEMPTS):
        await run_once(runtime)
        clock.advance(timedelta(hours=2))
    assert await run_once(runtime) == 0
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        job = (await uow.session.scalars(select(OutboxJob))).one()
    assert job.failed_at is not None
    assert job.attempts == outbox.MAX_ATTEMPTS

"""A stopping worker finishes the job it runs and gives back the rest at once; leases are
short, renewed while held, and free again one lease after their worker died (issue 34, 4)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from admit.app import create_app
from admit.core import outbox
from admit.core.clock import FixedClock
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.core.worker import Worker, run_once
from tests.conftest import TEST_ACTOR

KIND = "test.worker_stop"
EVENTUALLY_S = 10.0


@dataclass
class Scene:
    """What the handler does with job ``n``: set the worker's stop, block, watch renewals."""

    worker: Worker | None = None
    stop_at: int | None = None
    stop_twice_at: int | None = None
    block_at: int | None = None
    watch_renewal_at: int | None = None
    started: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    seen: dict[str, Any] = field(default_factory=dict)
    running: asyncio.Event = field(default_factory=asyncio.Event)


SCENE = Scene()


@outbox.handler(KIND)
async def _job(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    n = payload["n"]
    SCENE.started.append(n)
    SCENE.running.set()
    if n == SCENE.stop_at:
        assert SCENE.worker is not None
        SCENE.worker.stop.set()
        await asyncio.sleep(0.05)  # still running when the worker notices the stop
    if n == SCENE.stop_twice_at:
        assert SCENE.worker is not None
        SCENE.worker.request_stop()
        SCENE.worker.request_stop()
    if n == SCENE.block_at:
        await asyncio.Event().wait()  # never finishes: only the grace period ends it
    if n == SCENE.watch_renewal_at:
        await _watch_renewal(ctx.runtime)
    SCENE.done.append(n)


async def _watch_renewal(rt: Runtime) -> None:
    """Move the clock past the lease, wait for the renewal to push the next job's lease
    beyond it, and see whether another worker could claim anything meanwhile."""
    assert isinstance(rt.clock, FixedClock)
    assert SCENE.worker is not None
    rt.clock.advance(SCENE.worker.lease * 2)
    deadline = time.monotonic() + EVENTUALLY_S
    while time.monotonic() < deadline:
        job = await _job_row(rt, 2)
        if job.run_after > rt.clock.now():
            break
        await asyncio.sleep(0.02)
    SCENE.seen["renewed"] = job.run_after > rt.clock.now()
    SCENE.seen["holder"] = job.leased_by
    async with rt.uow(TEST_ACTOR) as uow:
        SCENE.seen["other_claims"] = await outbox.claim_due(
            uow, now=rt.clock.now(), limit=50, owner="other"
        )


@pytest.fixture(autouse=True)
def _reset() -> None:
    global SCENE
    SCENE = Scene()


async def _enqueue(rt: Runtime, count: int) -> None:
    async with rt.uow(TEST_ACTOR) as uow:
        for n in range(1, count + 1):
            await outbox.enqueue(uow, kind=KIND, payload={"n": n}, now=rt.clock.now())


async def _jobs(rt: Runtime) -> list[OutboxJob]:
    async with rt.uow(TEST_ACTOR, readonly=True) as uow:
        return list((await uow.session.scalars(select(OutboxJob).order_by(OutboxJob.id))).all())


async def _job_row(rt: Runtime, n: int) -> OutboxJob:
    return next(j for j in await _jobs(rt) if j.payload["n"] == n)


def _released(job: OutboxJob, rt: Runtime) -> bool:
    return (
        job.done_at is None
        and job.leased_by is None
        and job.run_after == rt.clock.now()
        and job.attempts == 0
    )


async def test_stop_finishes_the_running_job_and_releases_the_rest(runtime: Runtime) -> None:
    await _enqueue(runtime, 5)
    SCENE.worker, SCENE.stop_at = Worker(runtime), 2
    assert await SCENE.worker.run_once() == 2
    assert (SCENE.started, SCENE.done) == ([1, 2], [1, 2])
    jobs = await _jobs(runtime)
    assert [j.done_at is not None for j in jobs] == [True, True, False, False, False]
    assert all(_released(j, runtime) for j in jobs[2:])
    assert SCENE.worker.held == []
    # Another worker takes them at once, without waiting for a lease.
    assert await run_once(runtime) == 3
    assert SCENE.done == [1, 2, 3, 4, 5]


async def test_a_job_past_the_grace_period_is_cancelled_and_released(runtime: Runtime) -> None:
    await _enqueue(runtime, 3)
    SCENE.worker, SCENE.stop_at, SCENE.block_at = Worker(runtime), 1, 1
    SCENE.worker.grace = 0.2
    assert await SCENE.worker.run_once() == 1
    assert (SCENE.started, SCENE.done) == ([1], [])
    assert all(_released(j, runtime) for j in await _jobs(runtime))


async def test_a_second_stop_ends_the_grace_at_once(runtime: Runtime) -> None:
    await _enqueue(runtime, 2)
    SCENE.worker, SCENE.stop_twice_at, SCENE.block_at = Worker(runtime), 1, 1
    SCENE.worker.grace = 3600
    assert await asyncio.wait_for(SCENE.worker.run_once(), timeout=60) == 1
    assert (SCENE.started, SCENE.done) == ([1], [])
    assert all(_released(j, runtime) for j in await _jobs(runtime))


async def test_run_forever_returns_once_stopped_and_holds_nothing(runtime: Runtime) -> None:
    await _enqueue(runtime, 4)
    SCENE.worker, SCENE.stop_at = Worker(runtime), 1
    await asyncio.wait_for(SCENE.worker.run_forever(), timeout=60)
    jobs = await _jobs(runtime)
    assert jobs[0].done_at is not None
    assert all(_released(j, runtime) for j in jobs[1:])


async def test_leases_are_renewed_while_the_jobs_wait(runtime: Runtime) -> None:
    await _enqueue(runtime, 3)
    SCENE.worker, SCENE.watch_renewal_at = Worker(runtime), 1
    SCENE.worker.lease = timedelta(seconds=0.3)  # renewed every 0.1 s
    assert await SCENE.worker.run_once() == 3
    assert SCENE.seen == {"renewed": True, "holder": SCENE.worker.name, "other_claims": []}
    assert all(j.done_at is not None and j.leased_by is None for j in await _jobs(runtime))


async def test_a_dead_workers_jobs_come_back_after_one_lease(
    runtime: Runtime, clock: FixedClock
) -> None:
    await _enqueue(runtime, 3)
    async with runtime.uow(TEST_ACTOR) as uow:  # a worker that is then killed: no renewal
        held = await outbox.claim_due(uow, now=clock.now(), limit=50, owner="dead")
    assert len(held) == 3
    assert await run_once(runtime) == 0
    async with runtime.uow(TEST_ACTOR) as uow:  # nobody else may renew or release them
        assert await outbox.renew_leases(uow, held, owner="alive", now=clock.now()) == 0
        assert await outbox.release(uow, held, owner="alive", now=clock.now()) == 0
    clock.advance(outbox.LEASE - timedelta(seconds=1))
    assert await run_once(runtime) == 0
    clock.advance(timedelta(seconds=1))
    assert await run_once(runtime) == 3
    assert SCENE.done == [1, 2, 3]


async def test_a_holder_whose_lease_was_taken_over_leaves_the_job_alone(
    runtime: Runtime, clock: FixedClock
) -> None:
    await _enqueue(runtime, 1)
    async with runtime.uow(TEST_ACTOR) as uow:
        (job_id,) = await outbox.claim_due(uow, now=clock.now(), limit=50, owner="slow")
    clock.advance(outbox.LEASE)
    async with runtime.uow(TEST_ACTOR) as uow:
        assert await outbox.claim_due(uow, now=clock.now(), limit=50, owner="next") == [job_id]
        assert await outbox.load_job(uow, job_id, owner="slow") is None
        assert await outbox.renew_leases(uow, [job_id], owner="slow", now=clock.now()) == 0
        assert await outbox.release(uow, [job_id], owner="slow", now=clock.now()) == 0
        assert await outbox.load_job(uow, job_id, owner="next") == (KIND, {"n": 1})


async def test_the_in_process_worker_stops_the_same_way(runtime: Runtime) -> None:
    await _enqueue(runtime, 4)
    SCENE.block_at = 1
    app = create_app(runtime, run_worker=True)
    runtime.settings.worker_stop_grace_seconds = 0.2
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(SCENE.running.wait(), timeout=EVENTUALLY_S)
    # The web process shut down: job 1 was cut off after the grace, every job is free again.
    assert (SCENE.started, SCENE.done) == ([1], [])
    assert all(j.done_at is None and j.leased_by is None for j in await _jobs(runtime))
    jobs = await _jobs(runtime)
    assert all(j.run_after <= runtime.clock.now() for j in jobs)

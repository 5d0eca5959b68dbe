"""Stopping and killing ``admit worker`` while it holds jobs (issue 34, item 4).

Sixty order confirmations are queued for sixty phones, the SMS carrier simulator (its own
process) answers slowly, and a worker on PostgreSQL is stopped with SIGTERM — or killed with
SIGKILL — in the middle of its batch. After a SIGTERM the worker exits by itself, every job is
done or given back (due now, held by nobody), and a second worker sends the rest; after a
SIGKILL the jobs come back when their short lease runs out. Either way every phone gets its
message exactly once: the send cut off by the kill reaches the carrier, and its retry carries
the same idempotency key, so the carrier answers it without a second SMS."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from admit.core.outbox import OutboxJob
from admit.messaging import dispatch
from admit.messaging.models import OutboundMessage
from tests.conftest import TEST_ACTOR
from tests.e2e.harness import Cluster, Service, _base_env, fresh_database, start_cluster

pytestmark = pytest.mark.whole_machine  # subprocesses and a slow carrier: the machine to itself

MESSAGES = 60
PHONES = [f"1390000{n:04d}" for n in range(MESSAGES)]
CARRIER_LATENCY_MS = 300
LEASE_S = 4  # short, so the killed worker's jobs come back quickly
EXIT_DEADLINE_S = 30.0  # a liveness bound, not a timing assertion
DEADLINE_S = 90.0


@pytest.fixture
def cluster(pg_template: str, tmp_path: Path) -> Iterator[Cluster]:
    with (
        fresh_database(pg_template, "wstop") as pg_url,
        start_cluster(pg_url, tmp_path, servers=0, sms=True) as running,
    ):
        yield running


def _worker(cluster: Cluster, name: str) -> Service:
    env = {
        **_base_env(cluster.pg_url, cluster.data_dir),
        "ADMIT_SMS_URL": cluster.sms_url,
        "ADMIT_DB_POOL_SIZE": "4",
        "ADMIT_WORKER_POLL_SECONDS": "0.2",
        "ADMIT_WORKER_LEASE_SECONDS": str(LEASE_S),
        "ADMIT_LOG_LEVEL": "INFO",
    }
    worker = Service(
        name, ["worker"], env, cluster.data_dir / f"{name}.log", ready_text="Worker running"
    )
    cluster.worker = worker  # its log goes with a failing test's report
    worker.start()
    worker.wait_ready()
    return worker


async def _queue_confirmations(cluster: Cluster) -> None:
    async with cluster.runtime() as rt, rt.uow(TEST_ACTOR) as uow:
        for n, phone in enumerate(PHONES):
            await dispatch.queue_message(
                uow,
                rt.crypto,
                channel="sms",
                to=phone,
                template="SMS_ORDER_CONFIRMED",
                params={
                    "order": f"W-{n}",
                    "event": "Night Film",
                    "time": "Sat 12 Dec 19:30",
                    "seats": f"Row 1 Seat {n}",
                    "pickup": f"{n:06d}",
                },
                now=rt.clock.now(),
            )


def _carrier(cluster: Cluster, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, cluster.sms_url + path, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def _wait_until_sending(cluster: Cluster, *, in_flight: bool) -> None:
    """Until the carrier has accepted a few messages (the worker holds the rest of its
    batch) and, with ``in_flight``, is taking one more right now."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        stats = _carrier(cluster, "GET", "/v1/_stats")
        busy = stats["requests"] > stats["accepted"] + sum(stats["refused"].values())
        if stats["accepted"] >= 3 and (busy or not in_flight):
            return
        assert time.monotonic() < deadline, f"the worker sent nothing: {stats}"
        time.sleep(0.02)


async def _jobs(cluster: Cluster) -> list[OutboxJob]:
    async with cluster.runtime() as rt, rt.uow(TEST_ACTOR, readonly=True) as uow:
        return list((await uow.session.scalars(select(OutboxJob))).all())


async def _wait_all_sent(cluster: Cluster) -> None:
    deadline = time.monotonic() + DEADLINE_S
    async with cluster.runtime() as rt:
        while True:
            async with rt.uow(TEST_ACTOR, readonly=True) as uow:
                sent = await uow.session.scalar(
                    select(func.count())
                    .select_from(OutboundMessage)
                    .where(OutboundMessage.status == "sent")
                )
            if sent == MESSAGES:
                return
            assert time.monotonic() < deadline, f"{sent} of {MESSAGES} messages sent"
            await asyncio.sleep(0.2)


def _stop(worker: Service) -> int:
    assert worker.proc is not None
    worker.proc.send_signal(signal.SIGTERM)
    return worker.proc.wait(timeout=EXIT_DEADLINE_S)


def _each_phone_once(cluster: Cluster) -> dict[str, Any]:
    messages = _carrier(cluster, "GET", "/v1/_messages")
    assert Counter(m["phone"] for m in messages) == Counter(PHONES)
    stats: dict[str, Any] = _carrier(cluster, "GET", "/v1/_stats")
    assert stats["accepted"] == MESSAGES
    return stats


async def test_sigterm_gives_back_the_jobs_and_nothing_is_sent_twice(cluster: Cluster) -> None:
    await _queue_confirmations(cluster)
    _carrier(cluster, "POST", "/v1/_control", json={"latency_ms": CARRIER_LATENCY_MS})
    first = _worker(cluster, "worker1")
    _wait_until_sending(cluster, in_flight=False)
    assert any(j.leased_by is not None for j in await _jobs(cluster)), "nothing held"

    assert _stop(first) == 0, first.tail()

    jobs = await _jobs(cluster)
    done = [j for j in jobs if j.done_at is not None]
    waiting = [j for j in jobs if j.done_at is None]
    now = datetime.now(UTC)
    assert waiting, "the worker sent everything before it stopped: nothing was released"
    assert all(j.leased_by is None and j.run_after <= now for j in waiting)
    assert all(j.attempts == 0 and j.failed_at is None for j in waiting)
    assert _carrier(cluster, "GET", "/v1/_stats")["accepted"] == len(done)

    _carrier(cluster, "POST", "/v1/_control", json={"latency_ms": 0})
    second = _worker(cluster, "worker2")
    await _wait_all_sent(cluster)
    assert _stop(second) == 0, second.tail()
    assert _each_phone_once(cluster)["deduplicated"] == 0


async def test_after_a_kill_the_jobs_come_back_and_no_phone_gets_two(cluster: Cluster) -> None:
    await _queue_confirmations(cluster)
    _carrier(cluster, "POST", "/v1/_control", json={"latency_ms": CARRIER_LATENCY_MS})
    first = _worker(cluster, "worker1")
    _wait_until_sending(cluster, in_flight=True)
    first.kill()  # mid-send: the carrier takes that message, the worker never hears of it
    held = [j for j in await _jobs(cluster) if j.done_at is None and j.leased_by is not None]
    assert held, "the killed worker held nothing"

    _carrier(cluster, "POST", "/v1/_control", json={"latency_ms": 0})
    second = _worker(cluster, "worker2")  # takes them once their lease has run out
    await _wait_all_sent(cluster)
    assert _stop(second) == 0, second.tail()
    # The cut-off send was sent again with its key and answered without a second SMS.
    assert _each_phone_once(cluster)["deduplicated"] >= 1

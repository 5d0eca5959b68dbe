"""``/metrics`` (issue 34, item 8): requests and latency by route template, method and status;
unhandled errors; and gauges read at scrape time — database up, outbox backlog and oldest due
job, parked jobs, worker heartbeat age, pool use."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from admit.core.audit_context import SYSTEM
from admit.core.heartbeat import beat
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from tests.conftest import T0

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def _scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _requests(samples: Samples, route: str, status: str, method: str = "GET") -> float:
    labels = frozenset({"route": route, "method": method, "status": status}.items())
    return samples.get(("admit_http_requests_total", labels), 0.0)


async def test_requests_are_counted_by_route_template(client: httpx.AsyncClient) -> None:
    before = await _scrape(client)
    await client.get("/api/v1/sessions")
    await client.get("/api/v1/sessions/987654")
    await client.get("/api/v1/sessions/987655")
    await client.get("/no/such/page/4242")
    after = await _scrape(client)
    for route, status, more in (
        ("/api/v1/sessions", "200", 1),
        ("/api/v1/sessions/{session_id}", "404", 2),
        ("unmatched", "404", 1),
    ):
        assert _requests(after, route, status) - _requests(before, route, status) == more
    assert not any("987654" in str(labels) for _, labels in after)  # no raw paths
    bucket = frozenset(
        {"route": "/api/v1/sessions", "method": "GET", "status": "200", "le": "+Inf"}.items()
    )
    assert after[("admit_http_request_duration_seconds_bucket", bucket)] >= 1


async def test_unhandled_errors_are_counted(app: FastAPI, runtime: Runtime) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        before = await _scrape(c)
        assert (await c.get("/api/v1/broken")).status_code == 500
        after = await _scrape(c)
    key = ("admit_http_unhandled_errors_total", frozenset({"route": "/api/v1/broken"}.items()))
    assert after.get(key, 0) - before.get(key, 0) == 1


async def test_platform_gauges(client: httpx.AsyncClient, runtime: Runtime, db_url: str) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await beat(uow, T0 - timedelta(seconds=7))
        for due_ago, parked in ((90, False), (30, False), (-30, False), (600, True)):
            at = T0 - timedelta(seconds=due_ago)
            uow.session.add(
                OutboxJob(
                    kind="test.job",
                    payload={},
                    created_at=at,
                    run_after=at,
                    failed_at=T0 if parked else None,
                )
            )
    samples = await _scrape(client)
    gauges = {name: value for (name, labels), value in samples.items() if not labels}
    assert gauges["admit_database_up"] == 1
    assert gauges["admit_outbox_due_jobs"] == 2
    assert gauges["admit_outbox_oldest_due_job_age_seconds"] == 90
    assert gauges["admit_outbox_parked_jobs"] == 1
    assert gauges["admit_worker_heartbeat_age_seconds"] == 7
    if db_url.startswith("postgresql"):
        assert gauges["admit_db_pool_size"] == 10
        assert gauges["admit_db_pool_checked_out"] >= 0
        assert gauges["admit_db_pool_overflow"] >= 0
    assert "admit_redis_up" not in gauges  # no Redis configured


async def test_no_worker_ever_is_an_infinite_heartbeat_age(client: httpx.AsyncClient) -> None:
    samples = await _scrape(client)
    assert samples[("admit_worker_heartbeat_age_seconds", frozenset())] == float("inf")

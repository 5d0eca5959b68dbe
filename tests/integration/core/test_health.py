"""Liveness apart from readiness (issue 34, item 3): ``/livez`` never touches the database;
``/readyz`` (and ``/healthz``) checks the database, the workers' heartbeat and the outbox's
lag, and fails with 503, ``Retry-After`` and the failed checks."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from admit.core.audit_context import SYSTEM
from admit.core.heartbeat import WorkerHeartbeat, beat, worker_name
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from tests.conftest import T0


async def _beat_at(runtime: Runtime, seconds_ago: float) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await beat(uow, T0 - timedelta(seconds=seconds_ago))


async def _job(runtime: Runtime, *, due_seconds_ago: float, parked: bool = False) -> None:
    run_after = T0 - timedelta(seconds=due_seconds_ago)
    async with runtime.uow(SYSTEM) as uow:
        uow.session.add(
            OutboxJob(
                kind="test.job",
                payload={},
                created_at=run_after,
                run_after=run_after,
                failed_at=T0 if parked else None,
            )
        )


async def test_livez_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_ready_with_a_fresh_heartbeat(
    client: httpx.AsyncClient, runtime: Runtime, db_url: str
) -> None:
    await _beat_at(runtime, 5)
    await _job(runtime, due_seconds_ago=-60)  # not due yet
    await _job(runtime, due_seconds_ago=3600, parked=True)  # waits for a person, not the worker
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    for path in ("/readyz", "/healthz"):
        response = await client.get(path)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "status": "ok",
            "database": backend,
            "checks": {
                "database": {"ok": True, "backend": backend},
                "worker": {"ok": True, "last_beat_seconds_ago": 5.0, "max_seconds": 60.0},
                "outbox": {"ok": True, "oldest_due_seconds": 0.0, "max_seconds": 300.0},
            },
        }


@pytest.mark.parametrize("seconds_ago", [None, 61])
async def test_not_ready_without_a_recent_heartbeat(
    client: httpx.AsyncClient, runtime: Runtime, seconds_ago: int | None
) -> None:
    if seconds_ago is not None:
        await _beat_at(runtime, seconds_ago)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["failed"] == ["worker"]
    assert error["details"]["checks"]["worker"]["last_beat_seconds_ago"] == seconds_ago
    assert error["details"]["checks"]["database"]["ok"] is True


async def test_not_ready_when_the_outbox_lags(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await _beat_at(runtime, 1)
    await _job(runtime, due_seconds_ago=301)
    response = await client.get("/readyz")
    assert response.status_code == 503
    details = response.json()["error"]["details"]
    assert details["failed"] == ["outbox"]
    assert details["checks"]["outbox"] == {
        "ok": False,
        "oldest_due_seconds": 301.0,
        "max_seconds": 300.0,
    }


async def test_worker_and_outbox_checks_can_be_left_to_monitoring(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"ready_worker_max_age_seconds": 0, "ready_outbox_max_lag_seconds": 0}
    )
    await _job(runtime, due_seconds_ago=3600)
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert list(response.json()["checks"]) == ["database"]


async def test_the_heartbeat_names_the_process_and_keeps_its_start(runtime: Runtime) -> None:
    await _beat_at(runtime, 30)
    await _beat_at(runtime, 10)
    async with runtime.uow(SYSTEM, readonly=True) as uow:
        rows = (await uow.session.scalars(select(WorkerHeartbeat))).all()
    assert [(r.name, r.started_at, r.beat_at) for r in rows] == [
        (worker_name(), T0 - timedelta(seconds=30), T0 - timedelta(seconds=10))
    ]


async def test_a_process_silent_for_days_beats_again_and_others_are_forgotten(
    runtime: Runtime,
) -> None:
    """Silent workers are forgotten after a day; this process's own old row is updated (it was
    deleted under the update: a StaleDataError every cycle after a long pause)."""
    async with runtime.uow(SYSTEM) as uow:
        gone = T0 - timedelta(days=2)
        uow.session.add(WorkerHeartbeat(name="gone:1", started_at=gone, beat_at=gone))
    await _beat_at(runtime, 3 * 86400)  # this process, three days ago
    await _beat_at(runtime, 0)
    async with runtime.uow(SYSTEM, readonly=True) as uow:
        rows = (await uow.session.scalars(select(WorkerHeartbeat))).all()
    assert [(r.name, r.beat_at) for r in rows] == [(worker_name(), T0)]


async def test_openapi_document_lists_the_api(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["info"]["title"] == "Admit"
    for path in (
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}/availability",
        "/api/v1/admin/venues/{venue_id}/seatmaps",
        "/api/v1/admin/audit/verify",
        "/livez",
        "/readyz",
    ):
        assert path in doc["paths"]


async def test_admin_endpoints_need_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/venues")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    response = await client.get(
        "/api/v1/admin/venues", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401


async def test_unknown_path_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"

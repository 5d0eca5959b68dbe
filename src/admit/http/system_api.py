"""Liveness, readiness and metrics (docs/operations.md, "Health and monitoring").

``/livez`` says the process answers and touches nothing else: an orchestrator restarts a
server that fails it. ``/readyz`` (and its older name ``/healthz``) says whether the platform
can serve: the database answers, Redis (when configured) answers, a worker completed a cycle
recently and the outbox is not falling behind; a load balancer sends no traffic to a server
that fails it, and nothing is restarted."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from admit.core.health import DatabaseFacts, pool_usage, read_database, redis_up
from admit.core.runtime import Runtime
from admit.core.staff_notices import NoticeKind
from admit.http.deps import RuntimeDep
from admit.http.errors import RETRY_AFTER_SECONDS, error_body

router = APIRouter(tags=["system"])


@router.get("/livez")
async def livez() -> dict[str, str]:
    """The process answers (never touches the database)."""
    return {"status": "alive"}


def _worker_check(rt: Runtime, facts: DatabaseFacts) -> dict[str, Any] | None:
    limit = rt.settings.ready_worker_max_age_seconds
    if limit <= 0:
        return None
    if not facts.up:
        return {"ok": False, "reason": "database unavailable"}
    age = facts.heartbeat_age
    check: dict[str, Any] = {
        "ok": age is not None and age <= limit,
        "last_beat_seconds_ago": None if age is None else round(age, 1),
        "max_seconds": limit,
    }
    return check


def _outbox_check(rt: Runtime, facts: DatabaseFacts) -> dict[str, Any] | None:
    limit = rt.settings.ready_outbox_max_lag_seconds
    if limit <= 0:
        return None
    if not facts.up:
        return {"ok": False, "reason": "database unavailable"}
    return {
        "ok": facts.oldest_due_age <= limit,
        "oldest_due_seconds": round(facts.oldest_due_age, 1),
        "max_seconds": limit,
    }


async def readiness(rt: Runtime) -> tuple[bool, dict[str, Any]]:
    """Each check's result; ready when every check passed."""
    facts = await read_database(rt, with_counts=False)
    database: dict[str, Any] = {"ok": facts.up, "backend": rt.engine.dialect.name}
    if facts.error:
        database["error"] = facts.error
    checks: dict[str, Any] = {"database": database}
    redis = await redis_up(rt)
    if redis is not None:
        checks["redis"] = {"ok": redis}
    for name, check in (("worker", _worker_check(rt, facts)), ("outbox", _outbox_check(rt, facts))):
        if check is not None:
            checks[name] = check
    return all(check["ok"] for check in checks.values()), checks


@router.get("/readyz")
async def readyz(rt: RuntimeDep) -> Response:
    """200 with each check's result when the platform can serve; otherwise 503
    ``not_ready`` with ``Retry-After``, the failed checks and every result."""
    ready, checks = await readiness(rt)
    if ready:
        return JSONResponse({"status": "ok", "database": rt.engine.dialect.name, "checks": checks})
    failed = [name for name, check in checks.items() if not check["ok"]]
    return JSONResponse(
        error_body(
            "not_ready",
            f"not ready: {', '.join(failed)}",
            {"failed": failed, "checks": checks},
        ),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@router.get("/healthz")
async def healthz(rt: RuntimeDep) -> Response:
    """The readiness check under its older name."""
    return await readyz(rt)


async def _platform_metrics(rt: Runtime) -> bytes:
    """Gauges read at scrape time; those that need the database are left out while it does
    not answer, and ``admit_database_up`` is then 0."""
    registry = CollectorRegistry(auto_describe=True)

    def gauge(name: str, doc: str, value: float) -> None:
        Gauge(name, doc, registry=registry).set(value)

    facts = await read_database(rt, with_counts=True)
    gauge("admit_database_up", "1 when the database answered this scrape, else 0", facts.up)
    if facts.up:
        gauge("admit_outbox_due_jobs", "Outbox jobs due now, not done, not parked", facts.due_jobs)
        gauge(
            "admit_outbox_oldest_due_job_age_seconds",
            "How long the oldest due outbox job has waited",
            facts.oldest_due_age,
        )
        gauge(
            "admit_outbox_parked_jobs",
            "Outbox jobs that failed every attempt (they wait for a person)",
            facts.parked_jobs,
        )
        gauge(
            "admit_worker_heartbeat_age_seconds",
            "Seconds since any worker completed a cycle (+Inf: none ever did)",
            math.inf if facts.heartbeat_age is None else facts.heartbeat_age,
        )
        notices = Gauge(
            "admit_staff_notices",
            "Staff notices posted, by kind (stock.low, stock.sold_out: low-stock alerts raised)",
            ["kind"],
            registry=registry,
        )
        for kind in NoticeKind:
            notices.labels(kind.value).set(facts.notices.get(kind.value, 0))
    pool = pool_usage(rt)
    if pool:
        gauge(
            "admit_db_pool_checked_out", "Connections in use by this process", pool["checked_out"]
        )
        gauge("admit_db_pool_size", "This process's pool size", pool["size"])
        gauge("admit_db_pool_overflow", "Connections open beyond the pool size", pool["overflow"])
    redis = await redis_up(rt)
    if redis is not None:
        gauge("admit_redis_up", "1 when Redis answered this scrape's PING, else 0", redis)
    return generate_latest(registry)


@router.get("/metrics", include_in_schema=False)
async def metrics(rt: RuntimeDep) -> Response:
    return Response(generate_latest() + await _platform_metrics(rt), media_type=CONTENT_TYPE_LATEST)

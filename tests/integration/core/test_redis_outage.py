"""A Redis outage is no longer silent (issue 34, item 8): one warning when Redis calls start
failing and one info line when they work again, readiness and ``/metrics`` show it, and the
503 of a limited route carries ``Retry-After``.

A reachable Redis must be at ``ADMIT_TEST_REDIS`` (default 127.0.0.1:6379)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog

from admit.core.ratelimit import Limit, RateLimiter, RateLimiterUnavailable
from admit.core.ratelimit_redis import RedisRateLimiter
from admit.core.runtime import Runtime

REDIS_URL = os.environ.get("ADMIT_TEST_REDIS", "redis://127.0.0.1:6379/0")
DOWN_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
async def down() -> AsyncIterator[RedisRateLimiter]:
    limiter = RedisRateLimiter.from_url(DOWN_URL, timeout=0.5)
    yield limiter
    await limiter.aclose()


@pytest.fixture
def with_redis(runtime: Runtime, down: RedisRateLimiter) -> Runtime:
    """The runtime configured for a Redis that is down."""
    runtime.settings = runtime.settings.model_copy(update={"redis_url": DOWN_URL})
    runtime.adapters[RateLimiter] = down
    return runtime


async def test_one_warning_per_outage_and_one_line_when_back(down: RedisRateLimiter) -> None:
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            with pytest.raises(RateLimiterUnavailable) as refused:
                await down.take("ip:1", Limit(rate=1.0, burst=1))
        assert refused.value.details == {"retry_after": 2}
        assert await down.ping() is False
        down.reachability.found()  # what a successful call reports
        down.reachability.found()
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("redis_unavailable", "warning"),
        ("redis_available", "info"),
    ]
    assert logs[1]["refused"] == 4


async def test_a_reachable_redis_answers_ping() -> None:
    limiter = RedisRateLimiter.from_url(REDIS_URL)
    try:
        assert await limiter.ping() is True
        assert limiter.reachability.up
    finally:
        await limiter.aclose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_limited_routes_answer_503_with_retry_after(
    with_redis: Runtime, client: httpx.AsyncClient
) -> None:
    answer = await client.post(
        "/api/v1/auth/codes", json={"login": "13800138000", "purpose": "login"}
    )
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "rate_limiter_unavailable"
    assert answer.headers["Retry-After"] == "2"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_readiness_and_metrics_show_redis(
    with_redis: Runtime, client: httpx.AsyncClient
) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    details = ready.json()["error"]["details"]
    assert "redis" in details["failed"]
    assert details["checks"]["redis"] == {"ok": False}
    assert "admit_redis_up 0.0" in (await client.get("/metrics")).text
    with_redis.adapters[RateLimiter] = RedisRateLimiter.from_url(REDIS_URL)
    try:
        ready = await client.get("/readyz")
        assert ready.json()["error"]["details"]["checks"]["redis"] == {"ok": True}
        assert "admit_redis_up 1.0" in (await client.get("/metrics")).text
    finally:
        await with_redis.adapters[RateLimiter].aclose()

"""The Redis token bucket against a real Redis: timing, atomicity, sharing between servers, expiry.

Redis must be reachable at ``ADMIT_TEST_REDIS`` (default 127.0.0.1:6379): a missing server fails."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from admit.core.ratelimit import Decision, Limit, RateLimiterUnavailable
from admit.core.ratelimit_redis import KEY_PREFIX, RedisRateLimiter

REDIS_URL = os.environ.get("ADMIT_TEST_REDIS", "redis://127.0.0.1:6379/0")
# Real time passes between calls (Redis keeps the clock); this bounds how far the refill may
# have moved meanwhile on a machine running the whole suite (0.2 s was seen at load 9).
TOLERANCE = 0.5


@pytest.fixture
def prefix() -> str:
    return f"{KEY_PREFIX}test:{uuid.uuid4().hex}:"


@pytest.fixture
async def client(prefix: str) -> AsyncIterator[redis.asyncio.Redis]:
    conn = redis.asyncio.Redis.from_url(REDIS_URL)
    await conn.ping()
    try:
        yield conn
    finally:
        keys = [key async for key in conn.scan_iter(match=f"{prefix}*")]
        if keys:
            await conn.delete(*keys)
        await conn.aclose()


@pytest.fixture
async def limiter(client: redis.asyncio.Redis, prefix: str) -> AsyncIterator[RedisRateLimiter]:
    shared = RedisRateLimiter.from_url(REDIS_URL, prefix=prefix)
    try:
        yield shared
    finally:
        await shared.aclose()


def allowed(remaining: int) -> Decision:
    return Decision(allowed=True, remaining=remaining, retry_after=0.0)


async def test_burst_then_refusal_with_retry_after(limiter: RedisRateLimiter) -> None:
    limit = Limit(rate=1.0, burst=3)
    decisions = [await limiter.take("ip:1", limit) for _ in range(3)]
    assert decisions == [allowed(2), allowed(1), allowed(0)]
    refused = await limiter.take("ip:1", limit)
    assert (refused.allowed, refused.remaining) == (False, 0)
    assert 1.0 - TOLERANCE <= refused.retry_after <= 1.0


async def test_cost_above_one_and_refusals_spend_nothing(limiter: RedisRateLimiter) -> None:
    limit = Limit(rate=0.5, burst=10)
    assert await limiter.take("order:7", limit, cost=6) == allowed(4)
    for _ in range(2):
        refused = await limiter.take("order:7", limit, cost=6)
        assert (refused.allowed, refused.remaining) == (False, 4)
        assert 4.0 - TOLERANCE <= refused.retry_after <= 4.0
    assert await limiter.take("order:7", limit, cost=4) == allowed(0)


async def test_tokens_refill_after_a_short_sleep(limiter: RedisRateLimiter) -> None:
    limit = Limit.per_second(20, burst=2)
    for _ in range(2):
        await limiter.take("ip:1", limit)
    refused = await limiter.take("ip:1", limit)
    assert refused.allowed is False
    assert 0.05 - TOLERANCE <= refused.retry_after <= 0.05
    await asyncio.sleep(0.12)
    assert [await limiter.take("ip:1", limit) for _ in range(2)] == [allowed(1), allowed(0)]


async def test_concurrent_takes_on_one_key_allow_exactly_burst(limiter: RedisRateLimiter) -> None:
    limit = Limit(rate=0.001, burst=50)
    decisions = await asyncio.gather(*(limiter.take("hot", limit) for _ in range(200)))
    assert sum(d.allowed for d in decisions) == 50
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(50))


async def test_two_servers_share_one_bucket(
    limiter: RedisRateLimiter, client: redis.asyncio.Redis, prefix: str
) -> None:
    other_server = RedisRateLimiter(client, prefix=prefix)
    limit = Limit(rate=1.0, burst=3)
    assert await limiter.take("ip:1", limit, cost=2) == allowed(1)
    assert await other_server.take("ip:1", limit) == allowed(0)
    assert (await limiter.take("ip:1", limit)).allowed is False
    assert (await other_server.take("ip:1", limit)).allowed is False


async def test_key_expires_once_the_bucket_would_be_full(
    limiter: RedisRateLimiter, client: redis.asyncio.Redis, prefix: str
) -> None:
    limit = Limit.per_second(20, burst=4)
    key = f"{prefix}ip:1"
    await limiter.take("ip:1", limit)
    assert 0 < await client.pttl(key) <= 50
    await limiter.take("ip:1", limit, cost=3)
    assert 200 - TOLERANCE * 1000 < await client.pttl(key) <= 200
    await asyncio.sleep(0.25)
    assert await client.pttl(key) == -2
    assert await limiter.take("ip:1", limit) == allowed(3)


async def test_reset_refills_only_that_key(limiter: RedisRateLimiter) -> None:
    limit = Limit(rate=1.0, burst=2)
    for key in ("login:ann", "login:bob"):
        await limiter.take(key, limit, cost=2)
    await limiter.reset("login:ann")
    assert await limiter.take("login:ann", limit) == allowed(1)
    assert (await limiter.take("login:bob", limit)).allowed is False


async def test_cost_above_burst_is_refused_before_reaching_redis(
    limiter: RedisRateLimiter,
) -> None:
    with pytest.raises(ValueError, match="exceeds burst 2"):
        await limiter.take("ip:1", Limit(rate=1.0, burst=2), cost=3)


async def test_an_unreachable_store_raises_a_domain_error() -> None:
    down = RedisRateLimiter.from_url("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(RateLimiterUnavailable):
            await down.take("ip:1", Limit(rate=1.0, burst=1))
        with pytest.raises(RateLimiterUnavailable):
            await down.reset("ip:1")
    finally:
        await down.aclose()


async def test_closing_leaves_a_callers_client_open(
    client: redis.asyncio.Redis, prefix: str
) -> None:
    borrowed = RedisRateLimiter(client, prefix=prefix)
    await borrowed.aclose()
    assert await client.ping() is True

"""The in-process token bucket, driven by a fake monotonic clock."""

from __future__ import annotations

import asyncio
import math

import pytest

from admit.core.ratelimit import (
    Decision,
    Limit,
    MemoryRateLimiter,
    RateLimiterUnavailable,
)
from admit.core.ratelimit_redis import RedisRateLimiter, rate_limiter_from_settings

TWO_PER_SECOND = Limit(rate=2.0, burst=3)


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def limiter(clock: FakeMonotonic) -> MemoryRateLimiter:
    return MemoryRateLimiter(now=clock)


def allowed(remaining: int) -> Decision:
    return Decision(allowed=True, remaining=remaining, retry_after=0.0)


def refused(remaining: int, retry_after: float) -> Decision:
    return Decision(allowed=False, remaining=remaining, retry_after=retry_after)


async def test_burst_is_allowed_then_refused_with_exact_retry_after(
    limiter: MemoryRateLimiter,
) -> None:
    decisions = [await limiter.take("ip:1", TWO_PER_SECOND) for _ in range(4)]
    assert decisions == [allowed(2), allowed(1), allowed(0), refused(0, 0.5)]


async def test_a_refusal_spends_nothing(limiter: MemoryRateLimiter, clock: FakeMonotonic) -> None:
    for _ in range(3):
        await limiter.take("ip:1", TWO_PER_SECOND)
    assert await limiter.take("ip:1", TWO_PER_SECOND) == refused(0, 0.5)
    assert await limiter.take("ip:1", TWO_PER_SECOND) == refused(0, 0.5)
    clock.advance(0.5)
    assert await limiter.take("ip:1", TWO_PER_SECOND) == allowed(0)


async def test_tokens_refill_over_time_up_to_burst(
    limiter: MemoryRateLimiter, clock: FakeMonotonic
) -> None:
    for _ in range(3):
        await limiter.take("ip:1", TWO_PER_SECOND)
    clock.advance(0.25)
    assert await limiter.take("ip:1", TWO_PER_SECOND) == refused(0, 0.25)
    clock.advance(0.75)
    assert await limiter.take("ip:1", TWO_PER_SECOND) == allowed(1)
    clock.advance(3600.0)
    assert await limiter.take("ip:1", TWO_PER_SECOND) == allowed(2)


async def test_waiting_exactly_retry_after_is_enough(
    limiter: MemoryRateLimiter, clock: FakeMonotonic
) -> None:
    # Without slack for rounding, this rate and clock leave 0.99999999999998 tokens.
    limit = Limit.per_second(0.9, burst=1)
    assert await limiter.take("ip:1", limit) == allowed(0)
    clock.advance(0.1)
    decision = await limiter.take("ip:1", limit)
    assert decision.allowed is False
    assert decision.retry_after == pytest.approx(0.91 / 0.9, abs=1e-12)
    clock.advance(decision.retry_after)
    assert await limiter.take("ip:1", limit) == allowed(0)


async def test_cost_above_one_spends_several_tokens(
    limiter: MemoryRateLimiter, clock: FakeMonotonic
) -> None:
    limit = Limit(rate=4.0, burst=10)
    assert await limiter.take("order:7", limit, cost=6) == allowed(4)
    assert await limiter.take("order:7", limit, cost=6) == refused(4, 0.5)
    clock.advance(0.5)
    assert await limiter.take("order:7", limit, cost=6) == allowed(0)


async def test_cost_must_be_payable(limiter: MemoryRateLimiter) -> None:
    with pytest.raises(ValueError, match="cost must be at least 1"):
        await limiter.take("ip:1", TWO_PER_SECOND, cost=0)
    with pytest.raises(ValueError, match="exceeds burst 3"):
        await limiter.take("ip:1", TWO_PER_SECOND, cost=4)
    assert await limiter.take("ip:1", TWO_PER_SECOND, cost=3) == allowed(0)


async def test_keys_have_independent_buckets(limiter: MemoryRateLimiter) -> None:
    limit = Limit(rate=1.0, burst=1)
    assert await limiter.take("ip:1", limit) == allowed(0)
    assert await limiter.take("ip:2", limit) == allowed(0)
    assert await limiter.take("ip:1", limit) == refused(0, 1.0)
    assert await limiter.take("ip:2", limit) == refused(0, 1.0)


async def test_reset_refills_only_that_key(limiter: MemoryRateLimiter) -> None:
    limit = Limit(rate=1.0, burst=2)
    for key in ("login:ann", "login:bob"):
        await limiter.take(key, limit, cost=2)
    await limiter.reset("login:ann")
    await limiter.reset("login:never-seen")
    assert await limiter.take("login:ann", limit) == allowed(1)
    assert await limiter.take("login:bob", limit) == refused(0, 1.0)


async def test_memory_keeps_at_most_max_keys_dropping_least_recently_used(
    clock: FakeMonotonic,
) -> None:
    limiter = MemoryRateLimiter(now=clock, max_keys=2)
    limit = Limit(rate=1.0, burst=1)
    await limiter.take("a", limit)
    await limiter.take("b", limit)
    assert await limiter.take("a", limit) == refused(0, 1.0)  # "a" is now the most recent
    await limiter.take("c", limit)  # evicts "b"
    assert await limiter.take("b", limit) == allowed(0)  # came back full; evicts "a"
    assert await limiter.take("c", limit) == refused(0, 1.0)
    assert await limiter.take("a", limit) == allowed(0)


async def test_concurrent_takes_on_one_key_never_overspend(limiter: MemoryRateLimiter) -> None:
    limit = Limit(rate=1.0, burst=50)
    decisions = await asyncio.gather(*(limiter.take("hot", limit) for _ in range(200)))
    assert sum(d.allowed for d in decisions) == 50
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(50))


def test_max_keys_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_keys must be at least 1"):
        MemoryRateLimiter(max_keys=0)


@pytest.mark.parametrize(
    ("rate", "burst", "message"),
    [
        (0.0, 1, "rate must be"),
        (-1.0, 1, "rate must be"),
        (math.inf, 1, "rate must be"),
        (math.nan, 1, "rate must be"),
        (1.0, 0, "burst must be at least 1"),
    ],
)
def test_limit_is_validated(rate: float, burst: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limit(rate=rate, burst=burst)


def test_limit_helpers() -> None:
    assert Limit.per_second(20) == Limit(rate=20.0, burst=20)
    assert Limit.per_second(0.5) == Limit(rate=0.5, burst=1)
    assert Limit.per_second(5, burst=1) == Limit(rate=5.0, burst=1)
    assert Limit.per_minute(30) == Limit(rate=0.5, burst=30)
    assert Limit.per_minute(120, burst=10) == Limit(rate=2.0, burst=10)
    with pytest.raises(ValueError, match="rate must be"):
        Limit.per_minute(0)


async def test_settings_pick_redis_only_when_a_url_is_configured() -> None:
    assert isinstance(rate_limiter_from_settings(None), MemoryRateLimiter)
    assert isinstance(rate_limiter_from_settings(""), MemoryRateLimiter)
    shared = rate_limiter_from_settings("redis://127.0.0.1:6379/0")
    assert isinstance(shared, RedisRateLimiter)
    await shared.aclose()


def test_unavailable_store_has_a_stable_code() -> None:
    assert (RateLimiterUnavailable.code, RateLimiterUnavailable.status) == (
        "rate_limiter_unavailable",
        503,
    )

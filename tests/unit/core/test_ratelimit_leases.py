"""Leased tokens of a shared bucket: one call to the shared limiter per chunk, never more let
through than the shared bucket allows, exact for small budgets, and a lease outlives neither its
lifetime nor the shared bucket's refusals."""

from __future__ import annotations

from dataclasses import dataclass, field

from admit.core.ratelimit import Decision, Limit, MemoryRateLimiter
from admit.core.ratelimit_leases import LeasedTokens


@dataclass
class Clock:
    at: float = 0.0

    def __call__(self) -> float:
        return self.at


@dataclass
class Counting:
    """A shared limiter (process memory standing in for Redis) that counts its calls."""

    clock: Clock
    calls: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.inner = MemoryRateLimiter(now=self.clock)

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        self.calls.append(cost)
        return await self.inner.take(key, limit, cost)

    async def reset(self, key: str) -> None:
        await self.inner.reset(key)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_large_budget_costs_one_shared_call_per_chunk() -> None:
    clock = Clock()
    shared = Counting(clock)
    leased = LeasedTokens(shared, now=clock)
    budget = Limit.per_minute(1200)  # chunks of 60

    answers = [(await leased.take("edge:api:address:a", budget)).allowed for _ in range(120)]

    assert answers == [True] * 120
    assert shared.calls == [60, 60]


async def test_processes_together_never_pass_the_shared_budget() -> None:
    clock = Clock()
    shared = Counting(clock)
    processes = [LeasedTokens(shared, now=clock) for _ in range(3)]
    budget = Limit.per_minute(100)  # chunks of 5

    answers = [(await p.take("k", budget)).allowed for _ in range(60) for p in processes]
    allowed = answers.count(True)

    assert allowed == 100  # each process spends what it leased: nothing lost, nothing gained
    assert answers[-3:] == [False, False, False]  # and in the end all refuse


async def test_a_small_budget_is_spent_exactly() -> None:
    clock = Clock()
    shared = Counting(clock)
    leased = LeasedTokens(shared, now=clock)

    answers = [(await leased.take("k", Limit.per_minute(5))).allowed for _ in range(6)]

    assert answers == [True] * 5 + [False]
    assert shared.calls == [1] * 6


async def test_the_last_tokens_of_the_bucket_are_taken_one_at_a_time() -> None:
    clock = Clock()
    shared = Counting(clock)
    budget = Limit.per_minute(40)  # chunks of 2
    for _ in range(39):
        await shared.inner.take("k", budget)
    leased = LeasedTokens(shared, now=clock)

    assert (await leased.take("k", budget)).allowed  # a chunk of 2 is refused, 1 is not
    assert not (await leased.take("k", budget)).allowed
    assert shared.calls == [2, 1, 2, 1]


async def test_a_lease_older_than_its_lifetime_is_dropped() -> None:
    clock = Clock()
    shared = Counting(clock)
    leased = LeasedTokens(shared, now=clock, lifetime=10.0)
    budget = Limit.per_minute(1200)
    await leased.take("k", budget)
    clock.at = 11.0

    await leased.take("k", budget)

    assert shared.calls == [60, 60]

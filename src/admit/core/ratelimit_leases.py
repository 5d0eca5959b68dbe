"""Tokens of a shared rate limiter taken in chunks and spent in this process one at a time: a
request budget kept in Redis then costs one round trip per chunk instead of one per request.

The shared bucket stays the only authority: a chunk is spent there before any of its tokens is
spent here, so the processes together never let through more than the bucket allows. What a
lease costs is precision the other way: tokens leased and never used (an address that stops
asking, a lease older than ``lifetime``) are lost, so a budget shared by N processes may refuse
up to N chunks early. A chunk is ``burst // chunks_per_burst`` (at least 1: a small budget is
spent exactly, one token at a time)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from admit.core.ratelimit import Decision, Limit, RateLimiter


class LeasedTokens:
    """``take`` one token: from this process's lease of ``key`` when it holds one, else by
    leasing a chunk from ``shared`` (or, when the shared bucket holds less than a chunk, one
    token). ``shared``'s ``RateLimiterUnavailable`` goes to the caller."""

    def __init__(
        self,
        shared: RateLimiter,
        *,
        chunks_per_burst: int = 20,
        lifetime: float = 60.0,
        max_keys: int = 100_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._chunks = chunks_per_burst
        self._lifetime = lifetime
        self._max_keys = max_keys
        self._now = now
        self._leases: OrderedDict[str, tuple[int, float]] = OrderedDict()

    async def take(self, key: str, limit: Limit) -> Decision:
        at = self._now()
        left, leased_at = self._leases.pop(key, (0, at))
        if left > 0 and at - leased_at < self._lifetime:
            self._keep(key, left - 1, leased_at)
            return Decision(allowed=True, remaining=left - 1, retry_after=0.0)
        chunk = max(1, limit.burst // self._chunks)
        if chunk > 1:
            leased = await self._shared.take(key, limit, cost=chunk)
            if leased.allowed:
                self._keep(key, chunk - 1, at)
                return Decision(allowed=True, remaining=leased.remaining, retry_after=0.0)
        return await self._shared.take(key, limit)

    def _keep(self, key: str, left: int, leased_at: float) -> None:
        if left > 0:
            self._leases[key] = (left, leased_at)
            while len(self._leases) > self._max_keys:
                self._leases.popitem(last=False)

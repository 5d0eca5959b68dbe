"""Token-bucket rate limiting (API2, API6, FE2): the interface and the in-process implementation.
The Redis implementation shared by several app servers, and the choice between the two by
settings, are in :mod:`admit.core.ratelimit_redis`, which builds on this module (never the
other way round)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from admit.core.errors import AdmitError

# Refill maths in floating point can leave 0.9999999 tokens after waiting exactly retry_after;
# without this slack a caller that waited as told would be refused again.
TOKEN_EPSILON = 1e-9


class RateLimiterUnavailable(AdmitError):
    """The shared limiter's store cannot be reached; callers choose to fail open or closed."""

    code = "rate_limiter_unavailable"
    status = 503


@dataclass(frozen=True)
class Limit:
    """A token bucket: ``burst`` tokens at most, refilled at ``rate`` tokens per second."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"rate must be a finite number above 0, got {self.rate!r}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst!r}")

    @classmethod
    def per_second(cls, n: float, burst: int | None = None) -> Limit:
        """``n`` tokens a second; by default a full second's worth may be spent at once."""
        return cls(rate=n, burst=_default_burst(n) if burst is None else burst)

    @classmethod
    def per_minute(cls, n: float, burst: int | None = None) -> Limit:
        """``n`` tokens a minute; by default a full minute's worth may be spent at once."""
        return cls(rate=n / 60, burst=_default_burst(n) if burst is None else burst)

    def check_cost(self, cost: int) -> None:
        """Raise ``ValueError`` for a cost this bucket could never pay."""
        if cost < 1:
            raise ValueError(f"cost must be at least 1, got {cost!r}")
        if cost > self.burst:
            raise ValueError(f"cost {cost} exceeds burst {self.burst}: it would never be allowed")


def _default_burst(n: float) -> int:
    return max(1, math.ceil(n))


@dataclass(frozen=True)
class Decision:
    """The outcome of a take: ``retry_after`` is the wait in seconds until ``cost`` tokens exist."""

    allowed: bool
    remaining: int
    retry_after: float


class RateLimiter(Protocol):
    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        """Spend ``cost`` tokens from ``key``'s bucket if it holds them; a refusal spends none."""
        ...

    async def reset(self, key: str) -> None:
        """Forget ``key``'s bucket, so its next take finds it full."""
        ...

    async def aclose(self) -> None:
        """Release connections held by the limiter."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class MemoryRateLimiter:
    """Token buckets in this process's memory: for a single server, development and tests.

    Memory is bounded: at most ``max_keys`` buckets are kept and the least recently used is
    dropped first. A missing bucket counts as full, so dropping an idle bucket that has refilled
    loses nothing; size ``max_keys`` above the number of keys active within one refill period.
    ``take`` never awaits, so concurrent tasks on one event loop cannot interleave inside it.
    """

    def __init__(
        self, *, now: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, got {max_keys!r}")
        self._now = now
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        limit.check_cost(cost)
        at = self._now()
        bucket = self._buckets.get(key)
        if bucket is None:
            tokens = float(limit.burst)
        else:
            elapsed = max(0.0, at - bucket.stamp)
            tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.rate)
            self._buckets.move_to_end(key)
        if tokens + TOKEN_EPSILON < cost:
            return Decision(
                allowed=False,
                remaining=math.floor(tokens),
                retry_after=(cost - tokens) / limit.rate,
            )
        tokens = max(0.0, tokens - cost)
        if bucket is None:
            self._buckets[key] = _Bucket(tokens=tokens, stamp=at)
            self._evict()
        else:
            bucket.tokens, bucket.stamp = tokens, at
        return Decision(allowed=True, remaining=math.floor(tokens), retry_after=0.0)

    async def reset(self, key: str) -> None:
        self._buckets.pop(key, None)

    async def aclose(self) -> None:
        self._buckets.clear()

    def _evict(self) -> None:
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)

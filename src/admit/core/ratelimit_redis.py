"""Token buckets in Redis, updated atomically by one Lua script, shared by all app servers; and
the choice of limiter by settings (here because this module sits above
:mod:`admit.core.ratelimit`, which knows nothing of Redis)."""

from __future__ import annotations

import redis.asyncio
from redis.exceptions import RedisError

from admit.core.ratelimit import (
    TOKEN_EPSILON,
    Decision,
    Limit,
    MemoryRateLimiter,
    RateLimiter,
    RateLimiterUnavailable,
)
from admit.core.reachability import Reachability

KEY_PREFIX = "admit:rl:"
RETRY_AFTER_SECONDS = 2  # told to a caller refused because Redis is away

# Time comes from Redis TIME so every app server sees one clock; Redis 7 replicates script effects,
# so a non-deterministic call is allowed. Numbers are written with %.17g because Lua's default
# tostring keeps 14 digits, too few for microsecond timestamps. A refusal writes nothing: the
# stored state still yields the same refill later. The key expires once the bucket would be full
# again, since a missing bucket counts as full.
_TAKE_SCRIPT = """
local rate = tonumber(ARGV[1]) / 1000000
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = burst
if state[1] and state[2] then
  local elapsed = math.max(0, now - tonumber(state[2]))
  tokens = math.min(burst, tonumber(state[1]) + elapsed * rate)
end
if tokens + epsilon < cost then
  return {0, math.floor(tokens), math.ceil((cost - tokens) / rate)}
end
tokens = math.max(0, tokens - cost)
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'ts', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((burst - tokens) / rate / 1000)))
return {1, math.floor(tokens), 0}
"""


class RedisRateLimiter:
    """Token buckets under ``prefix`` in Redis; ``retry_after`` is rounded up to a microsecond.

    Redis failures raise :class:`RateLimiterUnavailable` (with a ``retry_after``), leaving
    fail-open or fail-closed to the caller; ``reachability`` logs once when Redis goes away and
    once when it is back. The script runs by EVALSHA and is loaded again if Redis answers
    NOSCRIPT.
    """

    def __init__(
        self, client: redis.asyncio.Redis, *, prefix: str = KEY_PREFIX, owns_client: bool = False
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._take_script = client.register_script(_TAKE_SCRIPT)
        self.reachability = Reachability("redis")

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = KEY_PREFIX,
        max_connections: int = 50,
        timeout: float = 1.0,
    ) -> RedisRateLimiter:
        """A limiter owning a new client for ``url``; it connects on first use.

        Requests beyond ``max_connections`` wait for a free connection rather than fail, and
        waiting, connecting or a command taking longer than ``timeout`` seconds is unavailability.
        """
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        return cls(redis.asyncio.Redis.from_pool(pool), prefix=prefix, owns_client=True)

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        limit.check_cost(cost)
        args = [limit.rate, limit.burst, cost, TOKEN_EPSILON]
        try:
            reply = await self._take_script(keys=[self._prefix + key], args=args)
        except RedisError as exc:
            raise self._unavailable(exc) from exc
        self.reachability.found()
        allowed, remaining, retry_after_us = (int(value) for value in reply)
        return Decision(
            allowed=allowed == 1, remaining=remaining, retry_after=retry_after_us / 1_000_000
        )

    async def reset(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except RedisError as exc:
            raise self._unavailable(exc) from exc
        self.reachability.found()

    async def ping(self) -> bool:
        """Whether Redis answers (readiness and ``/metrics``)."""
        try:
            await self._client.ping()
        except RedisError as exc:
            self.reachability.lost(exc)
            return False
        self.reachability.found()
        return True

    def _unavailable(self, exc: RedisError) -> RateLimiterUnavailable:
        self.reachability.lost(exc)
        return RateLimiterUnavailable(
            "rate limiter store unavailable", details={"retry_after": RETRY_AFTER_SECONDS}
        )

    async def aclose(self) -> None:
        """Close the client if this limiter created it; a caller's client stays open."""
        if self._owns_client:
            await self._client.aclose()


def rate_limiter_from_settings(redis_url: str | None) -> RateLimiter:
    """Redis when a URL is configured (servers share buckets), process memory otherwise."""
    if not redis_url:
        return MemoryRateLimiter()
    return RedisRateLimiter.from_url(redis_url)

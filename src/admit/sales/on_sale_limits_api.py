"""The on-sale's abuse limits at the HTTP edge (S5, SEC1), in one place for the API and the
pages: seat holds per address and per device (waiting-room joins: ``waiting.join_limits_api``).
Token buckets in the runtime's ``RateLimiter`` (shared through Redis when ``ADMIT_REDIS_URL``
is set); a refusal is ``429 rate_limited`` with ``Retry-After``. Limits are the
``ADMIT_LIMIT_*`` settings.

A device is what the caller names: the ``X-Device-Id`` header (the apps), the website's device
cookie (``admit.web``). Naming none spares no limit: the address's buckets apply to every
caller."""

from __future__ import annotations

from admit.core.ratelimit import Limit
from admit.core.runtime import Runtime
from admit.http.throttle import throttle_caller


async def limit_holds(rt: Runtime, *, address: str, device: str | None) -> None:
    """Spend one hold from the address's and the device's buckets. Raises ``RateLimited``."""
    settings = rt.settings
    await throttle_caller(
        rt,
        rule="holds",
        address=address,
        device=device,
        per_address=Limit.per_minute(settings.limit_holds_per_address_minute),
        per_device=Limit.per_minute(settings.limit_holds_per_device_minute),
        message="too many holds from {source}: wait a moment and try again",
    )

"""Waiting-room joins per address at the HTTP edge (S5, SEC1), for the API and the pages: a
token bucket in the runtime's ``RateLimiter`` (``ADMIT_LIMIT_WAITING_JOINS_PER_ADDRESS_MINUTE``);
a refusal is ``429 rate_limited`` with ``Retry-After``. The sale's own limits (holds per
address and device) are ``sales.on_sale_limits_api``."""

from __future__ import annotations

from admit.core.ratelimit import Limit
from admit.core.runtime import Runtime
from admit.http.addresses import is_exempt
from admit.http.throttle import throttle


async def limit_joins(rt: Runtime, *, address: str) -> None:
    """Spend one waiting-room join from the address's bucket (none from an exempt network).
    Raises ``RateLimited``."""
    if is_exempt(address, rt.settings.limit_exempt_networks):
        return
    await throttle(
        rt,
        rule="queue_joins:address",
        key=address,
        limit=Limit.per_minute(rt.settings.limit_waiting_joins_per_address_minute),
        message="too many waiting-room joins from this address: wait a moment and try again",
    )

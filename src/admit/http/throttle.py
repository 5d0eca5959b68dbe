"""Abuse limits at the edge (SEC1, NF1, S5): token buckets per address, device, phone number or
account for the routes bots aim at — registration, one-time codes, holds, the waiting room.

Buckets live in the runtime's ``RateLimiter``: process memory for one server, Redis (shared by
every server) when ``ADMIT_REDIS_URL`` is set. A refusal is ``429 rate_limited`` with
``Retry-After``. The limits are settings (``ADMIT_LIMIT_*``), documented in
``docs/operations.md``."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Header

from admit.core.errors import AdmitError
from admit.core.ratelimit import Limit, RateLimiter
from admit.core.runtime import Runtime
from admit.http.addresses import is_exempt

DeviceHeader = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        max_length=200,
        description="this app installation's own id: its code requests, registrations, holds "
        "and queue entry are limited by it (the website uses its admit_device cookie)",
    ),
]


class RateLimited(AdmitError):
    code = "rate_limited"
    status = 429


async def throttle(rt: Runtime, *, rule: str, key: str, limit: Limit, message: str) -> None:
    """Spend one token of ``rule``'s bucket for ``key``; raise ``RateLimited`` when empty."""
    limiter = rt.adapter(RateLimiter)  # type: ignore[type-abstract]
    decision = await limiter.take(f"{rule}:{key}", limit)
    if not decision.allowed:
        raise RateLimited(
            message, details={"rule": rule, "retry_after": max(1, math.ceil(decision.retry_after))}
        )


def per(seconds: int, n: int) -> Limit:
    """``n`` tokens in ``seconds``, all of which may be spent at once."""
    return Limit(rate=n / seconds, burst=max(1, n))


def device_key(rt: Runtime, device: str) -> str:
    """A device's bucket key: a keyed hash of the id it names (no raw id in the limiter), the
    same for every limit, so a device is one device for codes, registrations and holds."""
    return rt.crypto.lookup("limit-device", device)[:32]


async def throttle_caller(
    rt: Runtime,
    *,
    rule: str,
    address: str,
    device: str | None,
    per_address: Limit,
    per_device: Limit,
    message: str,
) -> None:
    """Spend one token from the address's bucket (``rule:address``), then — when the caller
    names a device — from the device's (``rule:device``). ``message`` has a ``{source}``
    placeholder ("this address", "this device"). A caller from an exempt network
    (``ADMIT_LIMIT_EXEMPT_NETWORKS``) spends neither. Raises ``RateLimited``."""
    if is_exempt(address, rt.settings.limit_exempt_networks):
        return
    await throttle(
        rt,
        rule=f"{rule}:address",
        key=address,
        limit=per_address,
        message=message.format(source="this address"),
    )
    if device:
        await throttle(
            rt,
            rule=f"{rule}:device",
            key=device_key(rt, device),
            limit=per_device,
            message=message.format(source="this device"),
        )

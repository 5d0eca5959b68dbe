"""Abuse limits on opening accounts and sending codes, at the HTTP edge (SEC1, NF1): the API
and the pages apply the same ones. Token buckets in the runtime's ``RateLimiter`` (shared
through Redis when ``ADMIT_REDIS_URL`` is set); a refusal is ``429 rate_limited`` with
``Retry-After``. The limits are ``ADMIT_LIMIT_*`` settings:

- code requests per address and per device an hour, codes to one phone number or email a day
  (kept under a keyed hash of it: no number in the limiter's keys), and a global budget of
  codes a minute — its exhaustion is logged as a warning (``code_budget_exhausted``) and
  counted (``admit_code_budget_exhausted_total`` on ``/metrics``);
- registration attempts per address and per device an hour (a wrong code also counts towards
  the address lockout of sign-in).

A device is what the caller names: the ``X-Device-Id`` header (the apps) or the website's
``admit_device`` cookie (``admit.web.auth``); naming none spares no limit, the address's
buckets apply to every caller. Every bucket is spent the same whether or not the login has
an account."""

from __future__ import annotations

import structlog
from prometheus_client import Counter

from admit.accounts.codes import normalise_login, target_key
from admit.core.errors import InvalidInput
from admit.core.ratelimit import Limit
from admit.core.runtime import Runtime
from admit.http.throttle import RateLimited, per, throttle, throttle_caller

log = structlog.get_logger(__name__)
BUDGET_EXHAUSTED = Counter(
    "admit_code_budget_exhausted_total",
    "Code requests refused because the platform's budget of codes a minute was spent.",
)
HOUR, DAY = 3600, 86400


async def limit_code_request(rt: Runtime, *, address: str, device: str | None, login: str) -> None:
    """Spend one code from the address's, the device's, the login's (a day) and the
    platform's buckets, in that order. Raises ``RateLimited``."""
    settings = rt.settings
    await throttle_caller(
        rt,
        rule="codes",
        address=address,
        device=device,
        per_address=per(HOUR, settings.limit_codes_per_address_hour),
        per_device=per(HOUR, settings.limit_codes_per_device_hour),
        message="too many codes asked for from {source}: try again later",
    )
    try:
        _, target = normalise_login(login)
    except InvalidInput:
        return  # the service refuses it, and sends nothing
    await throttle(
        rt,
        rule="codes:login",
        key=target_key(rt.crypto, target)[:32],
        limit=per(DAY, settings.limit_codes_per_number_day),
        message="too many codes for this phone or email today: try again tomorrow",
    )
    try:
        await throttle(
            rt,
            rule="codes:global",
            key="all",
            limit=Limit.per_minute(settings.limit_codes_global_per_minute),
            message="codes cannot be sent right now: try again in a minute",
        )
    except RateLimited:
        BUDGET_EXHAUSTED.inc()
        log.warning("code_budget_exhausted", per_minute=settings.limit_codes_global_per_minute)
        raise


async def limit_registration(rt: Runtime, *, address: str, device: str | None) -> None:
    """Spend one registration attempt from the address's and the device's buckets. Raises
    ``RateLimited``."""
    settings = rt.settings
    await throttle_caller(
        rt,
        rule="registrations",
        address=address,
        device=device,
        per_address=per(HOUR, settings.limit_registrations_per_address_hour),
        per_device=per(HOUR, settings.limit_registrations_per_device_hour),
        message="too many registrations from {source}: try again later",
    )

"""Per-channel rate budgets (API2, FE2): every call of a channel's systems spends a token of
the channel's call bucket, and every order submitted one of its order bucket — whichever key
the call came with, so that one channel's systems together cannot take more than their
share, and a rush of orders through one channel is throttled without touching the others.
A refusal is ``429 channel_rate_limited`` (or ``channel_orders_throttled``) with
``Retry-After``. The buckets are the runtime's ``RateLimiter`` (shared by every server with
Redis); the budget of each channel is a row of ``ChannelBudget`` set by an administrator."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.channels.booking_models import ChannelBudget
from admit.core import audit
from admit.core.audit_context import SYSTEM
from admit.core.errors import AdmitError
from admit.core.ratelimit import Limit, RateLimiter
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.sales.windows import get_channel

# A channel with no budget of its own: generous enough for a kiosk network, still a ceiling.
DEFAULT_CALLS_PER_MINUTE = 3_000
DEFAULT_BURST = 300
DEFAULT_ORDERS_PER_MINUTE = 600


class ChannelRateLimited(AdmitError):
    code = "channel_rate_limited"
    status = 429


class ChannelOrdersThrottled(ChannelRateLimited):
    code = "channel_orders_throttled"


@dataclass(frozen=True, slots=True)
class Budget:
    channel: str
    calls_per_minute: int
    burst: int
    orders_per_minute: int
    configured: bool  # False: the defaults


def _budget(channel: str, row: ChannelBudget | None) -> Budget:
    if row is None:
        return Budget(
            channel, DEFAULT_CALLS_PER_MINUTE, DEFAULT_BURST, DEFAULT_ORDERS_PER_MINUTE, False
        )
    return Budget(channel, row.calls_per_minute, row.burst, row.orders_per_minute, True)


async def budget_of(uow: UnitOfWork, channel: str) -> Budget:
    """Raises ``NotFound`` for an unknown channel."""
    await get_channel(uow, channel)
    return _budget(channel, await uow.session.get(ChannelBudget, channel))


async def set_budget(
    uow: UnitOfWork,
    *,
    channel: str,
    calls_per_minute: int,
    burst: int,
    orders_per_minute: int,
    now: datetime,
) -> Budget:
    """Set the channel's budget (audited). Raises ``NotFound`` for an unknown channel."""
    await get_channel(uow, channel)
    row = await uow.session.get(ChannelBudget, channel)
    values = {
        "calls_per_minute": calls_per_minute,
        "burst": burst,
        "orders_per_minute": orders_per_minute,
    }
    if row is None:
        row = ChannelBudget(channel=channel, updated_at=now, **values)
        uow.session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
    await uow.session.flush()
    await audit.record(
        uow,
        action="channel.budget_set",
        entity_type="sales_channel",
        entity_id=channel,
        data=values,
        now=now,
    )
    return _budget(channel, row)


async def _spend(rt: Runtime, bucket: str, limit: Limit, error: type[ChannelRateLimited]) -> None:
    limiter = rt.adapter(RateLimiter)  # type: ignore[type-abstract]
    decision = await limiter.take(bucket, limit)
    if not decision.allowed:
        raise error(
            "this channel's systems are over their rate budget: try again later",
            details={"retry_after": max(1, math.ceil(decision.retry_after))},
        )


async def _read_budget(rt: Runtime, channel: str) -> Budget:
    async with rt.uow(SYSTEM, readonly=True) as uow:
        rows = await uow.session.scalars(
            select(ChannelBudget).where(ChannelBudget.channel == channel)
        )
        return _budget(channel, rows.first())


async def spend_call(rt: Runtime, channel: str) -> None:
    """One call of the channel's systems. Raises ``ChannelRateLimited``."""
    budget = await _read_budget(rt, channel)
    limit = Limit.per_minute(budget.calls_per_minute, budget.burst)
    await _spend(rt, f"channel-calls:{channel}", limit, ChannelRateLimited)


async def spend_order(rt: Runtime, channel: str) -> None:
    """One order submitted through the channel. Raises ``ChannelOrdersThrottled``."""
    budget = await _read_budget(rt, channel)
    limit = Limit.per_minute(budget.orders_per_minute, max(1, budget.orders_per_minute // 10))
    await _spend(rt, f"channel-orders:{channel}", limit, ChannelOrdersThrottled)

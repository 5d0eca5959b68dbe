"""Per-channel rate budgets (API2, FE2): a channel's systems share one call budget whichever
key they use, and one order budget — past either they get 429 with ``Retry-After`` and a code
of their own, nothing held; another channel is untouched. Budgets are set by sales
configurers only. The limiter runs on a frozen clock, so nothing depends on the test's pace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.core.permissions import Role
from admit.core.ratelimit import MemoryRateLimiter, RateLimiter
from admit.core.runtime import Runtime
from tests.integration.accounts.people_factories import error, ok, plain_client
from tests.integration.channels.channel_world import (
    ADMIN,
    CHANNEL,
    add_outlet,
    bound_key,
    channel_sale,
    counter_staff,
    open_window,
)
from tests.integration.sales.sale_factories import ROW_A, ROW_B

pytestmark = pytest.mark.backends


class FrozenMonotonic:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    runtime.register(RateLimiter, MemoryRateLimiter(now=FrozenMonotonic()))  # type: ignore[type-abstract]
    async with plain_client(runtime) as c:
        yield c


async def test_a_channel_budget_is_shared_by_its_keys_and_refused_with_429(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    world = await channel_sale(admin, clock)
    sid = world.session_id
    await add_outlet(admin, "box_office", "BO-7")
    await open_window(admin, sid, "box_office")
    second = await bound_key(admin, name="AG-1 backup", channel="agent", outlet="AG-1")
    kiosk = await bound_key(admin, name="Kiosk", channel="box_office", outlet="BO-7")
    defaults = ok(await admin.get(f"{ADMIN}/channels/agent/budget"))
    assert defaults["configured"] is False
    budget = {"calls_per_minute": 3, "burst": 3, "orders_per_minute": 60}
    set_ = ok(await admin.put(f"{ADMIN}/channels/agent/budget", json=budget))
    assert set_ == {**budget, "channel": "agent", "configured": True}

    for headers in (world.key.headers, second.headers, world.key.headers):
        ok(await http.get(f"{CHANNEL}/sessions/{sid}/remaining", headers=headers))
    refused = await http.get(f"{CHANNEL}/sessions/{sid}/remaining", headers=second.headers)
    body = error(refused, 429, "channel_rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert body["details"]["retry_after"] >= 1
    # The other channel's systems are not held back.
    for _ in range(4):
        ok(await http.get(f"{CHANNEL}/sessions/{sid}/remaining", headers=kiosk.headers))

    clerk = await counter_staff(runtime, Role.KIOSK_STAFF, "BO-7", "kiosk7")
    error(
        await http.put(f"{ADMIN}/channels/agent/budget", json=budget, headers=clerk),
        403,
        "forbidden",
    )
    error(await admin.get(f"{ADMIN}/channels/nope/budget"), 404, "not_found")


async def test_too_many_orders_through_a_channel_are_throttled(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    world = await channel_sale(admin, clock)
    key, sid = world.key.headers, world.session_id
    ok(
        await admin.put(
            f"{ADMIN}/channels/agent/budget",
            json={"calls_per_minute": 600, "burst": 100, "orders_per_minute": 1},
        )
    )
    ok(
        await http.post(
            f"{CHANNEL}/orders",
            headers={**key, "Idempotency-Key": "rush-order-1"},
            json={"session_id": sid, "seats": ROW_A[:1]},
        ),
        201,
    )
    throttled = await http.post(
        f"{CHANNEL}/orders",
        headers={**key, "Idempotency-Key": "rush-order-2"},
        json={"session_id": sid, "seats": ROW_B[:1]},
    )
    error(throttled, 429, "channel_orders_throttled")
    assert int(throttled.headers["Retry-After"]) >= 1
    left = ok(await http.get(f"{CHANNEL}/sessions/{sid}/remaining", headers=key))
    assert left["levels"][0]["held"] == 1  # the throttled order held nothing

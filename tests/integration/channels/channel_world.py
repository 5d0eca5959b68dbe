"""A session sold through a channel with a bound key, and counter staff of any role: what the
channel tests build on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from admit.accounts import staff
from admit.core.clock import FixedClock
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR
from tests.integration.accounts.people_factories import IssuedKey, make_api_client, ok
from tests.integration.sales.sale_factories import on_sale

ADMIN = "/api/v1/admin"
CHANNEL = "/api/v1/channel"
ALL_SCOPES = ("catalog.read", "availability.read", "orders.write", "orders.read")


@dataclass(frozen=True)
class World:
    session_id: int
    outlet_id: int
    key: IssuedKey


async def add_outlet(admin: httpx.AsyncClient, channel: str, code: str) -> int:
    body = ok(
        await admin.post(
            f"{ADMIN}/outlets", json={"channel": channel, "code": code, "name": f"{code} desk"}
        ),
        201,
    )
    return int(body["id"])


async def open_window(
    admin: httpx.AsyncClient, sid: int, channel: str, *, quota_a: int = 5, real_name: bool = False
) -> None:
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{sid}/sales-windows",
            json={
                "channel": channel,
                "starts_at": T0.isoformat(),
                "ends_at": (T0 + timedelta(days=5)).isoformat(),
                "per_person_limit": 10,
                "real_name_required": real_name,
                "quotas": [{"level": "A", "quota": quota_a}],
            },
        ),
        201,
    )


async def bound_key(
    admin: httpx.AsyncClient,
    *,
    name: str,
    channel: str,
    outlet: str | None,
    scopes: tuple[str, ...] = ALL_SCOPES,
    rate_per_minute: int = 600,
    burst: int = 100,
) -> IssuedKey:
    key = await make_api_client(
        admin, name=name, scopes=scopes, rate_per_minute=rate_per_minute, burst=burst
    )
    bound = ok(
        await admin.put(
            f"{ADMIN}/api-clients/{key.id}/channel", json={"channel": channel, "outlet": outlet}
        )
    )
    assert (bound["channel"], bound["outlet"]) == (channel, outlet)
    return key


async def channel_sale(
    admin: httpx.AsyncClient,
    clock: FixedClock,
    *,
    channel: str = "agent",
    outlet: str = "AG-1",
    real_name: bool = False,
    quota_a: int = 5,
) -> World:
    """A session on sale (level A rows A–B) through ``channel`` at ``outlet``, with a key of
    every booking scope bound to both."""
    sid = await on_sale(admin, clock, real_name=real_name)
    outlet_id = await add_outlet(admin, channel, outlet)
    await open_window(admin, sid, channel, quota_a=quota_a, real_name=real_name)
    key = await bound_key(admin, name=f"{outlet} system", channel=channel, outlet=outlet)
    return World(sid, outlet_id, key)


async def counter_staff(runtime: Runtime, role: Role, outlet: str, username: str) -> dict[str, str]:
    """A clerk of ``role`` whose grant is scoped to ``outlet``: their Authorization header."""
    async with runtime.uow(TEST_ACTOR) as uow:
        clerk = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(
                username=username,
                password=ROOT_PASSWORD,
                grants=[Grant(role, ScopeKind.OUTLET, outlet)],
            ),
            now=runtime.clock.now(),
        )
        token = await staff.issue_token(
            uow, staff_id=clerk.id, now=runtime.clock.now(), lifetime=timedelta(hours=8)
        )
    return {"Authorization": f"Bearer {token.token}"}


async def set_outlet_enabled(admin: httpx.AsyncClient, outlet_id: int, enabled: bool) -> None:
    ok(await admin.put(f"{ADMIN}/outlets/{outlet_id}/enabled", json={"enabled": enabled}))

"""What each server process caches (sale configuration, device tokens) follows a change made
in another process within the cache's seconds, and one made in the same process at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.integration.sales.sale_factories import (
    ADMIN,
    ROW_A,
    ROW_B,
    customers_with_tokens,
    on_sale,
)

from admit.app import create_app
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

SECONDS = 0.3


@pytest.fixture
async def other(runtime: Runtime, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    """A second server process on the same database, with caches of its own."""
    settings = runtime.settings.model_copy(
        update={"sale_config_cache_seconds": SECONDS, "token_cache_seconds": SECONDS}
    )
    rt = Runtime.from_settings(settings, clock=clock)
    transport = httpx.ASGITransport(app=create_app(rt, run_worker=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://other.test") as c:
        yield c
    await rt.close()


def _code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"]) if response.status_code >= 400 else ""


async def test_a_window_switched_off_stops_holds_here_at_once_and_elsewhere_within_seconds(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    other: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob, cat, dan = await customers_with_tokens(runtime, 4)
    path = f"/api/v1/sessions/{sid}/holds"
    for server, buyer, seat in ((client, ann, ROW_A[0]), (other, bob, ROW_A[1])):
        r = await server.post(path, headers=buyer, json={"seats": [seat]})  # each caches it
        assert r.status_code == 201, r.text
    window = (await admin.get(f"{ADMIN}/sessions/{sid}/sales-windows")).json()[0]

    r = await admin.patch(f"{ADMIN}/sales-windows/{window['id']}", json={"enabled": False})
    assert r.status_code == 200, r.text

    r = await client.post(path, headers=cat, json={"seats": ROW_A[2:3]})
    assert (r.status_code, _code(r)) == (409, "not_on_sale")
    await asyncio.sleep(SECONDS + 0.1)
    r = await other.post(path, headers=dan, json={"seats": ROW_B[:1]})
    assert (r.status_code, _code(r)) == (409, "not_on_sale")


async def test_a_signed_out_device_is_refused_here_at_once_and_elsewhere_within_seconds(
    client: httpx.AsyncClient, other: httpx.AsyncClient, runtime: Runtime
) -> None:
    (ann,) = await customers_with_tokens(runtime, 1)
    assert (await other.get("/api/v1/me", headers=ann)).status_code == 200  # cached there
    assert (await client.get("/api/v1/me", headers=ann)).status_code == 200  # and here

    r = await client.post("/api/v1/auth/logout", headers=ann)
    assert r.status_code == 204, r.text

    assert (await client.get("/api/v1/me", headers=ann)).status_code == 401
    await asyncio.sleep(SECONDS + 0.1)
    assert (await other.get("/api/v1/me", headers=ann)).status_code == 401


async def test_a_waiting_room_switched_on_guards_the_seat_page_here_at_once_and_elsewhere(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    other: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    sid = await on_sale(admin, clock)
    page = f"/sessions/{sid}"
    for server in (client, other):  # each process caches "no waiting room"
        assert (await server.get(page)).status_code == 200

    r = await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": clock.now().isoformat(), "rate_per_minute": 60, "admission_minutes": 20},
    )
    assert r.status_code == 200, r.text

    r = await client.get(page)
    assert (r.status_code, r.headers.get("location")) == (303, f"/queue/{sid}")
    await asyncio.sleep(SECONDS + 0.1)
    r = await other.get(page)
    assert (r.status_code, r.headers.get("location")) == (303, f"/queue/{sid}")

"""What each server process caches (sale configuration, device tokens) follows a change made
in another process within the cache's seconds, and one made in the same process at once. The
other process keeps serving what it cached until then: its caches run on a monotonic clock that
moves only when the test says, so nothing depends on how fast the test runs."""

from __future__ import annotations

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
from admit.core import short_cache
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

SECONDS = 5.0  # how long the other process keeps what it cached
JUST_BEFORE = SECONDS - 0.25  # (binary fractions: the sums are exact)


class Ticks:
    """``time`` for the caches of both processes: a monotonic clock that moves only when the
    test says, so what this process stops serving at once was cleared, never lapsed."""

    def __init__(self) -> None:
        self.at = 1000.0

    def monotonic(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> Ticks:
    frozen = Ticks()
    monkeypatch.setattr(short_cache, "time", frozen)
    return frozen


@pytest.fixture
async def other(
    runtime: Runtime, clock: FixedClock, ticks: Ticks
) -> AsyncIterator[httpx.AsyncClient]:
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
    ticks: Ticks,
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob, cat, dan, eve = await customers_with_tokens(runtime, 5)
    path = f"/api/v1/sessions/{sid}/holds"
    for server, buyer, seat in ((client, ann, ROW_A[0]), (other, bob, ROW_A[1])):
        r = await server.post(path, headers=buyer, json={"seats": [seat]})  # each caches it
        assert r.status_code == 201, r.text
    window = (await admin.get(f"{ADMIN}/sessions/{sid}/sales-windows")).json()[0]

    r = await admin.patch(f"{ADMIN}/sales-windows/{window['id']}", json={"enabled": False})
    assert r.status_code == 200, r.text

    r = await client.post(path, headers=cat, json={"seats": ROW_A[2:3]})
    assert (r.status_code, _code(r)) == (409, "not_on_sale")
    ticks.advance(JUST_BEFORE)
    r = await other.post(path, headers=dan, json={"seats": ROW_B[:1]})
    assert r.status_code == 201, r.text  # still the window it cached
    ticks.advance(SECONDS - JUST_BEFORE)
    r = await other.post(path, headers=eve, json={"seats": ROW_B[1:2]})
    assert (r.status_code, _code(r)) == (409, "not_on_sale")


async def test_a_signed_out_device_is_refused_here_at_once_and_elsewhere_within_seconds(
    client: httpx.AsyncClient, other: httpx.AsyncClient, runtime: Runtime, ticks: Ticks
) -> None:
    (ann,) = await customers_with_tokens(runtime, 1)
    assert (await other.get("/api/v1/me", headers=ann)).status_code == 200  # cached there
    assert (await client.get("/api/v1/me", headers=ann)).status_code == 200  # and here

    r = await client.post("/api/v1/auth/logout", headers=ann)
    assert r.status_code == 204, r.text

    assert (await client.get("/api/v1/me", headers=ann)).status_code == 401
    ticks.advance(JUST_BEFORE)
    assert (await other.get("/api/v1/me", headers=ann)).status_code == 200  # still trusted there
    ticks.advance(SECONDS - JUST_BEFORE)
    assert (await other.get("/api/v1/me", headers=ann)).status_code == 401


async def test_a_waiting_room_switched_on_guards_the_seat_page_here_at_once_and_elsewhere(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    other: httpx.AsyncClient,
    clock: FixedClock,
    ticks: Ticks,
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
    ticks.advance(JUST_BEFORE)
    assert (await other.get(page)).status_code == 200  # still "no waiting room" there
    ticks.advance(SECONDS - JUST_BEFORE)
    r = await other.get(page)
    assert (r.status_code, r.headers.get("location")) == (303, f"/queue/{sid}")

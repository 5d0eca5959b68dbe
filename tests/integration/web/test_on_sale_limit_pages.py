"""The seat map's "Continue" and the queue page keep the API's on-sale limits: holds per address
and per browser, joins per address, and new accounts' wait, each an error page with
``Retry-After`` and nothing held."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from admit.core.clock import FixedClock
from admit.core.ratelimit import MemoryRateLimiter, RateLimiter
from admit.core.runtime import Runtime
from tests.integration.sales.sale_factories import ADMIN, ROW_A, on_sale, states
from tests.integration.web.checkout_flows import browser, counts, hold, signed_in_buyer

pytestmark = pytest.mark.backends


@pytest.fixture(autouse=True)
def _still_buckets(runtime: Runtime) -> None:
    """Buckets whose clock stands still: nothing refills while the test runs, however slowly."""
    runtime.register(RateLimiter, MemoryRateLimiter(now=lambda: 1000.0))  # type: ignore[type-abstract]


def _form(sid: int, seat: str) -> dict[str, object]:
    return {"session_id": str(sid), "seat": [seat]}


async def test_holds_from_one_address_stop_at_the_limit_with_a_page(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    runtime.settings.limit_holds_per_address_minute = 2
    sid = await on_sale(admin, clock)
    async with browser(app) as web:
        await signed_in_buyer(runtime, web, "13700000301")
        await hold(web, sid, ROW_A[:1])
        await hold(web, sid, ROW_A[1:2])
        before = await states(admin, sid)
        refused = await web.post("/checkout/hold", data=_form(sid, ROW_A[2]))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert "Too many tries" in refused.text
    assert await states(admin, sid) == before
    assert await counts(runtime) == (2, 0)


async def test_a_browser_is_limited_by_its_device_cookie(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    runtime.settings.limit_holds_per_device_minute = 1
    sid = await on_sale(admin, clock)
    async with browser(app) as web:
        await signed_in_buyer(runtime, web, "13700000302")
        web.cookies.set("admit_device", "a-browser-of-many-accounts-01")
        await hold(web, sid, ROW_A[:1])
        refused = await web.post("/checkout/hold", data=_form(sid, ROW_A[1]))
        assert refused.status_code == 429
        web.cookies.set("admit_device", "another-browser-000000000001")
        await hold(web, sid, ROW_A[1:2])
    assert await counts(runtime) == (2, 0)


async def test_a_new_account_sees_when_it_may_hold(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    runtime.settings.new_account_hold_delay_seconds = 300
    sid = await on_sale(admin, clock)
    before = await states(admin, sid)
    async with browser(app) as web:
        await signed_in_buyer(runtime, web, "13700000303")
        refused = await web.post("/checkout/hold", data=_form(sid, ROW_A[0]))
        assert refused.status_code == 403
        assert refused.headers["Retry-After"] == "300"
        assert "Your account is brand new" in refused.text
        assert await states(admin, sid) == before
        clock.advance(timedelta(minutes=5))
        await hold(web, sid, ROW_A[:1])
    assert await counts(runtime) == (1, 0)


async def test_joins_from_one_address_stop_at_the_limit_with_a_page(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    runtime.settings.limit_waiting_joins_per_address_minute = 2
    sid = await on_sale(admin, clock)
    room = await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": (clock.now() + timedelta(minutes=5)).isoformat(), "rate_per_minute": 6},
    )
    assert room.status_code == 200
    async with browser(app) as web:
        await signed_in_buyer(runtime, web, "13700000304")
        assert (await web.post(f"/queue/{sid}")).status_code == 303
        assert (await web.post(f"/queue/{sid}")).status_code == 303
        refused = await web.post(f"/queue/{sid}")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"

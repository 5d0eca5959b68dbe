"""The waiting room's page: a visitor signs in to join, a customer joins once, sees the place
drawn at the opening and leaves with the admission cookie that the hold then accepts; another
account in the same browser cannot take a second place."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.requests import Request

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.waiting.models import QueueEntry
from admit.web.auth import DEVICE_COOKIE
from admit.web.queue import needs_queue, pass_cookie, queue_cookie
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import ADMIN, ROW_A, customers_with_ids, on_sale
from tests.integration.web.checkout_flows import browser, hold, signed_in_buyer

pytestmark = pytest.mark.backends
SITE = {"Origin": "http://admit.test"}


async def _entries(runtime: Runtime, sid: int) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        found = await uow.session.scalar(
            select(func.count()).select_from(QueueEntry).where(QueueEntry.session_id == sid)
        )
    return int(found or 0)


async def test_the_queue_page_takes_a_buyer_from_joining_to_the_seats(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    opens = clock.now() + timedelta(minutes=5)
    answer = await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": opens.isoformat(), "rate_per_minute": 60},
    )
    assert answer.status_code == 200
    async with browser(app) as web:
        seats_page = await web.get(f"/sessions/{sid}")
        assert (seats_page.status_code, seats_page.headers["location"]) == (303, f"/queue/{sid}")
        first = await web.get(f"/queue/{sid}")
        assert first.status_code == 200
        assert "Sign in to join the queue" in first.text
        assert "Join the queue</button>" not in first.text
        anonymous = await web.post(f"/queue/{sid}")
        assert (anonymous.status_code, anonymous.headers["location"]) == (
            303,
            f"/login?next=%2Fqueue%2F{sid}",
        )
        assert queue_cookie(sid) not in web.cookies
        assert await _entries(runtime, sid) == 0, "no account, no entry"

        await signed_in_buyer(runtime, web, "13700000201")
        assert "Join the queue</button>" in (await web.get(f"/queue/{sid}")).text
        refused = await web.post(f"/queue/{sid}", headers={"Origin": "http://evil.test"})
        assert refused.status_code == 403
        assert queue_cookie(sid) not in web.cookies

        joined = await web.post(f"/queue/{sid}")
        assert (joined.status_code, joined.headers["location"]) == (303, f"/queue/{sid}")
        token = web.cookies[queue_cookie(sid)]
        again = await web.post(f"/queue/{sid}")
        assert again.status_code == 303
        assert web.cookies[queue_cookie(sid)] == token, "joining again finds the same entry"
        assert await _entries(runtime, sid) == 1
        waiting = await web.get(f"/queue/{sid}")
        assert "Places are drawn when the sale opens" in waiting.text
        assert 'http-equiv="refresh"' in waiting.text

        clock.advance(timedelta(minutes=5))
        let_in = await web.get(f"/queue/{sid}")
        assert (let_in.status_code, let_in.headers["location"]) == (303, f"/sessions/{sid}")
        assert web.cookies[pass_cookie(sid)]
        assert (await web.get(f"/sessions/{sid}")).status_code == 200, "now the seats"
        hold_id = await hold(web, sid, ROW_A[:1])
        assert (await web.get(f"/checkout/{hold_id}")).status_code == 200


async def test_another_account_in_the_same_browser_gets_no_second_place(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": (clock.now() + timedelta(minutes=5)).isoformat(), "rate_per_minute": 6},
    )
    async with browser(app) as web:
        await signed_in_buyer(runtime, web, "13700000202")
        assert (await web.post(f"/queue/{sid}")).status_code == 303
        device = web.cookies[DEVICE_COOKIE]
        await web.post("/logout")
        await signed_in_buyer(runtime, web, "13700000203")
        second = await web.post(f"/queue/{sid}")
        assert second.status_code == 409
        assert "Already in the queue" in second.text
        assert web.cookies[DEVICE_COOKIE] == device
        stale = await web.get(f"/queue/{sid}")
        assert "queue-place" not in stale.text, "the first account's queue cookie shows nothing"
    assert await _entries(runtime, sid) == 1


async def test_later_arrivals_see_their_place_and_wait(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": clock.now().isoformat(), "rate_per_minute": 6},
    )
    for _, auth in await customers_with_ids(runtime, 3):
        assert (await admin.post(f"/api/v1/sessions/{sid}/queue", headers=auth)).status_code == 201
    async with browser(app) as web:
        await signed_in_buyer(runtime, web, "13700000204")
        await web.post(f"/queue/{sid}", headers=SITE)
        page = await web.get(f"/queue/{sid}")
    assert '<strong id="queue-place">4</strong>' in page.text
    assert '<strong id="queue-ahead">2</strong>' in page.text
    assert '<strong id="queue-wait">30 s</strong>' in page.text

    scope = {"type": "http", "headers": [], "path": f"/sessions/{sid}", "query_string": b""}
    assert await needs_queue(Request(scope), runtime, sid) is True, "no admission yet"
    assert await needs_queue(Request(scope), runtime, sid + 1) is False, "no waiting room"

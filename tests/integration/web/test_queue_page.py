"""The waiting room's page: join, see the place drawn at the opening, and leave with the
admission cookie that the hold then accepts."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from starlette.requests import Request

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.web.queue import needs_queue, pass_cookie, queue_cookie
from tests.integration.sales.sale_factories import ADMIN, ROW_A, customers_with_ids, on_sale

pytestmark = pytest.mark.backends
SITE = {"Origin": "http://admit.test"}


async def test_the_queue_page_takes_a_buyer_from_joining_to_the_seats(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    opens = clock.now() + timedelta(minutes=5)
    answer = await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": opens.isoformat(), "rate_per_minute": 60},
    )
    assert answer.status_code == 200
    client.headers.pop("Authorization", None)

    seats_page = await client.get(f"/sessions/{sid}")
    assert (seats_page.status_code, seats_page.headers["location"]) == (303, f"/queue/{sid}")
    first = await client.get(f"/queue/{sid}")
    assert first.status_code == 200
    assert "Join the queue" in first.text
    refused = await client.post(f"/queue/{sid}", headers={"Origin": "http://evil.test"})
    assert refused.status_code == 403
    assert queue_cookie(sid) not in client.cookies

    joined = await client.post(f"/queue/{sid}", headers=SITE)
    assert (joined.status_code, joined.headers["location"]) == (303, f"/queue/{sid}")
    waiting = await client.get(f"/queue/{sid}")
    assert "Places are drawn when the sale opens" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text

    clock.advance(timedelta(minutes=5))
    let_in = await client.get(f"/queue/{sid}")
    assert (let_in.status_code, let_in.headers["location"]) == (303, f"/sessions/{sid}")
    admission = client.cookies[pass_cookie(sid)]
    assert (await client.get(f"/sessions/{sid}")).status_code == 200, "now the seats"

    [(_, auth)] = await customers_with_ids(runtime, 1)
    held = await client.post(
        f"/api/v1/sessions/{sid}/holds",
        json={"seats": ROW_A[:1]},
        headers={**auth, "X-Admission-Token": admission},
    )
    assert held.status_code == 201, held.text


async def test_later_arrivals_see_their_place_and_wait(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": clock.now().isoformat(), "rate_per_minute": 6},
    )
    for _ in range(3):
        await admin.post(f"/api/v1/sessions/{sid}/queue")
    client.headers.pop("Authorization", None)
    await client.post(f"/queue/{sid}", headers=SITE)
    page = await client.get(f"/queue/{sid}")
    assert '<strong id="queue-place">4</strong>' in page.text
    assert '<strong id="queue-ahead">2</strong>' in page.text
    assert '<strong id="queue-wait">30 s</strong>' in page.text

    scope = {"type": "http", "headers": [], "path": f"/sessions/{sid}", "query_string": b""}
    assert await needs_queue(Request(scope), runtime, sid) is True, "no admission yet"
    assert await needs_queue(Request(scope), runtime, sid + 1) is False, "no waiting room"

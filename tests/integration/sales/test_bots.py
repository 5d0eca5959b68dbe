"""Bots at an on-sale (issue 30, items 8 and 9): many joins from one address win no more places
than the accounts behind them, many accounts from one address are stopped at the hold limit
while other addresses still buy, a device is counted across accounts and addresses, and new
accounts wait before holding."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.addresses import from_address, retry_after
from tests.integration.sales.sale_factories import (
    ADMIN,
    ROW_A,
    ROW_B,
    customers_with_ids,
    on_sale,
    states,
)

from admit.app import create_app
from admit.core.clock import FixedClock
from admit.core.ratelimit import MemoryRateLimiter, RateLimiter
from admit.core.ratelimit_redis import KEY_PREFIX, RedisRateLimiter
from admit.core.runtime import Runtime
from admit.waiting.models import QueueEntry

pytestmark = pytest.mark.backends
BOT = "203.0.113.66"
REDIS_URL = os.environ.get("ADMIT_TEST_REDIS", "redis://127.0.0.1:6379/0")
SEATS = [f"L1-HALL-{row}-{n}" for row in "ABCD" for n in range(1, 6)]


@pytest.fixture(autouse=True)
def _still_buckets(runtime: Runtime) -> None:
    """Buckets whose clock stands still: nothing refills while the test runs, however slowly."""
    runtime.register(RateLimiter, MemoryRateLimiter(now=lambda: 1000.0))  # type: ignore[type-abstract]


async def _room(admin: httpx.AsyncClient, sid: int, opens_in: timedelta, clock: FixedClock) -> None:
    answer = await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": (clock.now() + opens_in).isoformat(), "rate_per_minute": 60},
    )
    assert answer.status_code == 200, answer.text


async def _entries_by_customer(runtime: Runtime, sid: int) -> Counter[int | None]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.execute(
            select(QueueEntry.customer_id, func.count())
            .where(QueueEntry.session_id == sid)
            .group_by(QueueEntry.customer_id)
        )
        return Counter({customer: int(n) for customer, n in rows.all()})


def _refused(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    error: dict[str, object] = response.json()["error"]
    assert error["code"] == code, error
    return error


# --- the waiting room (item 8) ----------------------------------------------------------------


async def test_joining_the_queue_needs_an_account(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await _room(admin, sid, timedelta(minutes=5), clock)
    async with from_address(app, BOT) as bot:
        _refused(await bot.post(f"/api/v1/sessions/{sid}/queue"), 401, "unauthorized")
    assert await _entries_by_customer(runtime, sid) == Counter()


async def test_a_customer_has_one_entry_however_often_they_join(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await _room(admin, sid, timedelta(minutes=5), clock)
    [(cid, auth)] = await customers_with_ids(runtime, 1)
    async with from_address(app, BOT) as bot:
        joins = [await bot.post(f"/api/v1/sessions/{sid}/queue", headers=auth) for _ in range(5)]
        assert {j.status_code for j in joins} == {201}
        assert len({j.json()["token"] for j in joins}) == 1, "the same entry every time"
        clock.advance(timedelta(minutes=5))
        after = await bot.post(f"/api/v1/sessions/{sid}/queue", headers=auth)
    assert (after.json()["place"], after.json()["admitted"]) == (0, True)
    assert await _entries_by_customer(runtime, sid) == Counter({cid: 1})


async def test_a_device_has_one_entry_whichever_account_joins(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await _room(admin, sid, timedelta(minutes=5), clock)
    (ann, ann_auth), (bob, bob_auth) = await customers_with_ids(runtime, 2)
    phone = {"X-Device-Id": "phone-7f3a9c"}
    async with from_address(app, "198.51.100.1") as home:
        joined = await home.post(f"/api/v1/sessions/{sid}/queue", headers={**ann_auth, **phone})
        assert joined.status_code == 201
    async with from_address(app, "198.51.100.2") as elsewhere:
        second = await elsewhere.post(
            f"/api/v1/sessions/{sid}/queue", headers={**bob_auth, **phone}
        )
        _refused(second, 409, "device_already_queued")
        assert await _entries_by_customer(runtime, sid) == Counter({ann: 1})
        own = await elsewhere.post(
            f"/api/v1/sessions/{sid}/queue", headers={**bob_auth, "X-Device-Id": "laptop-1"}
        )
        assert own.status_code == 201
    assert await _entries_by_customer(runtime, sid) == Counter({ann: 1, bob: 1})


async def test_300_joins_from_one_address_win_no_more_than_one_place_per_account(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    """The outside test's attack: 300 joins from one address before the opening. Only a limit's
    worth get through, one entry per account; honest buyers from other addresses all join and
    the draw treats every entry alike."""
    limit = runtime.settings.limit_waiting_joins_per_address_minute
    sid = await on_sale(admin, clock)
    await _room(admin, sid, timedelta(minutes=5), clock)
    bots = await customers_with_ids(runtime, 20)
    honest = await customers_with_ids(runtime, 20, first=100)
    answers = []
    async with from_address(app, BOT) as bot:
        for i in range(300):
            answers.append(await bot.post(f"/api/v1/sessions/{sid}/queue", headers=bots[i % 20][1]))
    assert [a.status_code for a in answers[:limit]] == [201] * limit
    for refused in answers[limit:]:
        error = _refused(refused, 429, "rate_limited")
        assert error["details"] == {"rule": "queue_joins:address", "retry_after": 6}
        assert retry_after(refused) == 6  # a token of 10 a minute comes back every 6 s
    for i, (_, auth) in enumerate(honest):
        async with from_address(app, f"198.51.100.{i + 10}") as buyer:
            joined = await buyer.post(f"/api/v1/sessions/{sid}/queue", headers=auth)
            assert joined.status_code == 201, joined.text

    entries = await _entries_by_customer(runtime, sid)
    bot_ids = {cid for cid, _ in bots}
    assert sum(n for cid, n in entries.items() if cid in bot_ids) == limit
    assert set(entries.values()) == {1}, "one entry per account"
    assert {cid for cid, _ in honest} <= set(entries), "every honest buyer is in the queue"
    assert len(entries) == limit + len(honest)


# --- holds (item 9) ---------------------------------------------------------------------------


async def test_many_accounts_from_one_address_are_stopped_while_others_buy(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    """The outside test's attack: 35 accounts from one address holding a session. The address
    gets the configured number of holds; the rest are 429 before anything is claimed; buyers
    from other addresses still hold."""
    runtime.settings.limit_holds_per_address_minute = 5
    sid = await on_sale(admin, clock)
    bots = await customers_with_ids(runtime, 35)
    honest = await customers_with_ids(runtime, 3, first=100)
    answers = []
    async with from_address(app, BOT) as bot:
        for i, (_, auth) in enumerate(bots):
            answers.append(
                await bot.post(
                    f"/api/v1/sessions/{sid}/holds", json={"seats": [SEATS[i % 12]]}, headers=auth
                )
            )
    assert [a.status_code for a in answers[:5]] == [201] * 5
    for refused in answers[5:]:
        error = _refused(refused, 429, "rate_limited")
        assert error["details"] == {"rule": "holds:address", "retry_after": 12}
        assert retry_after(refused) == 12
    for i, (_, auth) in enumerate(honest):
        async with from_address(app, f"198.51.100.{i + 10}") as buyer:
            held = await buyer.post(
                f"/api/v1/sessions/{sid}/holds", json={"seats": [SEATS[12 + i]]}, headers=auth
            )
            assert held.status_code == 201, held.text
    plan = await states(admin, sid)
    assert plan.count("h") == 5 + 3, plan


async def test_one_device_is_limited_across_addresses_and_accounts(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    runtime.settings.limit_holds_per_device_minute = 2
    sid = await on_sale(admin, clock)
    buyers = await customers_with_ids(runtime, 4)
    device = {"X-Device-Id": "rooted-phone-1"}
    statuses = []
    for i, (_, auth) in enumerate(buyers[:3]):
        async with from_address(app, f"198.51.100.{i + 20}") as c:
            answer = await c.post(
                f"/api/v1/sessions/{sid}/holds",
                json={"seats": [ROW_A[i]]},
                headers={**auth, **device},
            )
            statuses.append(answer.status_code)
    assert statuses == [201, 201, 429]
    assert answer.json()["error"]["details"]["rule"] == "holds:device"
    async with from_address(app, "198.51.100.22") as c:
        other = await c.post(
            f"/api/v1/sessions/{sid}/holds",
            json={"seats": [ROW_B[0]]},
            headers={**buyers[3][1], "X-Device-Id": "another-phone"},
        )
    assert other.status_code == 201, "the address itself is not spent"
    assert (await states(admin, sid)).count("h") == 3


async def test_a_new_account_waits_before_holding(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    runtime.settings.new_account_hold_delay_seconds = 600
    sid = await on_sale(admin, clock)
    [(_, old)] = await customers_with_ids(runtime, 1)
    clock.advance(timedelta(minutes=10))
    [(_, new)] = await customers_with_ids(runtime, 1, first=1)
    clock.advance(timedelta(minutes=4))
    before = await states(admin, sid)
    holds = f"/api/v1/sessions/{sid}/holds"

    early = await client.post(holds, json={"seats": ROW_A[:1]}, headers=new)
    error = _refused(early, 403, "account_too_new")
    assert error["details"] == {"retry_after": 360}
    assert retry_after(early) == 360
    assert await states(admin, sid) == before, "nothing was held"
    assert (await client.post(holds, json={"seats": ROW_A[:1]}, headers=old)).status_code == 201
    clock.advance(timedelta(minutes=6))
    later = await client.post(holds, json={"seats": ROW_A[1:2]}, headers=new)
    assert later.status_code == 201, later.text


async def test_the_hold_limit_is_shared_by_servers_through_redis(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    """Two servers on one database, each with its own connection to Redis: a bot spreading its
    holds over both still gets only the address's limit."""
    runtime.settings.limit_holds_per_address_minute = 4
    prefix = f"{KEY_PREFIX}test:{uuid.uuid4().hex}:"
    runtime.register(RateLimiter, RedisRateLimiter.from_url(REDIS_URL, prefix=prefix))  # type: ignore[type-abstract]
    other = Runtime.from_settings(runtime.settings, clock=clock)
    other.register(RateLimiter, RedisRateLimiter.from_url(REDIS_URL, prefix=prefix))  # type: ignore[type-abstract]
    sid = await on_sale(admin, clock)
    bots = await customers_with_ids(runtime, 8)
    statuses = []
    try:
        async with (
            from_address(app, BOT) as one,
            from_address(create_app(other, run_worker=False), BOT) as two,
        ):
            for i, (_, auth) in enumerate(bots):
                server = (one, two)[i % 2]
                answer = await server.post(
                    f"/api/v1/sessions/{sid}/holds", json={"seats": [SEATS[i]]}, headers=auth
                )
                statuses.append(answer.status_code)
    finally:
        await other.close()
    assert statuses == [201] * 4 + [429] * 4
    assert (await states(admin, sid)).count("h") == 4

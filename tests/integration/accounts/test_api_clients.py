"""Partner API keys (API2, API6): keys shown once, scopes, a token bucket per key answered with
429 and ``Retry-After``, revocation, and an access log of every authenticated call — with the
in-process limiter and with the Redis one shared by app servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio
from sqlalchemy import text

from admit.core.ratelimit import MemoryRateLimiter, RateLimiter
from admit.core.ratelimit_redis import RedisRateLimiter
from admit.core.runtime import Runtime
from tests.integration.accounts.people_factories import (
    ADMIN,
    API,
    IssuedKey,
    error,
    make_api_client,
    make_staff,
    ok,
    plain_client,
)

pytestmark = pytest.mark.backends

SESSIONS = f"{API}/partner/sessions"
REDIS_URL = os.environ.get("ADMIT_TEST_REDIS", "redis://127.0.0.1:6379/0")


class FakeMonotonic:
    """A monotonic clock for the limiter that moves only when the test says so."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with plain_client(runtime) as c:
        yield c


@pytest.fixture
def ticks(runtime: Runtime) -> FakeMonotonic:
    """The runtime's limiter on a frozen clock, so bursts and refills do not depend on how fast
    the test runs (the default limiter reads ``time.monotonic``)."""
    fake = FakeMonotonic()
    runtime.register(RateLimiter, MemoryRateLimiter(now=fake))  # type: ignore[type-abstract]
    return fake


async def access_log(admin: httpx.AsyncClient, key: IssuedKey) -> list[dict[str, object]]:
    """The key's access-log rows, oldest first."""
    rows: list[dict[str, object]] = ok(
        await admin.get(f"{ADMIN}/api-clients/{key.id}/log", params={"limit": 1000})
    )
    return rows[::-1]


async def access_rows(runtime: Runtime) -> int:
    async with runtime.engine.connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM api_access_log"))
    return int(count or 0)


async def test_the_key_is_shown_once(admin: httpx.AsyncClient) -> None:
    created = ok(
        await admin.post(
            f"{ADMIN}/api-clients",
            json={
                "name": "Agent One",
                "scopes": ["catalog.read", "availability.read"],
                "rate_per_minute": 60,
                "burst": 3,
            },
        ),
        201,
    )
    key_id, _, secret = created["api_key"].partition(".")
    assert key_id == created["key_id"]
    assert len(secret) >= 32
    assert (created["scopes"], created["rate_per_minute"], created["burst"], created["active"]) == (
        ["catalog.read", "availability.read"],
        60,
        3,
        True,
    )
    listing = await admin.get(f"{ADMIN}/api-clients")
    (row,) = ok(listing)
    assert row["id"] == created["id"]
    assert row["key_id"] == key_id
    assert row.get("api_key") is None
    assert secret not in listing.text
    error(
        await admin.post(
            f"{ADMIN}/api-clients", json={"name": "Agent Two", "scopes": ["tickets.steal"]}
        ),
        400,
        "invalid_input",
    )


async def test_burst_then_429_with_retry_after_and_buckets_per_key(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, ticks: FakeMonotonic
) -> None:
    first = await make_api_client(admin, name="Agent One")
    second = await make_api_client(admin, name="Agent Two")
    for _ in range(3):
        assert ok(await http.get(SESSIONS, headers=first.headers)) == []
    refused = await http.get(SESSIONS, headers=first.headers)
    body = error(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert body["details"]["retry_after"] >= 1
    # At the same moment, another partner's bucket is untouched.
    for _ in range(3):
        ok(await http.get(SESSIONS, headers=second.headers))
    error(await http.get(SESSIONS, headers=second.headers), 429, "rate_limited")
    error(await http.get(SESSIONS, headers=first.headers), 429, "rate_limited")


async def test_the_bucket_refills_with_time(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, ticks: FakeMonotonic
) -> None:
    key = await make_api_client(admin, name="Agent One", rate_per_minute=60, burst=3)
    for _ in range(3):
        ok(await http.get(SESSIONS, headers=key.headers))
    refused = await http.get(SESSIONS, headers=key.headers)
    error(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "1"  # one token a second
    ticks.advance(0.5)
    error(await http.get(SESSIONS, headers=key.headers), 429, "rate_limited")
    ticks.advance(0.5)
    ok(await http.get(SESSIONS, headers=key.headers))
    error(await http.get(SESSIONS, headers=key.headers), 429, "rate_limited")
    ticks.advance(60)  # a long pause refills up to the burst, not beyond
    for _ in range(3):
        ok(await http.get(SESSIONS, headers=key.headers))
    error(await http.get(SESSIONS, headers=key.headers), 429, "rate_limited")


async def test_keys_scopes_and_revocation(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, ticks: FakeMonotonic
) -> None:
    full = await make_api_client(admin, name="Agent Full", burst=10)
    catalog_only = await make_api_client(
        admin, name="Agent Catalog", scopes=("catalog.read",), burst=10
    )
    # The scope is checked before the session is looked up: no session is needed for a 403.
    availability = f"{SESSIONS}/999999/availability"
    error(await http.get(availability, headers=catalog_only.headers), 403, "forbidden")
    error(await http.get(availability, headers=full.headers), 404, "not_found")
    ok(await http.get(SESSIONS, headers=catalog_only.headers))

    error(await http.get(SESSIONS), 401, "unauthorized")
    wrong = {"X-Api-Key": f"{full.key_id}.not-the-secret"}
    error(await http.get(SESSIONS, headers=wrong), 401, "unauthorized")
    error(await http.get(SESSIONS, headers={"X-Api-Key": full.key_id}), 401, "unauthorized")
    unknown = {"X-Api-Key": "ak_0000000000000000.whatever"}
    error(await http.get(SESSIONS, headers=unknown), 401, "unauthorized")

    ok(await http.get(SESSIONS, headers=full.headers))
    revoked = ok(await admin.patch(f"{ADMIN}/api-clients/{full.id}", json={"active": False}))
    assert revoked["active"] is False
    error(await http.get(SESSIONS, headers=full.headers), 401, "unauthorized")
    ok(await http.get(SESSIONS, headers=catalog_only.headers))  # the other key still works
    restored = ok(await admin.patch(f"{ADMIN}/api-clients/{full.id}", json={"active": True}))
    assert restored["active"] is True
    ok(await http.get(SESSIONS, headers=full.headers))


async def test_the_access_log_lists_every_authenticated_call(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, runtime: Runtime, ticks: FakeMonotonic
) -> None:
    key = await make_api_client(admin, name="Agent One", rate_per_minute=60, burst=3)
    other = await make_api_client(admin, name="Agent Two", scopes=("catalog.read",))
    statuses = [(await http.get(SESSIONS, headers=key.headers)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    ticks.advance(1)
    missing = await http.get(f"{SESSIONS}/12345/availability", headers=key.headers)
    error(missing, 404, "not_found")
    forbidden = await http.get(f"{SESSIONS}/12345/availability", headers=other.headers)
    error(forbidden, 403, "forbidden")

    rows = await access_log(admin, key)
    assert [(r["method"], r["path"], r["status"]) for r in rows] == [
        ("GET", SESSIONS, 200),
        ("GET", SESSIONS, 200),
        ("GET", SESSIONS, 200),
        ("GET", SESSIONS, 429),
        ("GET", f"{SESSIONS}/12345/availability", 404),
    ]
    assert all(isinstance(r["latency_ms"], int) and r["latency_ms"] >= 0 for r in rows)
    assert all(r["at"] for r in rows)
    other_rows = await access_log(admin, other)
    assert [(r["path"], r["status"]) for r in other_rows] == [
        (f"{SESSIONS}/12345/availability", 403)
    ]

    # Calls whose key is missing, unknown or wrong are not anyone's: no row is written.
    before = await access_rows(runtime)
    assert before == 6
    error(await http.get(SESSIONS), 401, "unauthorized")
    unknown = {"X-Api-Key": "ak_0000000000000000.whatever"}
    error(await http.get(SESSIONS, headers=unknown), 401, "unauthorized")
    wrong = {"X-Api-Key": f"{key.key_id}.not-the-secret"}
    error(await http.get(SESSIONS, headers=wrong), 401, "unauthorized")
    assert await access_rows(runtime) == before
    assert len(await access_log(admin, key)) == 5


@pytest.fixture
async def redis_limiter(runtime: Runtime) -> AsyncIterator[RedisRateLimiter]:
    """The Redis limiter as the runtime's limiter, under a prefix of its own (deleted after).
    Redis must be up: a missing server fails the test."""
    prefix = f"admit:rl:test:{uuid.uuid4().hex}:"
    conn = redis.asyncio.Redis.from_url(REDIS_URL)
    await conn.ping()
    limiter = RedisRateLimiter.from_url(REDIS_URL, prefix=prefix)
    runtime.register(RateLimiter, limiter)  # type: ignore[type-abstract]  # closed by the runtime
    try:
        yield limiter
    finally:
        keys = [key async for key in conn.scan_iter(match=f"{prefix}*")]
        if keys:
            await conn.delete(*keys)
        await conn.aclose()


async def test_rate_limit_with_the_redis_limiter(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    redis_limiter: RedisRateLimiter,
) -> None:
    # One token a minute: real time passes between calls, far too little to refill one.
    key = await make_api_client(admin, name="Agent One", rate_per_minute=1, burst=3)
    other = await make_api_client(admin, name="Agent Two", rate_per_minute=1, burst=3)
    for _ in range(3):
        ok(await http.get(SESSIONS, headers=key.headers))
    refused = await http.get(SESSIONS, headers=key.headers)
    error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    for _ in range(3):
        ok(await http.get(SESSIONS, headers=other.headers))
    error(await http.get(SESSIONS, headers=other.headers), 429, "rate_limited")
    log = await access_log(admin, key)
    assert [r["status"] for r in log] == [200, 200, 200, 429]


async def test_only_key_managers_manage_keys(
    admin: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    ops = await make_staff(admin, http, username="ops1", role="ticket_ops")
    payload = {"name": "Agent One", "scopes": ["catalog.read"]}
    error(
        await http.post(f"{ADMIN}/api-clients", json=payload, headers=ops.headers),
        403,
        "forbidden",
    )
    error(await http.get(f"{ADMIN}/api-clients", headers=ops.headers), 403, "forbidden")
    error(await http.post(f"{ADMIN}/api-clients", json=payload), 401, "unauthorized")
    assert ok(await admin.get(f"{ADMIN}/api-clients")) == []
    key = await make_api_client(admin, name="Agent One")
    error(
        await http.patch(
            f"{ADMIN}/api-clients/{key.id}", json={"active": False}, headers=ops.headers
        ),
        403,
        "forbidden",
    )
    error(
        await http.get(f"{ADMIN}/api-clients/{key.id}/log", headers=ops.headers), 403, "forbidden"
    )

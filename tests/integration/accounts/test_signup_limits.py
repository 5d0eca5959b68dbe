"""Abuse limits on codes and registrations from issue 30 (items 9, 10), on SQLite and
PostgreSQL: per address and per device, a daily cap per number, the platform's budget of codes
with its alert, failed registrations counted per address, and the buckets shared through Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from admit.accounts.models import Customer, VerificationCode
from admit.core.clock import FixedClock
from admit.core.ratelimit import RateLimiter
from admit.core.ratelimit_redis import KEY_PREFIX, RedisRateLimiter
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    API,
    PASSWORD,
    count,
    error,
    log_in,
    ok,
    open_client,
    register_phone,
    request_code,
    set_policy,
    sms_code,
)

REDIS_URL = os.environ.get("ADMIT_TEST_REDIS", "redis://127.0.0.1:6379/0")
ELSEWHERE = "10.8.8.8"


def phone(n: int) -> str:
    return f"1370000{n:04d}"


def rate_limited(response: httpx.Response, rule: str) -> None:
    body = error(response, 429, "rate_limited")
    assert body["details"]["rule"] == rule
    assert response.headers["Retry-After"] == str(body["details"]["retry_after"])
    assert int(response.headers["Retry-After"]) >= 1


async def register(web: httpx.AsyncClient, login: str, code: str, **headers: str) -> httpx.Response:
    return await web.post(
        f"{API}/auth/register",
        json={"login": login, "code": code, "password": PASSWORD},
        headers=headers,
    )


# -- item 10: codes ------------------------------------------------------------------------------


async def test_codes_from_one_address_stop_at_the_limit_while_another_address_is_served(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    for n in range(20):  # ADMIT_LIMIT_CODES_PER_ADDRESS_HOUR
        assert ok(await request_code(web, phone(n), "register"), 202) == {"status": "sent"}

    rate_limited(await request_code(web, phone(20), "register"), "codes:address")

    assert await count(runtime, VerificationCode) == 20
    async with open_client(runtime, ip=ELSEWHERE) as other:
        ok(await request_code(other, phone(20), "register"), 202)
    assert await run_once(runtime) == 21
    assert len(sms.sent) == 21


async def test_one_number_gets_at_most_the_daily_cap_of_codes(
    runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    for n in range(10):  # ADMIT_LIMIT_CODES_PER_NUMBER_DAY, each from another address
        async with open_client(runtime, ip=f"10.5.0.{n}") as c:
            ok(await request_code(c, phone(1), "register"), 202)
        clock.advance(timedelta(seconds=61))

    async with open_client(runtime, ip="10.5.1.1") as c:
        rate_limited(await request_code(c, phone(1), "register"), "codes:login")
        ok(await request_code(c, phone(2), "register"), 202)  # another number is served
    assert await count(runtime, VerificationCode) == 11


async def test_codes_from_one_device_stop_at_its_limit_before_the_address_limit(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    device = {"X-Device-Id": "install-7f3a9c"}
    for n in range(10):  # ADMIT_LIMIT_CODES_PER_DEVICE_HOUR
        response = await web.post(
            f"{API}/auth/codes", json={"login": phone(n), "purpose": "login"}, headers=device
        )
        ok(response, 202)

    refused = await web.post(
        f"{API}/auth/codes", json={"login": phone(10), "purpose": "login"}, headers=device
    )

    rate_limited(refused, "codes:device")
    ok(await request_code(web, phone(10), "login"), 202)  # same address, no device named


async def test_the_platform_budget_of_codes_refuses_and_raises_an_alert(
    runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    runtime.settings.limit_codes_global_per_minute = 3
    before = REGISTRY.get_sample_value("admit_code_budget_exhausted_total") or 0.0
    for n in range(3):
        async with open_client(runtime, ip=f"10.6.0.{n}") as c:
            ok(await request_code(c, phone(n), "register"), 202)

    with capture_logs() as logs:
        async with open_client(runtime, ip="10.6.0.9") as c:
            refused = await request_code(c, phone(9), "register")

    rate_limited(refused, "codes:global")
    alerts = [e for e in logs if e["event"] != "request"]  # the access log's record aside
    assert alerts == [{"event": "code_budget_exhausted", "per_minute": 3, "log_level": "warning"}]
    assert REGISTRY.get_sample_value("admit_code_budget_exhausted_total") == before + 1
    assert await count(runtime, VerificationCode) == 3


async def test_sign_in_codes_go_only_to_accounts_and_registration_codes_only_to_strangers(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, phone(1))
    clock.advance(timedelta(seconds=61))
    sent = len(sms.sent)

    answers = [
        await request_code(web, login, purpose)
        for login, purpose in (
            (phone(1), "login"),
            (phone(2), "login"),
            (phone(3), "reset"),
            (phone(4), "register"),
        )
    ]
    await run_once(runtime)

    assert {(a.status_code, a.text) for a in answers} == {(202, '{"status":"sent"}')}
    assert [m.phone for m in sms.sent[sent:]] == [phone(1), phone(4)]


# -- item 9 (registration) and item 6 (failed registrations counted per address) -----------------


async def test_registrations_from_one_address_stop_at_the_limit_while_another_registers(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    for n in range(10):  # ADMIT_LIMIT_REGISTRATIONS_PER_ADDRESS_HOUR
        await register_phone(web, runtime, sms, phone(n))
    code = await sms_code(web, runtime, sms, phone(10), "register")

    rate_limited(await register(web, phone(10), code), "registrations:address")

    assert await count(runtime, Customer) == 10
    async with open_client(runtime, ip=ELSEWHERE) as other:
        ok(await register(other, phone(10), code), 201)
    assert await count(runtime, Customer) == 11


async def test_registrations_from_one_device_stop_at_its_limit(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    device = {"X-Device-Id": "install-0042"}
    for n in range(5):  # ADMIT_LIMIT_REGISTRATIONS_PER_DEVICE_HOUR
        ok(
            await register(
                web, phone(n), await sms_code(web, runtime, sms, phone(n), "register"), **device
            ),
            201,
        )
    code = await sms_code(web, runtime, sms, phone(5), "register")

    rate_limited(await register(web, phone(5), code, **device), "registrations:device")

    ok(await register(web, phone(5), code), 201)


async def test_failed_registrations_count_towards_the_address_lockout(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    await register_phone(web, runtime, sms, phone(1))
    await set_policy(admin, ip_lockout_threshold=3)
    code = await sms_code(web, runtime, sms, phone(2), "register")
    for guess in ("000001", "000002", "000003"):
        error(await register(web, phone(2), guess), 400, "wrong_code")

    locked_out = await register(web, phone(2), code)

    assert error(locked_out, 429, "too_many_attempts")["details"] == {"retry_after": 900}
    error(await log_in(web, phone(1)), 429, "too_many_attempts")  # sign-in shares the lockout
    assert await count(runtime, Customer) == 1
    async with open_client(runtime, ip=ELSEWHERE) as other:
        ok(await register(other, phone(2), code), 201)


# -- shared through Redis ------------------------------------------------------------------------


@pytest.fixture
async def redis_limiter(runtime: Runtime) -> AsyncIterator[RedisRateLimiter]:
    limiter = RedisRateLimiter.from_url(REDIS_URL, prefix=f"{KEY_PREFIX}test:{uuid.uuid4().hex}:")
    runtime.register(RateLimiter, limiter)  # type: ignore[type-abstract]
    yield limiter
    await limiter.aclose()


async def test_the_limits_hold_with_the_redis_limiter(
    runtime: Runtime, sms: RecordingSmsGateway, redis_limiter: RedisRateLimiter
) -> None:
    runtime.settings.limit_registrations_per_address_hour = 2
    async with open_client(runtime) as one, open_client(runtime) as another:
        for c, n in ((one, 1), (another, 2)):  # two app instances, one address
            await register_phone(c, runtime, sms, phone(n))
        code = await sms_code(one, runtime, sms, phone(3), "register")

        rate_limited(await register(another, phone(3), code), "registrations:address")
        rate_limited(await register(one, phone(3), code), "registrations:address")

    async with open_client(runtime, ip=ELSEWHERE) as elsewhere:
        ok(await register(elsewhere, phone(3), code), 201)
    assert await count(runtime, Customer) == 3

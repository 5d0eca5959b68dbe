"""Customer sign-in through the HTTP API (G2, C7, SEC1): by password or code, what does not sign in,
and lockouts by account and by address that follow the security policy."""

from __future__ import annotations

from datetime import timedelta

import httpx

from admit.accounts.models import CustomerToken
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    API,
    OTHER_ADDRESS,
    OTHER_PHONE,
    PASSWORD,
    PHONE,
    count,
    error,
    log_in,
    me,
    ok,
    open_client,
    other_code,
    register_phone,
    rows,
    set_policy,
    sms_code,
)

WRONG_PASSWORD = "Not-the-one-99"


# -- signing in ----------------------------------------------------------------------------------


async def test_a_customer_signs_in_with_the_password_or_with_an_sms_code(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    first = await register_phone(web, runtime, sms, PHONE)
    account_id = ok(await me(web, first))["id"]

    by_password = ok(await log_in(web, PHONE, device="laptop"))
    clock.advance(timedelta(seconds=61))
    code = await sms_code(web, runtime, sms, PHONE, "login")
    by_code = ok(
        await web.post(
            f"{API}/auth/login/code", json={"login": PHONE, "code": code, "device": "phone"}
        )
    )

    assert by_password["expires_at"] == "2026-12-22T08:00:00Z"
    assert by_code["expires_at"] == "2026-12-22T08:01:01Z"
    assert len({first, by_password["token"], by_code["token"]}) == 3
    for token in (first, by_password["token"], by_code["token"]):
        assert ok(await me(web, token))["id"] == account_id
    assert sorted(t.device for t in await rows(runtime, CustomerToken)) == ["", "laptop", "phone"]


async def test_a_wrong_sms_code_does_not_sign_in(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    clock.advance(timedelta(seconds=61))
    code = await sms_code(web, runtime, sms, PHONE, "login")

    response = await web.post(
        f"{API}/auth/login/code", json={"login": PHONE, "code": other_code(code)}
    )

    error(response, 400, "wrong_code")
    assert "token" not in response.json()
    assert await count(runtime, CustomerToken) == 1


async def test_a_code_for_another_purpose_does_not_sign_in(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    clock.advance(timedelta(seconds=61))
    code = await sms_code(web, runtime, sms, PHONE, "reset")

    response = await web.post(f"{API}/auth/login/code", json={"login": PHONE, "code": code})

    error(response, 400, "wrong_code")
    assert await count(runtime, CustomerToken) == 1


async def test_an_anonymous_visitor_cannot_see_an_account(web: httpx.AsyncClient) -> None:
    anonymous = await web.get(f"{API}/me")
    forged = await me(web, "not-a-token")

    assert error(anonymous, 401, "unauthorized")["message"] == "sign in first"
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert error(forged, 401, "unauthorized")["message"] == "sign in first"


# -- lockout (SEC1) ------------------------------------------------------------------------------


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    for _ in range(5):
        body = error(await log_in(web, PHONE, WRONG_PASSWORD), 401, "unauthorized")
        assert body["message"] == "wrong login or password"

    locked = await log_in(web, PHONE)

    assert error(locked, 423, "account_locked")["message"] == "the account is locked"
    assert "token" not in locked.json()
    clock.advance(timedelta(minutes=14, seconds=59))
    error(await log_in(web, PHONE), 423, "account_locked")
    clock.advance(timedelta(seconds=1))
    ok(await log_in(web, PHONE))
    assert await count(runtime, CustomerToken) == 2  # the registration's and the last login's


async def test_twenty_failures_from_one_address_block_that_address_only(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    await register_phone(web, runtime, sms, OTHER_PHONE)
    logins = [PHONE, OTHER_PHONE, "13700000001", "nobody@example.com", "13600000002"]
    for attempt in range(20):  # four per login: no account reaches its own lockout
        error(await log_in(web, logins[attempt % 5], WRONG_PASSWORD), 401, "unauthorized")

    blocked = await log_in(web, PHONE)

    body = error(blocked, 429, "too_many_attempts")
    assert body == {
        "code": "too_many_attempts",
        "message": "too many failed logins from this address; try again later",
        "details": {"retry_after": 900},
    }
    assert blocked.headers["Retry-After"] == "900"
    # with no trusted proxy configured, a forged X-Forwarded-For changes nothing
    spoofed = await web.post(
        f"{API}/auth/login",
        json={"login": PHONE, "password": PASSWORD},
        headers={"X-Forwarded-For": OTHER_ADDRESS},
    )
    error(spoofed, 429, "too_many_attempts")
    async with open_client(runtime, ip=OTHER_ADDRESS) as elsewhere:
        ok(await log_in(elsewhere, PHONE))
        ok(await log_in(elsewhere, OTHER_PHONE))
    assert await count(runtime, CustomerToken) == 4
    clock.advance(timedelta(minutes=15))
    ok(await log_in(web, PHONE))


async def test_the_lockout_follows_the_security_policy(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    clock: FixedClock,
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    await set_policy(admin, lockout_threshold=2, lockout_minutes=5)

    error(await log_in(web, PHONE, WRONG_PASSWORD), 401, "unauthorized")
    error(await log_in(web, PHONE, WRONG_PASSWORD), 401, "unauthorized")

    error(await log_in(web, PHONE), 423, "account_locked")
    clock.advance(timedelta(minutes=5))
    ok(await log_in(web, PHONE))

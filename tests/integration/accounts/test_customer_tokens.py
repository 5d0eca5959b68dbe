"""How a customer's signed-in devices end (G2, SEC1): a password past the rotation period, a reset
signing every device out, the device limit, logout, and an operator's lock until unlocked."""

from __future__ import annotations

from datetime import timedelta

import httpx

from admit.accounts.models import CustomerToken
from admit.core.audit import AuditEntry
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    ADMIN,
    API,
    PHONE,
    bearer,
    count,
    error,
    log_in,
    me,
    ok,
    register_phone,
    rows,
    set_policy,
    sms_code,
)


async def test_a_password_older_than_the_rotation_period_has_expired(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    clock: FixedClock,
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    await set_policy(admin, customer_rotation_days=30)
    clock.advance(timedelta(days=29))
    ok(await log_in(web, PHONE))
    clock.advance(timedelta(days=2))

    response = await log_in(web, PHONE)

    body = error(response, 403, "password_expired")
    assert body["message"] == (
        "the password has expired: reset it with a code sent to your phone or email"
    )
    assert await count(runtime, CustomerToken) == 2
    # the way out the message names: a reset code, then the new password
    clock.advance(timedelta(minutes=1))
    code = await sms_code(web, runtime, sms, PHONE, "reset")
    new = {"login": PHONE, "code": code, "new_password": "A fresh one 42"}
    assert (await web.post(f"{API}/auth/password/reset", json=new)).status_code == 204
    ok(await log_in(web, PHONE, "A fresh one 42"))
    error(await log_in(web, PHONE), 401, "unauthorized")


async def test_a_password_reset_signs_every_device_out(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    token = await register_phone(web, runtime, sms, PHONE)
    clock.advance(timedelta(minutes=1))
    code = await sms_code(web, runtime, sms, PHONE, "reset")
    wrong = {
        "login": PHONE,
        "code": "000000" if code != "000000" else "111111",
        "new_password": "A fresh one 42",
    }
    error(await web.post(f"{API}/auth/password/reset", json=wrong), 400, "wrong_code")
    assert (await me(web, token)).status_code == 200
    right = {**wrong, "code": code}
    assert (await web.post(f"{API}/auth/password/reset", json=right)).status_code == 204
    assert (await me(web, token)).status_code == 401
    ok(await log_in(web, PHONE, "A fresh one 42"))


async def test_a_device_beyond_the_limit_signs_out_the_oldest(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    registration = await register_phone(web, runtime, sms, PHONE)
    await set_policy(admin, max_devices=2)

    a = ok(await log_in(web, PHONE, device="a"))["token"]
    for live in (registration, a):  # checked, so this process remembers them as valid
        assert ok(await me(web, live))["phone"] == PHONE
    b, c = [ok(await log_in(web, PHONE, device=d))["token"] for d in ("b", "c")]

    for signed_out in (registration, a):
        body = error(await me(web, signed_out), 401, "unauthorized")
        assert body == {
            "code": "unauthorized",
            "message": "this device was signed out; sign in again",
            "details": {"reason": "device_limit"},
        }
    assert ok(await me(web, b))["phone"] == PHONE
    assert ok(await me(web, c))["phone"] == PHONE


async def test_logout_ends_the_token_at_once(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    token = await register_phone(web, runtime, sms, PHONE)
    other = ok(await log_in(web, PHONE, device="tablet"))["token"]

    response = await web.post(f"{API}/auth/logout", headers=bearer(token))

    assert response.status_code == 204, response.text
    assert error(await me(web, token), 401, "unauthorized")["details"] == {"reason": "logout"}
    assert error(await web.post(f"{API}/auth/logout", headers=bearer(token)), 401, "unauthorized")
    ok(await me(web, other))


async def test_an_operator_lock_signs_out_every_device_until_unlocked(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    first = await register_phone(web, runtime, sms, PHONE)
    second = ok(await log_in(web, PHONE, device="tablet"))["token"]
    customer_id = ok(await me(web, first))["id"]

    response = await admin.post(f"{ADMIN}/customers/{customer_id}/lock")

    assert response.status_code == 204, response.text
    for token in (first, second):
        assert error(await me(web, token), 401, "unauthorized")["details"] == {"reason": "locked"}
    error(await log_in(web, PHONE), 423, "account_locked")
    assert await count(runtime, CustomerToken) == 2

    response = await admin.post(f"{ADMIN}/customers/{customer_id}/unlock")

    assert response.status_code == 204, response.text
    token = ok(await log_in(web, PHONE))["token"]
    assert ok(await me(web, token))["id"] == customer_id
    error(await me(web, first), 401, "unauthorized")  # the lock's sign-out stays
    actions = [e.action for e in await rows(runtime, AuditEntry) if e.entity_type == "customer"]
    assert actions == ["customer.registered", "customer.locked", "customer.unlocked"]

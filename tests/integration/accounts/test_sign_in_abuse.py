"""Attacks on codes and sign-in from issue 30, now refused (items 6, 7, 11), on SQLite and
PostgreSQL: concurrent guesses of a code, locking a buyer out with wrong passwords, and answers
or work that tell which accounts exist."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from admit.accounts import customers, passwords
from admit.accounts.customer_sign_in import log_in_code
from admit.accounts.models import Customer, CustomerToken, VerificationCode
from admit.accounts.tokens import Attempt
from admit.core.audit_context import ANONYMOUS
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    ADMIN,
    API,
    PASSWORD,
    count,
    error,
    log_in,
    me,
    ok,
    open_client,
    register_phone,
    request_code,
    rows,
    sms_code,
)

PHONE = "13812345678"
STRANGER = "13912345679"  # no account
WRONG_PASSWORD = "Not-the-one-99"
USED_UP = "the code has expired or was used up: ask for a new one"


def other_than(code: str, n: int) -> str:
    """The ``n``-th well-formed code that is not ``code``."""
    return f"{(int(code) + 1 + n) % 10**6:06d}"


async def code_login(web: httpx.AsyncClient, login: str, code: str) -> httpx.Response:
    return await web.post(f"{API}/auth/login/code", json={"login": login, "code": code})


async def reset(web: httpx.AsyncClient, login: str, code: str, new: str) -> httpx.Response:
    body = {"login": login, "code": code, "new_password": new}
    return await web.post(f"{API}/auth/password/reset", json=body)


# -- item 6: the code's attempt limit holds under concurrency ------------------------------------


async def test_a_hundred_concurrent_wrong_codes_are_five_guesses_and_the_code_is_spent(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    code = await sms_code(web, runtime, sms, PHONE, "register")

    async def guess(n: int) -> Attempt:
        async with runtime.uow(ANONYMOUS) as uow:
            return await customers.register(
                uow,
                runtime.crypto,
                customers.Registration(login=PHONE, code=other_than(code, n), password=PASSWORD),
                now=runtime.clock.now(),
                ip=f"10.1.{n // 250}.{n % 250}",  # one failure per address: no address lockout
            )

    attempts = await asyncio.gather(*(guess(n) for n in range(100)))

    messages = sorted(a.refusal.message for a in attempts if a.refusal is not None)
    assert messages == [USED_UP] * 95 + ["wrong code"] * 5
    [row] = await rows(runtime, VerificationCode)
    assert (row.attempts, row.consumed_at) == (5, None)
    right = await guess_right(web, code)
    assert error(right, 400, "wrong_code")["message"] == USED_UP
    assert await count(runtime, Customer) == 0
    assert await count(runtime, CustomerToken) == 0


async def guess_right(web: httpx.AsyncClient, code: str) -> httpx.Response:
    return await web.post(
        f"{API}/auth/register", json={"login": PHONE, "code": code, "password": PASSWORD}
    )


async def test_concurrent_sign_in_codes_are_five_guesses_too(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    clock.advance(timedelta(seconds=61))
    code = await sms_code(web, runtime, sms, PHONE, "login")

    async def guess(n: int, guessed: str) -> Attempt:
        async with runtime.uow(ANONYMOUS) as uow:
            return await log_in_code(
                uow,
                runtime.crypto,
                login=PHONE,
                code=guessed,
                ip=f"10.2.0.{n}",
                device="",
                now=runtime.clock.now(),
            )

    attempts = await asyncio.gather(*(guess(n, other_than(code, n)) for n in range(100)))
    last = await guess(200, code)

    messages = sorted(a.refusal.message for a in attempts if a.refusal is not None)
    assert messages == [USED_UP] * 95 + ["wrong code"] * 5
    assert last.token is None
    assert last.refusal is not None
    assert last.refusal.message == USED_UP
    assert await count(runtime, CustomerToken) == 1  # the registration's


# -- item 7: wrong passwords lock password sign-in only ------------------------------------------


async def test_a_password_lockout_leaves_code_sign_in_and_reset_open(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    async with open_client(runtime, ip="10.3.3.3") as attacker:
        for _ in range(5):
            error(await log_in(attacker, PHONE, WRONG_PASSWORD), 401, "unauthorized")
    error(await log_in(web, PHONE), 423, "account_locked")
    clock.advance(timedelta(seconds=61))

    by_code = ok(await code_login(web, PHONE, await sms_code(web, runtime, sms, PHONE, "login")))

    assert ok(await me(web, by_code["token"]))["phone"] == PHONE
    error(await log_in(web, PHONE), 423, "account_locked")  # the password is still locked
    clock.advance(timedelta(seconds=61))
    reset_code = await sms_code(web, runtime, sms, PHONE, "reset")
    assert (await reset(web, PHONE, reset_code, "A fresh one 42")).status_code == 204
    ok(await log_in(web, PHONE, "A fresh one 42"))  # the reset lifted the lock
    [customer] = await rows(runtime, Customer)
    assert (customer.failed_logins, customer.locked_until) == (0, None)


async def test_an_operator_lock_refuses_a_right_code(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    clock: FixedClock,
) -> None:
    token = await register_phone(web, runtime, sms, PHONE)
    customer_id = ok(await me(web, token))["id"]
    assert (await admin.post(f"{ADMIN}/customers/{customer_id}/lock")).status_code == 204
    clock.advance(timedelta(seconds=61))

    refused = await code_login(web, PHONE, await sms_code(web, runtime, sms, PHONE, "login"))

    assert error(refused, 423, "account_locked")["message"] == "the account is locked"
    clock.advance(timedelta(seconds=61))
    code = await sms_code(web, runtime, sms, PHONE, "reset")
    error(await reset(web, PHONE, code, "A fresh one 42"), 423, "account_locked")
    error(await log_in(web, PHONE, "A fresh one 42"), 423, "account_locked")


async def test_concurrent_wrong_passwords_all_count_towards_the_lock(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    await register_phone(web, runtime, sms, PHONE)

    async def wrong(n: int) -> httpx.Response:
        async with open_client(runtime, ip=f"10.4.0.{n}") as c:
            return await log_in(c, PHONE, WRONG_PASSWORD)

    answers = await asyncio.gather(*(wrong(n) for n in range(4)))

    assert [a.status_code for a in answers] == [401] * 4
    [customer] = await rows(runtime, Customer)
    assert (customer.failed_logins, customer.locked_until) == (4, None)
    error(await log_in(web, PHONE, WRONG_PASSWORD), 401, "unauthorized")
    error(await log_in(web, PHONE), 423, "account_locked")


# -- item 11: the same answers and the same work for accounts that do not exist -----------------


def same(a: httpx.Response, b: httpx.Response) -> dict[str, Any]:
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    body: dict[str, Any] = a.json()
    return body


async def test_register_and_sign_in_answer_alike_for_existing_and_unknown_accounts(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    clock.advance(timedelta(seconds=61))
    sent_before = len(sms.sent)

    for purpose in ("register", "login", "reset"):
        asked = [await request_code(web, login, purpose) for login in (PHONE, STRANGER)]
        assert same(*asked) == {"status": "sent"}
        again = [await request_code(web, login, purpose) for login in (PHONE, STRANGER)]
        assert same(*again)["error"]["code"] == "too_many_attempts"
        await run_once(runtime)
        clock.advance(timedelta(seconds=61))
    # the stranger's registration code, the account's sign-in and reset codes
    assert [(m.phone, m.params["code"] is not None) for m in sms.sent[sent_before:]] == [
        (STRANGER, True),
        (PHONE, True),
        (PHONE, True),
    ]
    for guess in ("000000", "424242"):
        registered = [
            await web.post(
                f"{API}/auth/register", json={"login": login, "code": guess, "password": PASSWORD}
            )
            for login in (PHONE, STRANGER)
        ]
        assert same(*registered)["error"]["code"] == "wrong_code"
        by_code = [await code_login(web, login, guess) for login in (PHONE, STRANGER)]
        assert same(*by_code)["error"]["code"] == "wrong_code"
    by_password = [await log_in(web, login, WRONG_PASSWORD) for login in (PHONE, STRANGER)]
    assert same(*by_password) == {
        "error": {"code": "unauthorized", "message": "wrong login or password", "details": None}
    }
    assert await count(runtime, Customer) == 1


async def test_sign_in_verifies_a_hash_off_the_database_for_unknown_accounts_too(
    web: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await register_phone(web, runtime, sms, PHONE)
    seen: list[tuple[str, int]] = []
    verify: Callable[[str, str], bool] = passwords.verify_password

    def recording(password_hash: str, password: str) -> bool:
        # argon2 runs while this request holds no database connection (no transaction)
        seen.append((password_hash, runtime.engine.pool.checkedout()))
        return verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", recording)
    [customer] = await rows(runtime, Customer)

    error(await log_in(web, PHONE, WRONG_PASSWORD), 401, "unauthorized")
    error(await log_in(web, STRANGER, WRONG_PASSWORD), 401, "unauthorized")
    ok(await log_in(web, PHONE))

    decoy = passwords._decoy_hash()
    assert seen == [(customer.password_hash, 0), (decoy, 0), (customer.password_hash, 0)]

"""Public accounts through the HTTP API (U1, G2, C7, SEC1): registration by phone or email with
a one-time code, sign-in by password or code, lockouts, rotation, devices and operator locks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from admit.accounts.customer_phones import phone_of
from admit.accounts.models import Customer, CustomerToken, VerificationCode
from admit.core.audit import AuditEntry
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.messaging.email import EmailSender, SmtpEmailSender
from tests.conftest import Inbox
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    ADMIN,
    API,
    OTHER_ADDRESS,
    PASSWORD,
    bearer,
    code_in,
    count,
    error,
    log_in,
    me,
    ok,
    open_client,
    read_mail,
    register_phone,
    request_code,
    rows,
    set_policy,
    sms_code,
)

PHONE = "13812345678"
OTHER_PHONE = "13912345679"
WRONG_PASSWORD = "Not-the-one-99"


@pytest.fixture
async def web(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous browser (the conftest ``client`` carries the admin token once ``admin`` is
    used in a test)."""
    async with open_client(runtime) as c:
        yield c


def other_code(code: str) -> str:
    """A well-formed code that is not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"


async def register(web: httpx.AsyncClient, login: str, code: str, **extra: Any) -> httpx.Response:
    return await web.post(
        f"{API}/auth/register",
        json={"login": login, "code": code, "password": extra.pop("password", PASSWORD), **extra},
    )


async def nothing_opened(runtime: Runtime) -> None:
    assert await count(runtime, Customer) == 0
    assert await count(runtime, CustomerToken) == 0


# -- registration by phone -----------------------------------------------------------------------


async def test_a_phone_registration_sends_one_code_and_signs_the_customer_in(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    response = await request_code(web, PHONE, "register")

    assert ok(response, 202) == {"status": "sent"}
    assert sms.sent == []  # the worker sends it, after the request committed
    assert await run_once(runtime) == 1
    assert [(s.phone, s.template) for s in sms.sent] == [(PHONE, "SMS_VERIFY_CODE")]
    code = sms.sent[0].params["code"]
    assert sms.sent[0].params == {"code": code, "minutes": "10"}
    assert sms.sent[0].text == f"Your code is {code}, valid for 10 minutes."

    body = ok(await register(web, PHONE, code), 201)

    assert body == {"token": body["token"], "expires_at": "2026-12-22T08:00:00Z"}
    account = ok(await me(web, body["token"]))
    assert account == {
        "id": account["id"],
        "phone": PHONE,
        "email": None,
        "source_channel": "web",
        "verified": False,
        "holders": [],
    }
    assert await run_once(runtime) == 0
    assert len(sms.sent) == 1


async def test_the_source_channel_of_the_account_is_recorded(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    token = await register_phone(web, runtime, sms, PHONE, source_channel="mobile")

    account = ok(await me(web, token))

    assert account["source_channel"] == "mobile"
    [customer] = await rows(runtime, Customer)
    assert (
        phone_of(runtime.crypto, customer),
        customer.source_channel,
        customer.registered_by,
    ) == (
        PHONE,
        "mobile",
        None,
    )
    [entry] = await rows(runtime, AuditEntry, AuditEntry.action == "customer.registered")
    assert (entry.entity_type, entry.entity_id) == ("customer", str(customer.id))
    assert entry.data == '{"channel":"sms","source":"mobile"}'


# -- registration by email -----------------------------------------------------------------------


async def test_an_email_registration_gets_its_code_in_the_mail(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, tmp_path: Path
) -> None:
    assert ok(await request_code(web, "Ana.Li@Example.com", "register"), 202) == {"status": "sent"}
    assert await run_once(runtime) == 1

    [message] = read_mail(tmp_path / "mail")
    code = code_in(message)
    assert (message["To"], message["Subject"]) == ("ana.li@example.com", "Your Admit code")
    assert message.get_content() == (
        f"Your code is {code}. It is valid for 10 minutes.\n\n"
        "If you did not ask for it, ignore this message.\n"
    )
    assert sms.sent == []

    token = ok(await register(web, "ana.li@example.com", code), 201)["token"]

    account = ok(await me(web, token))
    assert (account["phone"], account["email"], account["source_channel"]) == (
        None,
        "ana.li@example.com",
        "web",
    )
    # G2: email + password, whatever the case the address is typed in
    again = ok(await log_in(web, "ANA.LI@example.com"))["token"]
    assert ok(await me(web, again))["id"] == account["id"]


async def test_the_code_goes_through_a_real_smtp_server(
    web: httpx.AsyncClient, runtime: Runtime, smtp_server: tuple[int, Inbox], tmp_path: Path
) -> None:
    port, inbox = smtp_server
    runtime.register(EmailSender, SmtpEmailSender("127.0.0.1", port))  # type: ignore[type-abstract]

    ok(await request_code(web, "bo@example.org", "register"), 202)
    assert await run_once(runtime) == 1

    # smtplib returns once the server accepted the DATA, so the message is already in the inbox
    [(recipients, message)] = inbox.messages
    assert recipients == ["bo@example.org"]
    assert (message["From"], message["To"], message["Subject"]) == (
        "Admit <no-reply@admit.local>",
        "bo@example.org",
        "Your Admit code",
    )
    assert not (tmp_path / "mail").exists()
    token = ok(await register(web, "bo@example.org", code_in(message)), 201)["token"]
    assert ok(await me(web, token))["email"] == "bo@example.org"


# -- refused registrations -----------------------------------------------------------------------


async def test_a_wrong_code_opens_no_account(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    code = await sms_code(web, runtime, sms, PHONE, "register")

    body = error(await register(web, PHONE, other_code(code)), 400, "wrong_code")

    assert body == {"code": "wrong_code", "message": "wrong code", "details": None}
    await nothing_opened(runtime)
    # one attempt of five was spent: the right code still opens the account
    ok(await register(web, PHONE, code), 201)
    assert await count(runtime, Customer) == 1


async def test_five_wrong_codes_use_the_code_up(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    code = await sms_code(web, runtime, sms, PHONE, "register")
    for _ in range(5):
        assert error(await register(web, PHONE, other_code(code)), 400, "wrong_code")[
            "message"
        ] == ("wrong code")

    body = error(await register(web, PHONE, code), 400, "wrong_code")

    assert body["message"] == "the code has expired or was used up: ask for a new one"
    await nothing_opened(runtime)
    [row] = await rows(runtime, VerificationCode)
    assert (row.attempts, row.consumed_at) == (5, None)


async def test_an_expired_code_opens_no_account(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    code = await sms_code(web, runtime, sms, PHONE, "register")
    clock.advance(timedelta(minutes=11))

    body = error(await register(web, PHONE, code), 400, "wrong_code")

    assert body["message"] == "the code has expired or was used up: ask for a new one"
    await nothing_opened(runtime)


async def test_a_second_code_within_a_minute_is_refused_with_retry_after(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    await sms_code(web, runtime, sms, PHONE, "register")
    clock.advance(timedelta(seconds=30))

    response = await request_code(web, PHONE, "register")

    body = error(response, 429, "too_many_attempts")
    assert body == {
        "code": "too_many_attempts",
        "message": "a code was sent less than a minute ago",
        "details": {"retry_after": 31},
    }
    assert response.headers["Retry-After"] == "31"
    assert await count(runtime, VerificationCode) == 1
    assert await run_once(runtime) == 0
    assert len(sms.sent) == 1
    # a minute after the first code, another may be sent
    clock.advance(timedelta(seconds=30))
    await sms_code(web, runtime, sms, PHONE, "register")
    assert len(sms.sent) == 2


async def test_a_weak_password_is_refused_listing_its_problems(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    code = await sms_code(web, runtime, sms, PHONE, "register")

    short = error(await register(web, PHONE, code, password="abcdefgh"), 400, "weak_password")
    with_login = error(
        await register(web, PHONE, code, password=f"Pw-{PHONE}"), 400, "weak_password"
    )

    problems = [
        "at least 10 characters",
        "at least 3 of: lower-case, upper-case, digit, symbol "
        "(add an upper-case letter or a digit or a symbol)",
    ]
    assert short == {
        "code": "weak_password",
        "message": "the password is too weak: " + "; ".join(problems),
        "details": {"problems": problems},
    }
    assert with_login["details"] == {"problems": ["must not contain the login name"]}
    await nothing_opened(runtime)
    # the refusals spent no attempt of the code
    ok(await register(web, PHONE, code), 201)


async def test_registering_a_phone_that_has_an_account_answers_as_a_wrong_code(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, clock: FixedClock
) -> None:
    """Issue 30 item 11: it answered 409 ``already_exists`` to any code, telling strangers who
    has an account. No registration code goes to an account, so every code is wrong there."""
    await register_phone(web, runtime, sms, PHONE)
    clock.advance(timedelta(seconds=61))

    asked = await request_code(web, PHONE, "register")
    stranger = await request_code(web, OTHER_PHONE, "register")

    assert ok(asked, 202) == ok(stranger, 202) == {"status": "sent"}
    assert await run_once(runtime) == 1  # the stranger's number only
    assert [s.phone for s in sms.sent] == [PHONE, OTHER_PHONE]
    for guess in ("000000", "123456", sms.sent[0].params["code"]):
        body = error(await register(web, PHONE, guess, password="Other-pass-42"), 400, "wrong_code")
        assert body == {"code": "wrong_code", "message": "wrong code", "details": None}
    assert await count(runtime, Customer) == 1
    assert await count(runtime, CustomerToken) == 1
    ok(await log_in(web, PHONE))
    error(await log_in(web, PHONE, "Other-pass-42"), 401, "unauthorized")


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


# -- rotation, devices, operator lock --------------------------------------------------------


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

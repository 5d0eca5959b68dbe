"""Customer registration through the HTTP API (U1, SEC1): by phone or email with a one-time
code (through a real SMTP server too), and every refused registration opening nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

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
    API,
    OTHER_PHONE,
    PASSWORD,
    PHONE,
    code_in,
    count,
    error,
    log_in,
    me,
    ok,
    other_code,
    read_mail,
    register_phone,
    request_code,
    rows,
    sms_code,
)


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

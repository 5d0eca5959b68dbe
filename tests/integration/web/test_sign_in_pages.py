"""Signing in on the storefront through the ASGI client, on SQLite and PostgreSQL: register
with the code sent by SMS, refusals in words, sign-out, where ``next`` may lead, and POSTs
from other sites refused."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from admit.accounts.customer_phones import phone_of
from admit.accounts.models import Customer, CustomerToken
from admit.core import worker
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.web.auth import DEVICE_COOKIE, SESSION_COOKIE
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.sales.conftest import Bank, consistent  # noqa: F401 (after every test)
from tests.integration.sales.sale_factories import ROW_A, on_sale
from tests.integration.web.checkout_flows import (
    PASSWORD,
    SITE,
    browser,
    counts,
    location,
    make_customer,
    sign_in,
)


async def test_register_with_the_code_sent_by_sms_then_sign_out_and_in_again(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    phone = "13912345678"
    form = await web.get("/register?next=/sessions/7%3Fseats%3DA-1")
    assert form.status_code == 200
    assert 'name="next" value="/sessions/7?seats=A-1"' in form.text

    sent = await web.post("/register/code", data={"login": phone, "next": "/sessions/7"})
    assert sent.status_code == 200
    assert "We sent a six-digit code to <strong>13912345678</strong>" in sent.text
    assert await worker.run_once(runtime) == 1
    code = sms.sent[-1].params["code"]

    wrong = await web.post(
        "/register",
        data={
            "login": phone,
            "code": "000000" if code != "000000" else "111111",
            "password": PASSWORD,
            "next": "/sessions/7",
        },
    )
    assert wrong.status_code == 400
    assert "That code is not right, or it has expired." in wrong.text
    # Only the code was wrong: the password typed stays (on a page never stored).
    assert f'value="{PASSWORD}"' in wrong.text
    assert wrong.headers["cache-control"] == "no-store"
    assert SESSION_COOKIE not in web.cookies
    weak = await web.post(
        "/register", data={"login": phone, "code": code, "password": "short", "next": ""}
    )
    assert weak.status_code == 400
    assert "At least 10 characters" in weak.text
    assert 'value="short"' not in weak.text  # a refused password is typed again
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await uow.session.scalar(select(Customer.id)) is None

    made = await web.post(
        "/register",
        data={"login": phone, "code": code, "password": PASSWORD, "next": "/sessions/7"},
    )
    assert location(made) == "/sessions/7"
    cookie = made.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the site is served over http here
    account = await web.get("/account")
    assert account.status_code == 200
    assert "Signed in as 13912345678" in account.text

    out = await web.post("/logout")
    assert location(out) == "/?msg=signed_out"
    assert SESSION_COOKIE not in web.cookies
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        reasons = (await uow.session.scalars(select(CustomerToken.revoked_reason))).all()
    assert reasons == ["logout"]
    assert location(await web.get("/account")) == "/login?next=%2Faccount"

    again = await sign_in(web, phone, next_path="/account/holders")
    assert location(again) == "/account/holders"


async def test_sign_in_refusals_are_friendly_and_next_never_leaves_the_site(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_customer(runtime, "13700000001")
    wrong = await web.post("/login", data={"login": "13700000001", "password": "Nope-nope-1"})
    assert wrong.status_code == 401
    assert "That login and password do not match." in wrong.text
    assert SESSION_COOKIE not in web.cookies
    for _ in range(4):
        await web.post("/login", data={"login": "13700000001", "password": "Nope-nope-1"})
    locked = await web.post("/login", data={"login": "13700000001", "password": PASSWORD})
    assert locked.status_code == 423
    assert "This account is locked for a while" in locked.text
    assert SESSION_COOKIE not in web.cookies

    await make_customer(runtime, "13700000002")
    for evil in ("//evil.test/x", "https://evil.test/", "/\\evil.test", "/\tx", "account"):
        response = await web.post(
            "/login", data={"login": "13700000002", "password": PASSWORD, "next": evil}
        )
        assert location(response) == "/account", evil


async def test_posts_from_another_site_are_refused_and_change_nothing(
    app: FastAPI, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    await make_customer(runtime, "13700000003")
    async with browser(app) as web:
        await sign_in(web, "13700000003")
        for headers in ({"Origin": "http://evil.test"}, {"Origin": "null"}, {"Origin": ""}):
            web.headers.update(headers)
            refused = await web.post(
                "/checkout/hold", data={"session_id": str(sid), "seat": ROW_A[:1]}
            )
            assert refused.status_code == 403, headers
            assert "text/html" in refused.headers["content-type"]
        del web.headers["Origin"]
        web.headers["Referer"] = "http://evil.test/page"
        assert (await web.post("/logout")).status_code == 403
        web.headers["Referer"] = f"{SITE}/sessions/{sid}"
        assert (await web.post("/checkout/hold", data={"session_id": str(sid)})).status_code == 303
    assert await counts(runtime) == (0, 0)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        live = await uow.session.scalars(select(CustomerToken.revoked_at))
        assert list(live) == [None]


async def test_sign_in_with_a_code_sent_by_sms(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    await make_customer(runtime, "13700000004")
    form = await web.get("/login/code?next=/account/holders")
    assert 'name="next" value="/account/holders"' in form.text
    sent = await web.post(
        "/login/code/send", data={"login": "13700000004", "next": "/account/holders"}
    )
    assert sent.status_code == 200
    assert "If <strong>13700000004</strong> has an account, a six-digit code is on its way" in (
        sent.text
    )
    assert await worker.run_once(runtime) == 1
    code = sms.sent[-1].params["code"]
    wrong = await web.post(
        "/login/code",
        data={"login": "13700000004", "code": "000000" if code != "000000" else "111111"},
    )
    assert wrong.status_code == 400
    assert "That code is not right, or it has expired." in wrong.text
    assert SESSION_COOKIE not in web.cookies
    right = await web.post(
        "/login/code", data={"login": "13700000004", "code": code, "next": "/account/holders"}
    )
    assert location(right) == "/account/holders"
    assert (await web.get("/account")).status_code == 200

    # A phone with no account gets the same first page; nothing is sent and no account is made.
    stranger = await web.post("/login/code/send", data={"login": "13700000005"})
    assert stranger.status_code == 200
    assert "If <strong>13700000005</strong> has an account" in stranger.text
    assert await worker.run_once(runtime) == 0
    guessed = await web.post("/login/code", data={"login": "13700000005", "code": "123456"})
    assert guessed.status_code == 400
    assert "That code is not right, or it has expired." in guessed.text
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        accounts = (await uow.session.scalars(select(Customer))).all()
    assert [phone_of(runtime.crypto, c) for c in accounts] == ["13700000004"]


async def test_the_pages_limit_codes_per_browser_by_its_device_cookie(
    app: FastAPI, web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    """Issue 30 items 9 and 10: the pages apply the API's limits (here the device's, counted
    by the cookie the sign-in pages give a browser), 429 with Retry-After."""
    assert (await web.get("/register")).status_code == 200
    device = web.cookies[DEVICE_COOKIE]
    assert len(device) >= 16
    await web.get("/login/code")
    assert web.cookies[DEVICE_COOKIE] == device  # kept, not replaced
    for n in range(10):  # ADMIT_LIMIT_CODES_PER_DEVICE_HOUR
        sent = await web.post("/register/code", data={"login": f"1370001{n:04d}"})
        assert sent.status_code == 200
        assert "We sent a six-digit code" in sent.text

    refused = await web.post("/login/code/send", data={"login": "13700019999"})

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many codes asked for from this device: try again later." in refused.text
    async with browser(app) as another:  # the same address, another browser
        assert (
            await another.post("/register/code", data={"login": "13700019999"})
        ).status_code == 200
    assert await worker.run_once(runtime) == 11


async def test_the_register_pages_answer_alike_for_an_account_and_a_stranger(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    """Issue 30 item 11: registering a number that has an account said so, whatever the code."""
    await make_customer(runtime, "13700000021")
    answers = []
    for login in ("13700000021", "13700000022"):
        sent = await web.post("/register/code", data={"login": login})
        made = await web.post(
            "/register", data={"login": login, "code": "123456", "password": PASSWORD}
        )
        answers.append(
            (sent.status_code, "We sent a six-digit code" in sent.text, made.status_code)
        )
        assert "That code is not right, or it has expired." in made.text
        assert "already" not in made.text

    assert answers == [(200, True, 400), (200, True, 400)]
    assert await worker.run_once(runtime) == 1  # to the stranger only
    assert [m.phone for m in sms.sent] == ["13700000022"]

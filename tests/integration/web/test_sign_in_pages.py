"""Signing in on the storefront through the ASGI client, on SQLite and PostgreSQL: register
with the code sent by SMS, refusals in words, sign-out, where ``next`` may lead, and POSTs
from other sites refused."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from admit.accounts.models import Customer, CustomerToken
from admit.core import worker
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.messaging.sms import RecordingSmsGateway
from admit.web.auth import SESSION_COOKIE
from tests.conftest import TEST_ACTOR
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
    assert SESSION_COOKIE not in web.cookies
    weak = await web.post(
        "/register", data={"login": phone, "code": code, "password": "short", "next": ""}
    )
    assert weak.status_code == 400
    assert "At least 10 characters" in weak.text
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

    # A phone with no account gets the same first page, and no account is made.
    stranger = await web.post("/login/code/send", data={"login": "13700000005"})
    assert "If <strong>13700000005</strong> has an account" in stranger.text
    assert await worker.run_once(runtime) == 1
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        phones = (await uow.session.scalars(select(Customer.phone))).all()
    assert phones == ["13700000004"]

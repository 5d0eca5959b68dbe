"""Request budgets at the edge (issue 27, item 5; API2, FE2): past its budget an address gets
``429 rate_limited`` with ``Retry-After`` on the public, customer and counter APIs and on the
pages, an account with a customer's or staff member's token gets it from any address, sign-in
is stricter, exempt networks spend nothing (configuration, not code), and with the shared store
away each process keeps its own budgets rather than refusing the sale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from ipaddress import ip_network
from typing import Any

import httpx
import pytest

from admit.accounts import customers
from admit.accounts.customer_phones import phone_columns
from admit.accounts.models import Customer
from admit.app import create_app
from admit.core.ratelimit import RateLimiter
from admit.core.ratelimit_redis import RedisRateLimiter
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
API = "/api/v1"
DOWN_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def budgets(runtime: Runtime, **limits: Any) -> None:
    runtime.settings = runtime.settings.model_copy(update=limits)


@asynccontextmanager
async def client_at(runtime: Runtime, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app on the runtime, seen as coming from ``ip``."""
    transport = httpx.ASGITransport(
        app=create_app(runtime, run_worker=False), raise_app_exceptions=False, client=(ip, 123)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        yield c


async def customer_token(runtime: Runtime, phone: str) -> str:
    now = runtime.clock.now()
    async with runtime.uow(TEST_ACTOR) as uow:
        c = Customer(**phone_columns(runtime.crypto, phone), source_channel="web", created_at=now)
        uow.session.add(c)
        await uow.session.flush()
        return str((await customers.issue_token(uow, c.id, "test", now)).token)


def refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == "rate_limited", body
    return body


async def test_an_address_past_its_api_budget_gets_429_and_another_does_not(
    runtime: Runtime,
) -> None:
    budgets(runtime, limit_api_per_address_minute=3)
    async with client_at(runtime, "203.0.113.7") as one, client_at(runtime, "203.0.113.8") as two:
        assert [(await one.get(f"{API}/sessions")).status_code for _ in range(3)] == [200] * 3

        body = refused(await one.get(f"{API}/events"))

        assert body["details"]["rule"] == "edge:api:address"
        assert (await two.get(f"{API}/sessions")).status_code == 200
        # not budgeted here: health, the bank's notifications, gate devices, the back office
        assert (await one.get("/livez")).status_code == 200
        assert (await one.post(f"{API}/payments/notify/bank", content=b"x")).status_code != 429
        assert (await one.get(f"{API}/gate/device")).status_code == 401
        assert (await one.get(f"{API}/admin/staff")).status_code == 401


async def test_the_counter_api_and_the_pages_have_budgets_of_their_own(runtime: Runtime) -> None:
    budgets(
        runtime,
        limit_api_per_address_minute=1,
        limit_counter_per_address_minute=2,
        limit_pages_per_address_minute=2,
    )
    async with client_at(runtime, "203.0.113.9") as web:
        assert (await web.get(f"{API}/sessions")).status_code == 200
        refused(await web.get(f"{API}/sessions"))
        counter = [(await web.get(f"{API}/counter/orders/1/tickets")).status_code for _ in "ab"]
        assert counter == [401, 401]  # spent before anyone is signed in
        refused(await web.get(f"{API}/counter/orders/1/tickets"))
        assert [(await web.get("/")).status_code for _ in "ab"] == [200, 200]

        page = await web.get("/search")

        assert page.status_code == 429
        assert page.headers["content-type"].startswith("text/html")
        assert int(page.headers["Retry-After"]) >= 1
        assert "Too many tries" in page.text


async def test_sign_in_is_budgeted_more_strictly_than_the_rest(runtime: Runtime) -> None:
    budgets(runtime, limit_sign_in_per_address_minute=2, limit_pages_per_address_minute=100)
    wrong = {"login": "13800000000", "password": "not the password"}
    async with client_at(runtime, "203.0.113.10") as web:
        assert [(await web.post(f"{API}/auth/login", json=wrong)).status_code for _ in "ab"] == [
            401,
            401,
        ]
        details = refused(await web.post(f"{API}/auth/staff/login", json={}))["details"]
        assert details["rule"] == "edge:sign_in:address"
        assert 1 <= details["retry_after"] <= 30  # one attempt back every 30 s
        page = await web.post("/login", data={"login": "13800000000", "password": "x"})
        assert page.status_code == 429
        assert (await web.get("/login")).status_code == 200  # the page itself is a page


async def test_a_customer_account_is_budgeted_from_every_address(runtime: Runtime) -> None:
    budgets(runtime, limit_customer_per_account_minute=3)
    token = await customer_token(runtime, "13900000001")
    other = await customer_token(runtime, "13900000002")
    auth = {"Authorization": f"Bearer {token}"}
    async with client_at(runtime, "198.51.100.1") as a, client_at(runtime, "198.51.100.2") as b:
        assert [(await a.get(f"{API}/me", headers=auth)).status_code for _ in "ab"] == [200, 200]
        assert (await b.get(f"{API}/orders", headers=auth)).status_code == 200

        body = refused(await b.get(f"{API}/me", headers=auth))

        assert body["details"]["rule"] == "edge:customer:account"
        assert (await b.get(f"{API}/me", headers={"Authorization": f"Bearer {other}"})).is_success
        assert (await b.get(f"{API}/sessions")).status_code == 200  # the address is not spent


async def test_the_pages_of_a_signed_in_customer_spend_the_account_budget(
    runtime: Runtime,
) -> None:
    budgets(runtime, limit_customer_per_account_minute=2)
    token = await customer_token(runtime, "13900000003")
    async with client_at(runtime, "198.51.100.5") as a, client_at(runtime, "198.51.100.6") as b:
        a.cookies.set("admit_session", token)
        b.cookies.set("admit_session", token)
        assert (await a.get("/account")).status_code == 200
        assert (await b.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})).is_success

        page = await b.get("/account")

        assert page.status_code == 429
        assert "Too many tries" in page.text
        assert (await b.get("/")).status_code == 200  # a page that needs no account


async def test_a_staff_account_is_budgeted(runtime: Runtime, admin_token: str) -> None:
    budgets(runtime, limit_staff_per_account_minute=2)
    auth = {"Authorization": f"Bearer {admin_token}"}
    async with client_at(runtime, "198.51.100.3") as a, client_at(runtime, "198.51.100.4") as b:
        assert (await a.get(f"{API}/admin/staff", headers=auth)).status_code == 200
        assert (await b.get(f"{API}/admin/venues", headers=auth)).status_code == 200

        body = refused(await a.get(f"{API}/admin/staff", headers=auth))

        assert body["details"]["rule"] == "edge:staff:account"


async def test_exempt_networks_spend_nothing_of_any_address_budget(runtime: Runtime) -> None:
    budgets(
        runtime,
        limit_api_per_address_minute=1,
        limit_holds_per_address_minute=1,
        limit_exempt_networks=[ip_network("10.9.0.0/16")],
    )
    async with client_at(runtime, "10.9.4.2") as exempt, client_at(runtime, "10.8.0.1") as not_:
        answers = [(await exempt.get(f"{API}/sessions")).status_code for _ in range(5)]
        assert answers == [200] * 5
        holds = [(await exempt.post(f"{API}/holds", json={})).status_code for _ in range(3)]
        assert 429 not in holds  # the on-sale's own per-address limits too
        assert (await not_.get(f"{API}/sessions")).status_code == 200
        refused(await not_.get(f"{API}/sessions"))


async def test_with_the_shared_store_away_each_process_keeps_its_own_budgets(
    runtime: Runtime,
) -> None:
    budgets(runtime, limit_api_per_address_minute=2)
    limiter = RedisRateLimiter.from_url(DOWN_URL, timeout=0.2)
    runtime.register(RateLimiter, limiter)  # type: ignore[type-abstract]
    try:
        async with client_at(runtime, "203.0.113.20") as web:
            answers = [(await web.get(f"{API}/sessions")).status_code for _ in range(2)]
            assert answers == [200, 200]  # not 503: the sale goes on without Redis
            refused(await web.get(f"{API}/sessions"))
    finally:
        await limiter.aclose()


def test_the_budgets_are_in_the_contract(app: Any) -> None:
    paths = app.openapi()["paths"]
    assert "429" in paths[f"{API}/sessions"]["get"]["responses"]
    assert "429" in paths[f"{API}/me"]["get"]["responses"]
    assert "429" in paths[f"{API}/admin/staff"]["get"]["responses"]
    assert "429" not in paths[f"{API}/gate/device"]["get"]["responses"]

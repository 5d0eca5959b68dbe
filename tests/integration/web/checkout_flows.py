"""What a buyer does on the checkout pages, through the ASGI client with the session cookie:
sign in, hold from the seat map's form, pay on the bank simulator, come back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from admit.accounts.customer_phones import phone_columns
from admit.accounts.models import Customer
from admit.accounts.passwords import hash_password
from admit.core.runtime import Runtime
from admit.sales.models import Hold, Order
from tests.conftest import TEST_ACTOR

SITE = "http://admit.test"
PASSWORD = "Blue-sky-2026!"
SAME_SITE = {"Origin": SITE}


@asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that behaves like the site's own pages: keeps cookies, sends this site's
    Origin on every request, follows no redirects (the tests check each one)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url=SITE, headers=SAME_SITE, follow_redirects=False
    ) as c:
        yield c


async def make_customer(runtime: Runtime, phone: str) -> int:
    """An account with a password (registration by code is tested on its own)."""
    async with runtime.uow(TEST_ACTOR) as uow:
        customer = Customer(
            **phone_columns(runtime.crypto, phone),
            password_hash=hash_password(PASSWORD),
            password_changed_at=runtime.clock.now(),
            source_channel="web",
            created_at=runtime.clock.now(),
        )
        uow.session.add(customer)
        await uow.session.flush()
        return customer.id


async def sign_in(web: httpx.AsyncClient, login: str, next_path: str = "") -> httpx.Response:
    response = await web.post(
        "/login", data={"login": login, "password": PASSWORD, "next": next_path}
    )
    assert response.status_code == 303, response.text
    return response


async def signed_in_buyer(runtime: Runtime, web: httpx.AsyncClient, phone: str) -> int:
    cid = await make_customer(runtime, phone)
    await sign_in(web, phone)
    return cid


def path_of(url: str) -> str:
    """The path and query of an absolute URL (the app is reached at any host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def location(response: httpx.Response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return response.headers["location"]


async def hold(web: httpx.AsyncClient, sid: int, seats: list[str]) -> int:
    """The seat map's "Continue": the id of the hold the checkout page shows."""
    response = await web.post("/checkout/hold", data={"session_id": str(sid), "seat": seats})
    found = re.fullmatch(r"/checkout/(\d+)", location(response))
    assert found, response.headers["location"]
    return int(found.group(1))


def pay_key(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def counts(runtime: Runtime) -> tuple[int, int]:
    """(holds, orders) in the database."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        holds = await uow.session.scalar(select(func.count()).select_from(Hold))
        orders = await uow.session.scalar(select(func.count()).select_from(Order))
    return int(holds or 0), int(orders or 0)


async def orders_of(runtime: Runtime, cid: int) -> list[tuple[str, str]]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.execute(
            select(Order.number, Order.status)
            .where(Order.buyer == f"customer:{cid}")
            .order_by(Order.id)
        )
        return [(n, s) for n, s in rows]

"""A disabled outlet cannot sell (issue 19, acceptance; S10): once an outlet is switched off,
every counter write of its staff — hold, order, cash, a customer's registration, a pickup —
is refused with 409 ``outlet_disabled`` and nothing changes; its clerks' pages and their
sign-in say so with the same code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.models import Hold, Order, Pickup
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import ROW_A, ROW_B, clerk_of
from tests.integration.web.counter_world import (
    counter_session,
    location,
    make_clerk,
    refusal_code,
    sign_in,
)

pytestmark = pytest.mark.backends
COUNTER = "/api/v1/counter"


def refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "outlet_disabled", error
    assert "BO-1" in error["message"]
    assert "switched off" in error["message"]
    return error


async def _hold(client: httpx.AsyncClient, clerk: dict[str, str], sid: int, seat: str) -> int:
    hold = await client.post(
        f"{COUNTER}/sessions/{sid}/holds",
        headers=clerk,
        json={"channel": "box_office", "outlet": "BO-1", "seats": [seat]},
    )
    assert hold.status_code == 201, hold.text
    return int(hold.json()["id"])


async def _order(client: httpx.AsyncClient, clerk: dict[str, str], hold: int, seat: str) -> str:
    order = await client.post(
        f"{COUNTER}/holds/{hold}/order",
        headers={**clerk, "Idempotency-Key": f"outlet-off-{hold}"},
        json={"lines": [{"seat": seat}]},
    )
    assert order.status_code == 201, order.text
    return str(order.json()["number"])


async def _counts(runtime: Runtime) -> tuple[int, int, int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        holds = await uow.session.scalar(select(func.count()).select_from(Hold))
        paid = await uow.session.scalar(
            select(func.count()).select_from(Order).where(Order.status == "paid")
        )
        pickups = await uow.session.scalar(select(func.count()).select_from(Pickup))
    return int(holds or 0), int(paid or 0), int(pickups or 0)


async def test_a_disabled_outlet_refuses_every_counter_write(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    web: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
) -> None:
    sid, outlet_id = await counter_session(admin, clock, real_name=False)
    clerk = await clerk_of(runtime, "BO-1", "kiosk2")
    paid = await _order(client, clerk, await _hold(client, clerk, sid, ROW_B[0]), ROW_B[0])
    cash = await client.post(
        f"{COUNTER}/orders/{paid}/cash", headers=clerk, json={"received": 8000}
    )
    assert cash.status_code == 200, cash.text
    pickup_code = cash.json()["pickup_code"]
    pending = await _order(client, clerk, await _hold(client, clerk, sid, ROW_B[1]), ROW_B[1])
    open_hold = await _hold(client, clerk, sid, ROW_B[2])
    await make_clerk(runtime, "kiosk1")
    assert location(await sign_in(web, "kiosk1")) == "/counter/"
    page_hold = location(await web.post(f"/counter/sessions/{sid}/hold", data={"seat": ROW_A[:1]}))

    switched = await admin.put(
        f"/api/v1/admin/outlets/{outlet_id}/enabled", json={"enabled": False}
    )
    assert switched.status_code == 200, switched.text
    before = await _counts(runtime)

    refused(
        await client.post(
            f"{COUNTER}/sessions/{sid}/holds",
            headers=clerk,
            json={"channel": "box_office", "outlet": "BO-1", "seats": [ROW_B[3]]},
        )
    )
    refused(
        await client.post(
            f"{COUNTER}/holds/{open_hold}/order",
            headers={**clerk, "Idempotency-Key": "outlet-off-late"},
            json={"lines": [{"seat": ROW_B[2]}]},
        )
    )
    refused(
        await client.post(
            f"{COUNTER}/orders/{pending}/cash", headers=clerk, json={"received": 8000}
        )
    )
    refused(
        await client.post(
            f"{COUNTER}/pickups",
            headers=clerk,
            json={
                "code": pickup_code,
                "outlet": "BO-1",
                "document": {"doc_type": "cn_id", "number": "110105194912310021"},
            },
        )
    )
    refused(
        await client.post(
            "/api/v1/admin/counter/customers",
            headers=clerk,
            json={
                "login": "13500009999",
                "code": "123456",
                "password": "Customer pass 9!",
                "source_channel": "kiosk",
            },
        )
    )
    assert await _counts(runtime) == before  # nothing held, paid or handed over
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        status = await uow.session.scalar(select(Order.status).where(Order.number == pending))
    assert status == "pending_payment"

    # The clerk's pages: every page and write says why, with the code; so does signing in.
    for page in (
        await web.get("/counter/"),
        await web.post(f"/counter/sessions/{sid}/hold", data={"seat": ROW_A[1:2]}),
        await web.post(f"{page_hold}/order", data={"seat": ROW_A[:1], "ticket_type": ["adult"]}),
        await web.post("/counter/till/open", data={"opening_float": "0"}),
        await web.post(
            "/counter/pickup", data={"code": pickup_code, "doc_type": "cn_id", "number": "1234"}
        ),
    ):
        assert page.status_code == 409, page.text[:500]
        assert refusal_code(page) == "outlet_disabled"
        assert "switched off" in page.text
    web.cookies.clear()
    again = await sign_in(web, "kiosk1")
    assert again.status_code == 409
    assert refusal_code(again) == "outlet_disabled"
    assert "switched off: it cannot sell" in again.text
    assert "admit_counter" not in web.cookies
    assert await _counts(runtime) == before

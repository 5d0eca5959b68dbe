"""The tickets of a counter sale are shown and printed at the counter (issue 27, item 7): the
clerk who sold them fetches them with their QR payloads and prints them as one PDF, each time
audited; a clerk of another outlet gets 403, a customer's token gets no staff access, and a
web order is not the counter's (404)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    box_office,
    clerk_of,
    counter_order,
    customers_with_tokens,
    on_sale,
)

from admit.core.audit import AuditEntry, PendingAudit
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

pytestmark = pytest.mark.backends
ADMIN = "/api/v1/admin"
COUNTER = "/api/v1/counter"


async def _counter_sale(client: httpx.AsyncClient, clerk: dict[str, str], sid: int) -> str:
    order = await counter_order(client, clerk, sid, ROW_B[:2], "counter-tickets-1")
    return str(order["number"])


async def _audited(runtime: Runtime, number: str) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        actions = []
        for model in (PendingAudit, AuditEntry):
            actions += list(
                await uow.session.scalars(
                    select(model.action).where(
                        model.entity_type == "order", model.entity_id == number
                    )
                )
            )
    return sorted(a for a in actions if a.startswith("tickets."))


async def test_the_clerk_shows_and_prints_the_tickets_of_their_sale(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    number = await _counter_sale(client, clerk, sid)
    before_paid = await client.get(f"{COUNTER}/orders/{number}/tickets.pdf", headers=clerk)
    assert before_paid.status_code == 404  # nothing issued before the money
    assert before_paid.json()["error"]["code"] == "not_found"
    none_yet = await client.get(f"{COUNTER}/orders/{number}/tickets", headers=clerk)
    assert none_yet.json() == []
    cash = await client.post(
        f"{COUNTER}/orders/{number}/cash", headers=clerk, json={"received": 100_000}
    )
    assert cash.status_code == 200, cash.text

    shown = await client.get(f"{COUNTER}/orders/{number}/tickets", headers=clerk)
    assert shown.status_code == 200, shown.text
    assert sorted(t["seat"] for t in shown.json()) == sorted(ROW_B[:2])
    assert all(t["qr"].startswith("AD1:") and t["status"] == "valid" for t in shown.json())
    printed = await client.get(f"{COUNTER}/orders/{number}/tickets.pdf", headers=clerk)
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF-")
    assert await _audited(runtime, number) == ["tickets.printed", "tickets.shown", "tickets.shown"]


async def test_another_outlet_a_customer_and_a_web_order_are_refused(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    other = await admin.post(
        f"{ADMIN}/outlets", json={"channel": "box_office", "code": "BO-2", "name": "Gate B kiosk"}
    )
    assert other.status_code == 201, other.text
    stranger = await clerk_of(runtime, "BO-2", "kiosk2")
    number = await _counter_sale(client, clerk, sid)
    for path in (f"{COUNTER}/orders/{number}/tickets", f"{COUNTER}/orders/{number}/tickets.pdf"):
        refused = await client.get(path, headers=stranger)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"

    (buyer,) = await customers_with_tokens(runtime, 1)
    as_customer = await client.get(f"{COUNTER}/orders/{number}/tickets", headers=buyer)
    assert as_customer.status_code == 401, as_customer.text  # a customer is no staff member

    hold = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=buyer, json={"seats": ROW_A[:1]}
    )
    assert hold.status_code == 201, hold.text
    web = await client.post(
        f"/api/v1/holds/{hold.json()['id']}/order",
        json={"lines": [{"seat": ROW_A[0]}]},
        headers={**buyer, "Idempotency-Key": "web-order-1"},
    )
    assert web.status_code == 201, web.text
    # A globally granted seller reaches every order's places, yet a web order is not a
    # counter sale: the same 404 as a missing order.
    web_number = web.json()["number"]
    for number_asked in (web_number, "NOPE12345"):
        missing = await client.get(
            f"{COUNTER}/orders/{number_asked}/tickets", headers=admin.headers
        )
        assert missing.status_code == 404, missing.text
    assert await _audited(runtime, web_number) == []

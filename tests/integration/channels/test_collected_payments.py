"""Payments collected in person without cash (FE2, API1): a card terminal's payment and an
agent's own collection at the counter, and an agent system's payment through its key — each
recorded as such with its reference, captured at once (paid, issued), posted to the account
that owes it (``terminal:<outlet>``, ``agent:<outlet>:receivable``) and never taken twice. A
switched-off outlet takes no payment (409 ``outlet_disabled``); an agent's collection is an
agent outlet's only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from admit.core.clock import FixedClock
from admit.core.permissions import Role
from admit.core.runtime import Runtime
from admit.payments.models import Payment
from admit.sales.refunds import request_refund
from tests.conftest import TEST_ACTOR
from tests.integration.accounts.people_factories import error, ok, plain_client
from tests.integration.channels.channel_world import (
    ADMIN,
    CHANNEL,
    add_outlet,
    bound_key,
    channel_sale,
    counter_staff,
    open_window,
    set_outlet_enabled,
)
from tests.integration.sales.sale_factories import ROW_A, ROW_B, on_sale

pytestmark = pytest.mark.backends
COUNTER = "/api/v1/counter"


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with plain_client(runtime) as c:
        yield c


async def _counter_order(
    http: httpx.AsyncClient,
    clerk: dict[str, str],
    sid: int,
    channel: str,
    outlet: str,
    seats: list[str],
    key: str,
) -> dict[str, object]:
    hold = ok(
        await http.post(
            f"{COUNTER}/sessions/{sid}/holds",
            headers=clerk,
            json={"channel": channel, "outlet": outlet, "seats": seats},
        ),
        201,
    )
    order: dict[str, object] = ok(
        await http.post(
            f"{COUNTER}/holds/{hold['id']}/order",
            headers={**clerk, "Idempotency-Key": key},
            json={"lines": [{"seat": s} for s in seats]},
        ),
        201,
    )
    return order


async def _payment(runtime: Runtime, order_number: object) -> Payment:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        payment = await uow.session.scalar(
            select(Payment).where(Payment.order_number == order_number)
        )
        assert payment is not None
        return payment


async def _balances(admin: httpx.AsyncClient) -> dict[str, int]:
    body = ok(await admin.get(f"{ADMIN}/finance/ledger/balances"))
    assert body["total"] == 0
    return dict(body["accounts"])


async def test_card_and_agent_collection_at_the_counter(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    for channel, outlet in (("box_office", "BO-1"), ("agent", "AG-1")):
        await add_outlet(admin, channel, outlet)
        await open_window(admin, sid, channel)
    kiosk = await counter_staff(runtime, Role.KIOSK_STAFF, "BO-1", "kiosk1")
    agent = await counter_staff(runtime, Role.AGENT_STAFF, "AG-1", "agent1")

    card_order = await _counter_order(
        http, kiosk, sid, "box_office", "BO-1", ROW_A[:2], "card-order-1"
    )
    number = card_order["number"]
    paid = ok(
        await http.post(
            f"{COUNTER}/orders/{number}/card", headers=kiosk, json={"reference": "T-0001"}
        )
    )
    assert (paid["method"], paid["reference"], paid["outlet"]) == ("card", "T-0001", "BO-1")
    assert paid["order"]["status"] == "paid"
    assert paid["pickup_code"]
    payment = await _payment(runtime, number)
    assert (payment.method, payment.trade_no, payment.status, payment.staff) == (
        "card",
        "T-0001",
        "captured",
        "kiosk1",
    )
    error(
        await http.post(
            f"{COUNTER}/orders/{number}/card", headers=kiosk, json={"reference": "T-0002"}
        ),
        409,
        "not_payable",
    )
    error(
        await http.post(
            f"{COUNTER}/orders/{number}/card", headers=agent, json={"reference": "T-0003"}
        ),
        403,
        "forbidden",
    )

    # An agent's own collection belongs at an agent's outlet, not at the box office.
    other = await _counter_order(http, kiosk, sid, "box_office", "BO-1", ROW_B[:1], "card-order-2")
    error(
        await http.post(
            f"{COUNTER}/orders/{other['number']}/agent-collection",
            headers=kiosk,
            json={"reference": "AG-77"},
        ),
        409,
        "outlet_not_in_channel",
    )
    agent_order = await _counter_order(
        http, agent, sid, "agent", "AG-1", ROW_A[2:3], "agent-order-1"
    )
    collected = ok(
        await http.post(
            f"{COUNTER}/orders/{agent_order['number']}/agent-collection",
            headers=agent,
            json={"reference": "AG-77"},
        )
    )
    assert (collected["method"], collected["order"]["status"]) == ("agent", "paid")

    balances = await _balances(admin)
    assert balances["terminal:BO-1"] == card_order["total"]
    assert balances["agent:AG-1:receivable"] == agent_order["total"]
    assert "cash:BO-1" not in balances


async def test_a_switched_off_outlet_takes_no_payment(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    outlet_id = await add_outlet(admin, "box_office", "BO-1")
    await open_window(admin, sid, "box_office")
    kiosk = await counter_staff(runtime, Role.KIOSK_STAFF, "BO-1", "kiosk1")
    order = await _counter_order(http, kiosk, sid, "box_office", "BO-1", ROW_A[:1], "off-order-1")
    await set_outlet_enabled(admin, outlet_id, False)
    refused = await http.post(
        f"{COUNTER}/orders/{order['number']}/card", headers=kiosk, json={"reference": "T-9"}
    )
    body = error(refused, 409, "outlet_disabled")
    assert "BO-1" in body["message"]
    assert "switched off" in body["message"]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert (await uow.session.scalars(select(Payment))).all() == []
    sale = await http.post(
        f"{COUNTER}/sessions/{sid}/holds",
        headers=kiosk,
        json={"channel": "box_office", "outlet": "BO-1", "seats": ROW_A[1:2]},
    )
    error(sale, 409, "outlet_disabled")  # nor can it hold seats
    await set_outlet_enabled(admin, outlet_id, True)
    ok(
        await http.post(
            f"{COUNTER}/orders/{order['number']}/card", headers=kiosk, json={"reference": "T-9"}
        )
    )


async def test_an_agent_system_records_what_it_collected(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    world = await channel_sale(admin, clock)
    key, sid = world.key.headers, world.session_id
    order = ok(
        await http.post(
            f"{CHANNEL}/orders",
            headers={**key, "Idempotency-Key": "agent-pay-1"},
            json={"session_id": sid, "seats": ROW_A[:2]},
        ),
        201,
    )
    number = order["number"]
    paid = ok(
        await http.post(
            f"{CHANNEL}/orders/{number}/payment", headers=key, json={"reference": "AGT-1"}
        )
    )
    assert (paid["reference"], paid["order"]["status"]) == ("AGT-1", "paid")
    payment = await _payment(runtime, number)
    assert (payment.method, payment.trade_no, payment.outlet) == ("agent", "AGT-1", "AG-1")
    assert (await _balances(admin))["agent:AG-1:receivable"] == order["total"]
    error(
        await http.post(
            f"{CHANNEL}/orders/{number}/payment", headers=key, json={"reference": "AGT-2"}
        ),
        409,
        "not_payable",
    )

    await add_outlet(admin, "box_office", "BO-5")
    await open_window(admin, sid, "box_office")
    kiosk = await bound_key(admin, name="Kiosk", channel="box_office", outlet="BO-5")
    kiosk_order = ok(
        await http.post(
            f"{CHANNEL}/orders",
            headers={**kiosk.headers, "Idempotency-Key": "kiosk-pay-1"},
            json={"session_id": sid, "seats": ROW_B[:1]},
        ),
        201,
    )
    error(
        await http.post(
            f"{CHANNEL}/orders/{kiosk_order['number']}/payment",
            headers=kiosk.headers,
            json={"reference": "K-1"},
        ),
        409,
        "not_an_agent_key",
    )


async def test_a_card_refund_is_handed_back_at_its_counter(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await add_outlet(admin, "box_office", "BO-1")
    await open_window(admin, sid, "box_office")
    kiosk = await counter_staff(runtime, Role.KIOSK_STAFF, "BO-1", "kiosk1")
    order = await _counter_order(http, kiosk, sid, "box_office", "BO-1", ROW_A[:1], "refund-1-x")
    ok(
        await http.post(
            f"{COUNTER}/orders/{order['number']}/card", headers=kiosk, json={"reference": "T-5"}
        )
    )
    async with runtime.uow(TEST_ACTOR) as uow:
        payment = await uow.session.scalar(
            select(Payment).where(Payment.order_number == order["number"])
        )
        assert payment is not None
        refund = await request_refund(
            uow, payment, amount=payment.amount, reason="buyer", now=clock.now()
        )
        refund_number = refund.number
    assert (await _balances(admin))["terminal:BO-1"] == order["total"]  # not sent to a gateway
    done = ok(await http.post(f"{COUNTER}/refunds/{refund_number}/handed-over", headers=kiosk))
    assert (done["status"], done["outlet"]) == ("done", "BO-1")
    assert (await _balances(admin))["terminal:BO-1"] == 0

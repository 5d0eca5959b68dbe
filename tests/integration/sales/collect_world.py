"""A paid real-name web order and counter sales paid in cash, for the pickup and order-search
tests: what a clerk or a customer-service agent looks up."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import select
from tests.conftest import TEST_ACTOR, police_population
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import pay_url
from tests.integration.sales.sale_factories import (
    ROW_A,
    box_office,
    counter_order,
    customers_with_ids,
    on_sale,
)

from admit.accounts import identities
from admit.accounts.documents import DocumentType
from admit.accounts.verification import file_and_verify
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.models import Order


@dataclass
class PaidOrder:
    session_id: int
    number: str
    pickup_code: str
    buyer: dict[str, str]
    buyer_phone: str
    buyer_document: str  # the buyer's own CN ID number
    holder_document: str  # the friend's, named on the second ticket
    stranger_document: str  # a verified person on no ticket of it
    clerk: dict[str, str]  # a box-office clerk scoped to outlet BO-1


async def _verified(rt: Runtime, cid: int, person: tuple[str, str], *, is_self: bool) -> int:
    number, name = person
    document = identities.DocumentIn(DocumentType.CN_ID, number, name, "CN")
    identity = await file_and_verify(
        rt, TEST_ACTOR, customer_id=cid, document=document, is_self=is_self
    )
    return identity.id


async def pickup_code_of(runtime: Runtime, number: str) -> str:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        code = await uow.session.scalar(select(Order.pickup_code).where(Order.number == number))
    assert code, f"order {number} has no pickup code"
    return code


async def paid_real_name_order(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> PaidOrder:
    """Ann buys ROW_A[:2] on the web for herself and a friend and pays at the bank; a box
    office BO-1 sells the session too."""
    sid = await on_sale(admin, clock, real_name=True)
    clerk = await box_office(admin, runtime, sid)
    people = list(police_population().items())
    ((ann_id, ann),) = await customers_with_ids(runtime, 1, first=70)
    me = await _verified(runtime, ann_id, people[0], is_self=True)
    friend = await _verified(runtime, ann_id, people[1], is_self=False)
    ((bob_id, _),) = await customers_with_ids(runtime, 1, first=71)
    await _verified(runtime, bob_id, people[2], is_self=True)
    hold = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_A[:2]}
    )
    assert hold.status_code == 201, hold.text
    order = await client.post(
        f"/api/v1/holds/{hold.json()['id']}/order",
        json={"lines": [{"seat": ROW_A[0], "holder": me}, {"seat": ROW_A[1], "holder": friend}]},
        headers={**ann, "Idempotency-Key": "collect-1"},
    )
    assert order.status_code == 201, order.text
    number = order.json()["number"]
    await bank.decide(await pay_url(client, number, ann))
    await bank.settled()
    return PaidOrder(
        session_id=sid,
        number=number,
        pickup_code=await pickup_code_of(runtime, number),
        buyer=ann,
        buyer_phone="13500000070",
        buyer_document=people[0][0],
        holder_document=people[1][0],
        stranger_document=people[2][0],
        clerk=clerk,
    )


async def cash_sale(
    client: httpx.AsyncClient, clerk: dict[str, str], sid: int, seats: list[str], key: str
) -> tuple[str, str]:
    """A counter sale at BO-1 paid in cash: (order number, pickup code)."""
    order = await counter_order(client, clerk, sid, seats, key)
    cash = await client.post(
        f"/api/v1/counter/orders/{order['number']}/cash", headers=clerk, json={"received": 10**6}
    )
    assert cash.status_code == 200, cash.text
    return order["number"], cash.json()["pickup_code"]

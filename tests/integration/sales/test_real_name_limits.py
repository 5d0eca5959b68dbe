"""A holder's per-person limit against strangers (issue 30, item 12): whoever knows a person's
document number and name can link them as a holder, but their unpaid orders do not count
against that person; paid tickets count whoever bought them, and a buyer's own unpaid ones
count for that buyer."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR, police_population
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import ROW_A, ROW_B, customers_with_ids, on_sale
from tests.integration.sales.test_real_name_orders import _hold_and_order, _verified

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.payments.models import Payment, Refund
from admit.sales import consistency
from admit.ticketing.models import Ticket


async def _pay(client: httpx.AsyncClient, bank: Bank, number: str, who: dict[str, str]) -> None:
    started = await client.post(
        f"/api/v1/orders/{number}/payments", headers=who, json={"method": "bank"}
    )
    assert started.status_code == 201, started.text
    await bank.decide(started.json()["pay_url"])
    await bank.settled()


async def _status(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> str:
    return str((await client.get(f"/api/v1/orders/{number}", headers=who)).json()["status"])


async def _tickets(runtime: Runtime) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def test_a_strangers_unpaid_orders_leave_the_holders_limit_alone(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock, real_name=True, limit=2)
    people = list(police_population().items())
    (ann_id, ann), (mal_id, mallory) = await customers_with_ids(runtime, 2)
    ann_self = await _verified(runtime, ann_id, people[0], is_self=True)
    await _verified(runtime, mal_id, people[1], is_self=True)
    # Mallory knows Ann's number and name: the link needs no second check (RN4).
    ann_at_mallory = await _verified(runtime, mal_id, people[0], is_self=False)
    assert ann_at_mallory == ann_self
    squat = await _hold_and_order(
        client, sid, mallory, ROW_A[:2], [ann_at_mallory] * 2, "rn-squat-1"
    )
    assert squat.status_code == 201, squat.text

    # Ann still buys her two tickets: Mallory's unpaid order does not count against her.
    mine = await _hold_and_order(client, sid, ann, ROW_B[:2], [ann_self] * 2, "rn-ann-own-1")
    assert mine.status_code == 201, mine.text

    await _pay(client, bank, mine.json()["number"], ann)
    assert await _status(client, mine.json()["number"], ann) == "paid"
    # Paid tickets count whoever bought them: Mallory's payment now finds Ann's limit used,
    # goes the late way and is refunded; no ticket is issued for it.
    await _pay(client, bank, squat.json()["number"], mallory)
    for _ in range(3):
        await run_once(runtime)
    assert await _status(client, squat.json()["number"], mallory) != "paid"
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        refund = await uow.session.scalar(select(Refund))
        payment = await uow.session.scalar(
            select(Payment).where(Payment.order_number == squat.json()["number"])
        )
        assert await consistency.problems(uow) == []
    assert refund is not None
    assert payment is not None
    assert (refund.payment_id, refund.amount) == (payment.id, payment.amount)
    assert await _tickets(runtime) == 2


async def test_paid_tickets_of_anyone_and_the_buyers_own_unpaid_ones_count(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock, real_name=True, limit=2)
    people = list(police_population().items())
    (ann_id, ann), (bob_id, bob) = await customers_with_ids(runtime, 2)
    ann_self = await _verified(runtime, ann_id, people[0], is_self=True)
    await _verified(runtime, bob_id, people[1], is_self=True)
    ann_at_bob = await _verified(runtime, bob_id, people[0], is_self=False)
    gift = await _hold_and_order(client, sid, bob, ROW_A[:1], [ann_at_bob], "rn-gift-1")
    assert gift.status_code == 201, gift.text
    await _pay(client, bank, gift.json()["number"], bob)
    assert await _status(client, gift.json()["number"], bob) == "paid"
    # One paid ticket (Bob's gift) and one unpaid order of her own: Ann's limit of two is used.
    own = await _hold_and_order(client, sid, ann, ROW_B[:1], [ann_self], "rn-ann-own-1")
    assert own.status_code == 201, own.text

    over = await _hold_and_order(client, sid, ann, ROW_B[1:2], [ann_self], "rn-ann-over")

    assert (over.status_code, over.json()["error"]["code"]) == (409, "limit_exceeded")
    assert await _tickets(runtime) == 1
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await consistency.problems(uow) == []

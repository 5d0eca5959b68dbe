"""Real-name sales (RN1, S5): every ticket names a verified holder linked to the buyer, and the
per-person limit counts each holder's document across all buyers (their paid tickets; unpaid
ones only for their own buyer)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from tests.conftest import TEST_ACTOR, police_population
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import pay_url
from tests.integration.sales.sale_factories import ROW_A, ROW_B, customers_with_ids, on_sale

from admit.accounts import identities
from admit.accounts.documents import DocumentType
from admit.accounts.verification import file_and_verify
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.models import HolderUsage, Order


async def _verified(rt: Runtime, cid: int, person: tuple[str, str], *, is_self: bool) -> int:
    number, name = person
    document = identities.DocumentIn(DocumentType.CN_ID, number, name, "CN")
    identity = await file_and_verify(
        rt, TEST_ACTOR, customer_id=cid, document=document, is_self=is_self
    )
    return identity.id


async def _hold_and_order(
    client: httpx.AsyncClient,
    sid: int,
    who: dict[str, str],
    seats: list[str],
    holders: list[int | None],
    key: str,
) -> httpx.Response:
    """Hold the seats and order them for these holders; a refused order's hold is let go."""
    hold = await client.post(f"/api/v1/sessions/{sid}/holds", headers=who, json={"seats": seats})
    assert hold.status_code == 201, hold.text
    lines = [
        {"seat": seat, **({"holder": h} if h is not None else {})}
        for seat, h in zip(seats, holders, strict=True)
    ]
    order = await client.post(
        f"/api/v1/holds/{hold.json()['id']}/order",
        json={"lines": lines},
        headers={**who, "Idempotency-Key": key},
    )
    if order.status_code != 201:
        await client.delete(f"/api/v1/holds/{hold.json()['id']}", headers=who)
    return order


async def _usage(rt: Runtime) -> list[int]:
    async with rt.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.scalars(select(HolderUsage.tickets).order_by(HolderUsage.id))
        return list(rows.all())


async def test_real_name_orders_need_verified_holders_and_count_by_document(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, real_name=True, limit=2)
    people = list(police_population().items())
    (ann_id, ann), (bob_id, bob) = await customers_with_ids(runtime, 2)
    ann_self = await _verified(runtime, ann_id, people[0], is_self=True)
    ann_friend = await _verified(runtime, ann_id, people[2], is_self=False)
    bob_self = await _verified(runtime, bob_id, people[1], is_self=True)
    bob_friend = await _verified(runtime, bob_id, people[2], is_self=False)  # the same person

    nameless = await _hold_and_order(client, sid, ann, ROW_A[:2], [ann_self, None], "rn-ann-1")
    assert nameless.status_code == 409
    assert nameless.json()["error"]["code"] == "real_name_required"
    assert nameless.json()["error"]["details"] == {"lines": [1]}
    not_hers = await _hold_and_order(client, sid, ann, ROW_A[2:4], [ann_self, bob_self], "rn-ann-2")
    assert not_hers.json()["error"]["code"] == "real_name_required"

    ordered = await _hold_and_order(client, sid, ann, ROW_B[:2], [ann_self, ann_friend], "rn-ann-3")
    assert ordered.status_code == 201, ordered.text
    holders = [line["holder"] for line in ordered.json()["lines"]]
    assert all(h and "*" in h for h in holders), holders
    assert await _usage(runtime) == [1, 1]

    # Bob names the same friend twice: Ann's ticket for that friend is unpaid, so it does not
    # count against Bob's order (issue 30, item 12; paid tickets do: test_real_name_limits).
    both = await _hold_and_order(client, sid, bob, ROW_B[2:4], [bob_friend, bob_friend], "rn-bob-1")
    assert both.status_code == 201, both.text
    assert sorted(await _usage(runtime)) == [1, 3]  # live tickets per document, any buyer
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        numbers = (await uow.session.scalars(select(Order.number).order_by(Order.id))).all()
    assert numbers == [ordered.json()["number"], both.json()["number"]]

    # Once Ann cancels, her tickets no longer count anywhere.
    number = ordered.json()["number"]
    cancel = await client.post(f"/api/v1/orders/{number}/cancel", headers=ann)
    assert cancel.json()["status"] == "cancelled"
    assert sorted(await _usage(runtime)) == [0, 2]


async def test_a_holder_on_a_ticket_still_to_be_used_cannot_be_removed(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    """Issue 27, item 3 (and 32, item 2): ``DELETE /me/holders/{identity}`` refuses a holder
    named on a valid ticket of a session to come; once the session is over, or for a holder
    on no ticket, it takes them off."""
    sid = await on_sale(admin, clock, real_name=True)
    people = list(police_population().items())
    ((ann_id, ann),) = await customers_with_ids(runtime, 1)
    me = await _verified(runtime, ann_id, people[0], is_self=True)
    friend = await _verified(runtime, ann_id, people[1], is_self=False)
    spare = await _verified(runtime, ann_id, people[2], is_self=False)
    ordered = await _hold_and_order(client, sid, ann, ROW_A[:2], [me, friend], "rn-remove-1")
    assert ordered.status_code == 201, ordered.text
    await bank.decide(await pay_url(client, ordered.json()["number"], ann))
    await bank.settled()

    kept = await client.delete(f"/api/v1/me/holders/{friend}", headers=ann)
    assert (kept.status_code, kept.json()["error"]["code"]) == (409, "holder_on_ticket")
    assert kept.json()["error"]["details"]["ticket"]
    gone = await client.delete(f"/api/v1/me/holders/{spare}", headers=ann)
    assert gone.status_code == 204
    ends = (await admin.get(f"/api/v1/sessions/{sid}")).json()["session"]["ends_at"]
    clock.advance(datetime.fromisoformat(ends) - clock.now() + timedelta(minutes=1))  # over
    later = await client.delete(f"/api/v1/me/holders/{friend}", headers=ann)
    assert later.status_code == 204
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        linked = await identities.holders_of(uow, ann_id)
    assert [(h.identity_id, h.is_self) for h, _ in linked] == [(me, True)]

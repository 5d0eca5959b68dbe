"""Seats reserved for a client are sold to its buyers only (INV3; issue 27, item 2), on both
databases (``admit_hold`` on PostgreSQL, the statements of ``sales.holds`` on SQLite): another
buyer's hold is refused with ``seat_reserved`` and best available passes them over, the
client's linked customer holds and pays, its staff rep holds at the counter, a reservation for
a client group opens to every member's buyers, an ended hold gives the seat back to the
client, and once the reservation ends anyone may hold it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.clients.client_factories import (
    ADMIN,
    link_customer,
    make_client,
    make_group,
    reserve,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import count_rows
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    box_office,
    customers_with_ids,
    on_sale,
    states,
)

from admit.accounts.models import StaffUser
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.hold_endings import expire_due
from admit.ticketing.models import Ticket

pytestmark = pytest.mark.backends
ROWS_A = {"rows": [{"section": "HALL", "row": "A"}]}


async def _hold(
    client: httpx.AsyncClient, sid: int, who: dict[str, str], body: dict[str, object]
) -> httpx.Response:
    return await client.post(f"/api/v1/sessions/{sid}/holds", headers=who, json=body)


async def _mine(client: httpx.AsyncClient, sid: int, who: dict[str, str]) -> list[str]:
    answer = await client.get(f"/api/v1/sessions/{sid}/availability/mine", headers=who)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["seats"])


async def test_a_reserved_seat_is_sold_to_its_client_then_to_anyone(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann_id, ann), (_, bob) = await customers_with_ids(runtime, 2)
    acme = await make_client(admin, "Acme")
    await link_customer(admin, acme, ann_id)
    until = clock.now() + timedelta(hours=1)
    assert (await reserve(admin, sid, ROWS_A, until.isoformat())).json() == {"changed": 5}
    assert (await states(client, sid))[:10] == "r" * 5 + "a" * 5

    # Another buyer: refused with a code of its own, nothing written; best available passes
    # the reserved seats over.
    refused = await _hold(client, sid, bob, {"seats": [ROW_B[0], ROW_A[0]]})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "seat_reserved"
    assert refused.json()["error"]["details"] == {"seats": [ROW_A[0]]}
    assert (await states(client, sid))[:10] == "r" * 5 + "a" * 5
    best = await _hold(client, sid, bob, {"best": {"level": "A", "quantity": 2}})
    assert best.status_code == 201, best.text
    assert set(best.json()["seats"]) <= set(ROW_B)
    assert await _mine(client, sid, bob) == []

    # The client's buyer sees the reserved seats free for them, holds two and pays.
    assert await _mine(client, sid, ann) == ROW_A
    bought = await client.post(
        f"/api/v1/sessions/{sid}/purchases",
        headers={**ann, "Idempotency-Key": "acme-buys"},
        json={"seats": ROW_A[:2], "pay": {"method": "bank"}},
    )
    assert bought.status_code == 201, bought.text
    await bank.decide(bought.json()["payment"]["pay_url"])
    await bank.settled()
    order = await client.get(f"/api/v1/orders/{bought.json()['order']['number']}", headers=ann)
    assert order.json()["status"] == "paid"
    assert await count_rows(runtime, Ticket) == 2
    assert (await states(client, sid))[:5] == "ssrrr"
    assert await _mine(client, sid, ann) == ROW_A[2:]
    still = await _hold(client, sid, bob, {"seats": [ROW_A[2]]})
    assert still.json()["error"]["code"] == "seat_reserved"

    # The reservation ends: the seats are anyone's.
    clock.advance(timedelta(hours=1))
    assert (await states(client, sid))[:5] == "ssaaa"
    mine = await _hold(client, sid, bob, {"seats": [ROW_A[2]]})
    assert mine.status_code == 201, mine.text
    assert await _mine(client, sid, ann) == []


async def test_a_group_reservation_opens_to_every_member_and_a_rep_at_the_counter(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    (globex_buyer, globex), (_, stranger) = await customers_with_ids(runtime, 2)
    acme, globex_id = await make_client(admin, "Acme"), await make_client(admin, "Globex")
    await make_client(admin, "Initech")  # in no group
    sponsors = await make_group(admin, "Sponsors", [acme, globex_id])
    await link_customer(admin, globex_id, globex_buyer)
    until = (clock.now() + timedelta(hours=1)).isoformat()
    assert (await reserve(admin, sid, ROWS_A, until, group_id=sponsors)).status_code == 200

    refused = await _hold(client, sid, stranger, {"seats": [ROW_A[0]]})
    assert refused.json()["error"]["code"] == "seat_reserved"
    member = await _hold(client, sid, globex, {"seats": [ROW_A[0]]})
    assert member.status_code == 201, member.text

    counter = f"/api/v1/counter/sessions/{sid}/holds"
    at_counter = {"channel": "box_office", "outlet": "BO-1", "seats": [ROW_A[1]]}
    not_a_rep = await client.post(counter, headers=clerk, json=at_counter)
    assert not_a_rep.status_code == 409, not_a_rep.text
    assert not_a_rep.json()["error"]["code"] == "seat_reserved"
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        clerk_id = await uow.session.scalar(
            select(StaffUser.id).where(StaffUser.username == "kiosk1")
        )
    linked = await admin.post(f"{ADMIN}/clients/{acme}/reps", json={"staff_id": clerk_id})
    assert linked.json()["reps"] == [clerk_id]
    rep = await client.post(counter, headers=clerk, json=at_counter)
    assert rep.status_code == 201, rep.text
    assert (await states(client, sid))[:5] == "hhrrr"


async def test_an_ended_hold_gives_the_seat_back_to_its_client(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (ann_id, ann), (_, bob) = await customers_with_ids(runtime, 2)
    await link_customer(admin, await make_client(admin, "Acme"), ann_id)
    until = clock.now() + timedelta(minutes=40)
    assert (await reserve(admin, sid, ROWS_A, until.isoformat())).status_code == 200

    released = await _hold(client, sid, ann, {"seats": [ROW_A[0]]})
    assert released.status_code == 201, released.text
    assert (await states(client, sid))[0] == "h"
    let_go = await client.delete(f"/api/v1/holds/{released.json()['id']}", headers=ann)
    assert let_go.json()["status"] == "released"
    assert (await states(client, sid))[:5] == "rrrrr"
    assert await _mine(client, sid, ann) == ROW_A

    # A hold that runs out (15 minutes to pay) while the reservation runs on: the seat is
    # still the client's, before the sweeper and after it.
    lapsing = await _hold(client, sid, ann, {"seats": [ROW_A[1]]})
    assert lapsing.status_code == 201, lapsing.text
    clock.advance(timedelta(minutes=16))
    assert (await states(client, sid))[:5] == "rrrrr"
    taken = await _hold(client, sid, bob, {"seats": [ROW_A[1]]})
    assert taken.json()["error"]["code"] == "seat_reserved"
    async with runtime.uow(TEST_ACTOR) as uow:
        assert await expire_due(uow, now=clock.now()) == 1
    assert (await states(client, sid))[:5] == "rrrrr"

    # Once the reservation has ended, an ended hold gives the seat to general sale.
    again = await _hold(client, sid, ann, {"seats": [ROW_A[2]]})
    assert again.status_code == 201, again.text
    clock.advance(timedelta(minutes=30))
    await client.delete(f"/api/v1/holds/{again.json()['id']}", headers=ann)
    assert (await states(client, sid))[:5] == "aaaaa"
    assert await count_rows(runtime, Ticket) == 0
    anyone = await _hold(client, sid, bob, {"seats": ROW_A[:3]})
    assert anyone.status_code == 201, anyone.text

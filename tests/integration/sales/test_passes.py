"""Passes are sold and admitted (issue 27, item 1; INV5): a fixed-seat pass over three
sessions goes to exactly one of two buyers racing for it, its seat held or sold in all three
sessions or in none, given back in all three when the hold ends; paid, it is one ticket the
gate of each covered session admits once; a seatless pass sells up to its stock; a counter
sells a pass for cash within its clerk's outlet."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.catalog.catalog_factories import (
    STARTS,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.pass_factories import SEAT, festival_on_sale, make_pass, ok
from tests.integration.sales.purchase_steps import order_seats, pay_url
from tests.integration.sales.sale_factories import clerk_of, customers_with_tokens

from admit.catalog.models import Seat
from admit.checkin import manifests, validation
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.inventory.models import SessionSeat
from admit.sales import consistency, hold_endings
from admit.sales.models import Hold
from admit.ticketing import issue, qr_payload
from admit.ticketing.models import OrganiserKey, Ticket

pytestmark = pytest.mark.backends
ADMIN = "/api/v1/admin"


async def _seat(runtime: Runtime, sessions: list[int]) -> list[tuple[str, int | None]]:
    """The pass's seat in each session: (status, hold)."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.execute(
            select(SessionSeat.session_id, SessionSeat.status, SessionSeat.hold_id)
            .join(Seat, Seat.id == SessionSeat.seat_id)
            .where(SessionSeat.session_id.in_(sessions), Seat.key == SEAT)
            .order_by(SessionSeat.session_id)
        )
        return [(status, hold) for _, status, hold in rows]


async def test_two_buyers_race_for_a_fixed_seat_pass_and_exactly_one_gets_it(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    festival = await festival_on_sale(admin, clock)
    pid = await make_pass(admin, festival)
    buyers = await customers_with_tokens(runtime, 2)

    answers = await asyncio.gather(
        *(client.post(f"/api/v1/passes/{pid}/holds", headers=who, json={}) for who in buyers)
    )

    assert sorted(a.status_code for a in answers) == [201, 409]
    won = next(a.json() for a in answers if a.status_code == 201)
    lost = next(a.json() for a in answers if a.status_code == 409)
    assert lost["error"]["code"] == "pass_seat_taken"
    assert won["session_ids"] == festival.sessions
    assert won["seat"] == SEAT
    assert won["order"]["total"] == 20000
    assert [ln["ticket_type"] for ln in won["order"]["lines"]] == ["pass"]
    assert await _seat(runtime, festival.sessions) == [("held", won["hold_id"])] * 3
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        holds = (await uow.session.scalars(select(Hold.id).where(Hold.product_id == pid))).all()
    assert list(holds) == [won["hold_id"]]  # the loser left no hold and no seat behind

    clock.advance(timedelta(minutes=16))
    async with runtime.uow(TEST_ACTOR) as uow:
        assert await hold_endings.expire_due(uow, now=clock.now()) == 1

    assert await _seat(runtime, festival.sessions) == [("available", None)] * 3
    assert await _problems(runtime) == []
    loser = buyers[[a.status_code for a in answers].index(409)]
    again = await client.post(f"/api/v1/passes/{pid}/holds", headers=loser, json={})
    assert again.status_code == 201, again.text
    assert await _seat(runtime, festival.sessions) == [("held", again.json()["hold_id"])] * 3


async def test_a_seat_taken_in_one_session_keeps_the_pass_from_every_session(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    festival = await festival_on_sale(admin, clock)
    pid = await make_pass(admin, festival)
    other, buyer = await customers_with_tokens(runtime, 2)
    await order_seats(client, festival.sessions[1], other, [SEAT], "single-ticket-1")

    refused = await client.post(f"/api/v1/passes/{pid}/holds", headers=buyer, json={})

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "pass_seat_taken"
    assert refused.json()["error"]["details"]["sessions"] == [festival.sessions[1]]
    states = await _seat(runtime, festival.sessions)
    assert [states[0], states[2]] == [("available", None)] * 2  # nothing kept elsewhere
    assert states[1][0] == "held"


async def test_a_paid_pass_is_sold_everywhere_and_its_ticket_admitted_once_per_session(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    festival = await festival_on_sale(admin, clock)
    pid = await make_pass(admin, festival)
    (buyer,) = await customers_with_tokens(runtime, 1)
    held = ok(await client.post(f"/api/v1/passes/{pid}/holds", headers=buyer, json={}), 201)
    number = held["order"]["number"]

    await bank.decide(await pay_url(client, number, buyer))
    await bank.settled()

    assert ok(await client.get(f"/api/v1/orders/{number}", headers=buyer))["status"] == "paid"
    assert await _seat(runtime, festival.sessions) == [("sold", held["hold_id"])] * 3
    assert await _problems(runtime) == []
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        tickets = (await uow.session.scalars(select(Ticket))).all()
    assert [(t.order_number, t.product_id, t.ticket_type) for t in tickets] == [
        (number, pid, "pass")
    ]
    (ticket,) = tickets
    for day, sid in enumerate(festival.sessions):
        async with runtime.uow(TEST_ACTOR) as uow:
            doc = await manifests.document(
                uow, runtime.crypto, session_id=sid, since=None, now=clock.now()
            )
        assert [row[0] for row in doc["tickets"]] == [ticket.code]
        gate = validation.Validator(validation.Manifest.from_document(doc))
        at = STARTS + timedelta(days=day) - timedelta(hours=1)
        assert gate.scan(ticket.qr, gate="MAIN", now=at).result == "admitted"
        assert gate.scan(ticket.qr, gate="MAIN", now=at).result == "already_inside"
        assert gate.scan(ticket.qr, gate="MAIN", now=at, direction="out").result == "exited"
        assert gate.scan(ticket.qr, gate="MAIN", now=at).result == "already_used"
    keys = {k.kid: k.public_key for k in await _keys(runtime)}
    assert qr_payload.verify(ticket.qr, keys)[1].kind == "P"


async def _problems(runtime: Runtime) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return await consistency.problems(uow)


async def _keys(runtime: Runtime) -> list[OrganiserKey]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return await issue.public_keys(uow)


async def test_a_counter_sells_a_pass_for_cash_within_its_outlet(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    festival = await festival_on_sale(admin, clock)
    pid = await make_pass(admin, festival)
    clerk = await clerk_of(runtime, "BO-1", "kiosk1")
    stranger = await clerk_of(runtime, "BO-2", "kiosk2")
    url = f"/api/v1/counter/passes/{pid}/holds"
    body = {"channel": "box_office", "outlet": "BO-1"}

    refused = await client.post(url, headers=stranger, json=body)
    held = ok(await client.post(url, headers=clerk, json=body), 201)
    number = held["order"]["number"]
    paid = ok(
        await client.post(
            f"/api/v1/counter/orders/{number}/cash", headers=clerk, json={"received": 20000}
        )
    )

    assert refused.status_code == 403
    assert paid["order"]["status"] == "paid"
    assert await _seat(runtime, festival.sessions) == [("sold", held["hold_id"])] * 3
    tickets = ok(await client.get(f"/api/v1/counter/orders/{number}/tickets", headers=clerk))
    assert [t["ticket_type"] for t in tickets] == ["pass"]


async def test_a_seatless_pass_sells_up_to_its_stock(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    festival = await festival_on_sale(admin, clock)
    pid = await make_pass(admin, festival, seat_mode="none", fixed_seat_key=None, stock=1)
    buyers = await customers_with_tokens(runtime, 2)

    listed = ok(await client.get("/api/v1/passes", headers={"Authorization": ""}))
    answers = await asyncio.gather(  # two buyers for the last one
        *(client.post(f"/api/v1/passes/{pid}/holds", headers=who, json={}) for who in buyers)
    )
    codes = [a.status_code for a in answers]
    won, lost = codes.index(201), codes.index(409)
    held = answers[won].json()
    ok(await client.delete(f"/api/v1/holds/{held['hold_id']}", headers=buyers[won]))
    again = await client.post(f"/api/v1/passes/{pid}/holds", headers=buyers[lost], json={})

    assert [p["id"] for p in listed] == [pid]
    assert held["seat"] is None
    assert answers[lost].json()["error"]["code"] == "pass_sold_out"
    assert again.status_code == 201, again.text
    assert await _seat(runtime, festival.sessions) == [("available", None)] * 3
    assert await _problems(runtime) == []


async def test_a_late_payment_takes_the_pass_seat_again_in_every_session(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    festival = await festival_on_sale(admin, clock)
    pid = await make_pass(admin, festival)
    (buyer,) = await customers_with_tokens(runtime, 1)
    await bank.control(lose_notifications=True)  # only a query will reveal the payment
    held = ok(await client.post(f"/api/v1/passes/{pid}/holds", headers=buyer, json={}), 201)
    await bank.decide(await pay_url(client, held["order"]["number"], buyer))
    clock.advance(timedelta(minutes=16))

    await run_once(runtime)  # the hold expires: the seat comes back in all three sessions
    lapsed = await _seat(runtime, festival.sessions)
    await run_once(runtime)  # the late payment takes it again in all three

    assert lapsed == [("available", None)] * 3
    assert await _seat(runtime, festival.sessions) == [("sold", held["hold_id"])] * 3
    order = ok(await client.get(f"/api/v1/orders/{held['order']['number']}", headers=buyer))
    assert order["status"] == "paid"
    assert await _problems(runtime) == []

"""Selling a cinema's own seats through its box-office system (C2), against the cinema
simulator on a real socket and the bank simulator: lock → pay → confirm → SMS with the
cinema's pickup codes; a refused lock charges nothing; a declined payment releases the lock;
a confirmation that times out is found by polling; a confirmation finally refused is
refunded; a seat sold at the cinema's counter is refused and the plan refreshed."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from admit.core import outbox
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.partners.handover import CONFIRM_JOB
from admit.partners.models import PartnerLock
from admit.payments.models import Payment, Refund
from admit.sales.models import Hold, Order
from admit.ticketing.models import Ticket
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.partners.conftest import CinemaSim
from tests.integration.partners.partner_flows import (
    API,
    buy,
    count,
    first_session,
    hold,
    order_and_pay,
    order_of,
    work,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import customers_with_tokens, states

SEATS = ["L1-HALL-A-5", "L1-HALL-A-6"]
CODES = ["A-5", "A-6"]
STD = 4500  # the cinema's standard price


async def _balances(admin: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, int]:
    body = (await admin.get(f"{API}/admin/finance/ledger/balances", headers=headers)).json()
    assert body["total"] == 0
    assert body["unbalanced_entries"] == []
    return {k: v for k, v in body["accounts"].items() if v}


async def test_lock_pay_confirm_and_the_sms_carries_the_cinemas_pickup_code(
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    staff = dict(admin.headers)
    sid, code = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    admin.headers.pop("Authorization")

    held = await hold(admin, sid, ann, SEATS)
    assert held.status_code == 201, held.text
    (lock,) = await cinema.locks()
    assert (lock["session"], lock["seats"], lock["status"]) == (code, CODES, "locked")
    assert (await cinema.seats(code))["A-5"] == "locked"

    number, pay_url = await order_and_pay(admin, held.json()["id"], ann, SEATS, "k1")
    assert (await order_of(admin, number, ann))["total"] == 2 * STD
    assert (await bank.decide(pay_url)).status_code == 303
    await bank.settled()
    # Paid, and waiting for the cinema: confirm pending is a state, not an error.
    assert (await order_of(admin, number, ann))["status"] == "confirm_pending"
    assert await count(runtime, Ticket) == 0

    await work(runtime)
    order = await order_of(admin, number, ann)
    assert order["status"] == "paid"
    (sold,) = await cinema.orders()
    assert (sold["order_no"], sold["seats"], sold["amount"], sold["status"]) == (
        number,
        CODES,
        2 * STD,
        "confirmed",
    )
    assert (await cinema.seats(code))["A-5"] == "sold"
    assert (await states(admin, sid))[4:6] == "ss"  # seats, ordinals 4 and 5
    assert await count(runtime, Ticket, Ticket.order_number == number) == 2

    (sent,) = [m for m in sms.sent if m.template == "SMS_PARTNER_CONFIRMED"]
    assert sent.params["order"] == number
    assert sent.params["print_no"] == sold["print_no"]
    assert sent.params["verify"] == sold["verify_code"]
    assert sent.params["seats"] == "Hall 1 Row A Seats 5, 6"
    assert sent.params["cinema"] == "Lumière Riverside"
    assert [m.template for m in sms.sent] == ["SMS_PARTNER_CONFIRMED"]

    (row,) = (await admin.get(f"{API}/admin/partners/orders", headers=staff)).json()
    assert (row["status"], row["order_number"], row["print_no"], row["order_code"]) == (
        "confirmed",
        number,
        sold["print_no"],
        sold["order_code"],
    )
    organiser = await _organiser_of(admin, staff, row["cinema_id"])
    assert await _balances(admin, staff) == {
        "gateway:bank": 2 * STD,
        f"organiser:{organiser}:payable": -2 * STD,
    }


async def _organiser_of(admin: httpx.AsyncClient, staff: dict[str, str], cinema_id: int) -> int:
    cinemas = (await admin.get(f"{API}/admin/partners/cinemas", headers=staff)).json()
    return int(next(c["organiser_id"] for c in cinemas if c["id"] == cinema_id))


async def test_a_refused_lock_tells_the_customer_and_charges_nothing(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim
) -> None:
    sid, _ = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    await cinema.control(refuse_next_locks=1)
    before = await states(client, sid)

    refused = await hold(client, sid, ann, SEATS)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "partner_lock_refused"
    assert refused.json()["error"]["details"]["reason"] == "lock_refused"
    assert await count(runtime, Hold) == 0
    assert await count(runtime, Order) == 0
    assert await count(runtime, Payment) == 0
    assert await count(runtime, PartnerLock) == 0
    assert await cinema.locks() == []
    assert await states(client, sid) == before


async def test_a_declined_payment_releases_the_cinemas_lock(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
) -> None:
    sid, code = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    held = await hold(client, sid, ann, SEATS)
    number, pay_url = await order_and_pay(client, held.json()["id"], ann, SEATS, "decline")
    assert (await bank.decide(pay_url, "decline")).status_code == 303
    await bank.settled()
    assert (await order_of(client, number, ann))["status"] == "cancelled"
    assert (await states(client, sid))[4:6] == "aa"
    (lock,) = await cinema.locks()
    assert lock["status"] == "locked"  # the unlock goes after commit, by the worker

    await work(runtime)
    (lock,) = await cinema.locks()
    assert lock["status"] == "released"
    assert (await cinema.seats(code))["A-5"] == "available"
    assert await count(runtime, PartnerLock, PartnerLock.status == "released") == 1
    assert await count(runtime, Ticket) == 0


async def test_a_confirmation_that_times_out_is_found_by_polling_once(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    sid, _ = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    await cinema.control(timeout_next={"SubmitOrder": 1}, timeout_done=True)
    number = await buy(client, bank, sid, ann, SEATS, "slow")

    await work(runtime)  # the submit's answer never comes; the order is found by a query
    assert (await order_of(client, number, ann))["status"] == "paid"
    (sold,) = await cinema.orders()
    assert sold["order_no"] == number
    await work(runtime)  # running again changes nothing: one set of tickets
    async with runtime.uow(TEST_ACTOR) as uow:
        hold_id = await uow.session.scalar(
            select(PartnerLock.hold_id).where(PartnerLock.order_number == number)
        )
        await outbox.enqueue(
            uow, kind=CONFIRM_JOB, payload={"hold": hold_id}, now=runtime.clock.now()
        )
    await work(runtime)
    assert await count(runtime, Ticket, Ticket.order_number == number) == 2
    assert len(await cinema.orders()) == 1
    assert [m.params["print_no"] for m in sms.sent if m.template == "SMS_PARTNER_CONFIRMED"] == [
        sold["print_no"]
    ]


async def test_a_confirmation_not_made_stays_pending_and_is_asked_again(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
    clock: FixedClock,
) -> None:
    sid, _ = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    await cinema.control(timeout_next={"SubmitOrder": 1}, timeout_done=False)
    number = await buy(client, bank, sid, ann, SEATS, "lost")

    await work(runtime)
    assert (await order_of(client, number, ann))["status"] == "confirm_pending"
    assert await cinema.orders() == []
    assert (await states(client, sid))[4:6] == "hh"  # nobody else can take them meanwhile
    clock.advance(timedelta(seconds=3))
    await work(runtime)
    assert (await order_of(client, number, ann))["status"] == "paid"
    assert [o["order_no"] for o in await cinema.orders()] == [number]
    assert await count(runtime, Ticket, Ticket.order_number == number) == 2


async def test_a_duplicated_stale_answer_is_not_taken_for_this_order(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    sid, _ = await first_session(runtime, admin)
    ann, bob = await customers_with_tokens(runtime, 2, first=1)
    first = await buy(client, bank, sid, ann, SEATS, "first")
    await work(runtime)
    await cinema.control(
        duplicate_next={"SubmitOrder": 1}
    )  # the next submit is answered with the last one
    second = await buy(client, bank, sid, bob, ["L1-HALL-B-1"], "second")
    await work(runtime)

    orders = {o["order_no"]: o for o in await cinema.orders()}
    assert sorted(orders) == sorted([first, second])
    codes = {
        m.params["order"]: m.params["print_no"]
        for m in sms.sent
        if m.template == "SMS_PARTNER_CONFIRMED"
    }
    assert codes == {first: orders[first]["print_no"], second: orders[second]["print_no"]}
    assert (await order_of(client, second, bob))["status"] == "paid"


async def test_a_confirmation_finally_refused_is_refunded_and_the_ledger_balances(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    staff = dict(admin.headers)
    sid, code = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    client.headers.pop("Authorization")
    await cinema.control(refuse_next_submits=1)
    number = await buy(client, bank, sid, ann, SEATS, "refused")

    await work(runtime)
    assert (await order_of(client, number, ann))["status"] == "confirm_failed"
    assert await count(runtime, Ticket) == 0
    assert (
        await count(runtime, Refund, Refund.reason == "partner_refused", Refund.status == "done")
        == 1
    )
    (trade,) = await bank.trades()
    assert trade["refunded"] == 2 * STD
    (told,) = [m for m in sms.sent if m.template == "SMS_PAYMENT_REFUNDED"]
    assert told.params == {
        "order": number,
        "amount": "90.00 CNY",
        "reason": "the cinema could not confirm seats",
    }
    assert not [m for m in sms.sent if m.template.endswith("CONFIRMED")]
    assert await _balances(admin, staff) == {}  # captured and refunded: every account at 0
    (lock,) = await cinema.locks()
    assert lock["status"] == "released"
    assert (await cinema.seats(code))["A-5"] == "available"
    assert (await states(client, sid))[4:6] == "aa"


async def test_a_seat_sold_at_the_cinemas_counter_is_refused_and_the_plan_refreshed(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim
) -> None:
    sid, code = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    assert (await states(client, sid))[4:6] == "aa"  # the platform shows both seats free
    sold = await cinema.counter_sale("C001", code, ["A-5"])
    assert sold.status_code == 200, sold.text
    assert (await states(client, sid))[4:6] == "aa"  # …until someone asks the cinema

    refused = await hold(client, sid, ann, SEATS)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["details"]) == (
        "partner_lock_refused",
        {"reason": "seat_unavailable", "seats": ["L1-HALL-A-5"]},
    )
    assert (await states(client, sid))[4:6] == "ba"  # refreshed from the cinema
    assert await count(runtime, Hold) == 0
    assert await cinema.locks() == []
    again = await hold(client, sid, ann, ["L1-HALL-A-6"])
    assert again.status_code == 201, again.text


async def test_best_available_seats_are_chosen_from_the_mirror_then_locked(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim
) -> None:
    sid, code = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    best = await client.post(
        f"{API}/sessions/{sid}/holds",
        headers=ann,
        json={"best": {"level": "VIP", "quantity": 2}},
    )
    assert best.status_code == 201, best.text
    seats = best.json()["seats"]
    (lock,) = await cinema.locks()
    assert lock["seats"] == [s.removeprefix("L1-HALL-") for s in seats]
    assert {s.split("-")[2] for s in seats} == {"F"}  # the first VIP row, side by side
    assert abs(int(seats[0].split("-")[3]) - int(seats[1].split("-")[3])) == 1
    standing = await client.post(
        f"{API}/sessions/{sid}/holds", headers=ann, json={"places": [{"area": "GA", "quantity": 1}]}
    )
    assert standing.status_code == 400
    assert len(await cinema.locks()) == 1

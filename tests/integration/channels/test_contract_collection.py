"""Collecting a contract lock (issue 19, item 2; RN2): the lock's seats become one paid order
for the client, each ticket issued to its verified holder and paid from the client's offline
payments — or, when those do not cover it, nothing is written. A lock's seats are never held
through an ordinary sale, not even by a customer linked to the client. On SQLite and
PostgreSQL (whose hold is ``admit_hold``, migration 0045)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from admit.accounts import verification
from admit.accounts.identity_models import Identity
from admit.channels.contract_models import ContractHolder, ContractLock
from admit.checkin import manifests
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.finance import ledger
from admit.finance.models import LedgerLine
from admit.payments.models import Payment
from admit.sales import consistency
from admit.sales.models import Hold, Order
from admit.ticketing import qr_payload
from admit.ticketing.models import Ticket
from tests.conftest import TEST_ACTOR
from tests.integration.accounts.customer_flows import count, error, ok
from tests.integration.accounts.identity_documents import LI, ZHANG
from tests.integration.channels.contract_world import (
    contract_window,
    manager_of,
    rep_of,
    set_client_quota,
    set_total,
    url,
)
from tests.integration.clients.client_factories import ADMIN, link_customer, make_client, reserve
from tests.integration.sales.sale_factories import ROW_A, ROW_B, customers_with_ids, on_sale, states

pytestmark = pytest.mark.backends
PRICE_A = 8000  # level A's adult price (``on_sale``)
HOLDERS = f"name,doc_type,number\n张三,cn_id,{ZHANG}\n李四,cn_id,{LI}\n"


@dataclass(frozen=True)
class Ready:
    """A session on sale, the client Acme with a lock of two seats of row A, each with a
    verified holder, and its rep's header."""

    sid: int
    acme: int
    lock: int
    rep: dict[str, str]
    holders: dict[str, int]  # seat → identity id

    @property
    def collect(self) -> str:
        return url(self.acme, f"/locks/{self.lock}/collect")


async def _ready(admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime) -> Ready:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    sid = await on_sale(admin, clock)
    acme = await make_client(admin, "Acme")
    await set_total(admin, sid, A=5)
    await set_client_quota(admin, acme, sid, A=5)
    manager = await manager_of(runtime, admin, acme, "acme-manager")
    rep = (await rep_of(runtime, acme, "acme-rep")).headers
    imported = await client.post(
        f"{ADMIN}/clients/{acme}/contract-holders",
        content=HOLDERS.encode(),
        headers={**manager.headers, "Content-Type": "text/csv"},
    )
    zhang, li = (row["holder_id"] for row in ok(imported)["rows"])
    lock = ok(
        await client.post(
            url(acme, "/locks"), json={"session_id": sid, "level": "A", "quantity": 2}, headers=rep
        ),
        201,
    )
    seats = url(acme, f"/locks/{lock['id']}/seats")
    ok(await client.post(seats, json={"seats": ROW_A[:2]}, headers=rep))
    matches = [{"seat": ROW_A[0], "holder_id": zhang}, {"seat": ROW_A[1], "holder_id": li}]
    holders = url(acme, f"/locks/{lock['id']}/holders")
    ok(await client.put(holders, json={"matches": matches}, headers=rep))
    identities = {}
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        for seat, holder_id in ((ROW_A[0], zhang), (ROW_A[1], li)):
            holder = await uow.session.get(ContractHolder, holder_id)
            assert holder is not None
            identities[seat] = holder.identity_id
    for identity_id in identities.values():
        await verification.verify_now(runtime, identity_id)
    return Ready(sid, acme, lock["id"], rep, identities)


async def _pay(client: httpx.AsyncClient, ready: Ready, amount: int, reference: str) -> None:
    body = {"session_id": ready.sid, "amount": amount, "reference": reference}
    ok(await client.post(url(ready.acme, "/payments"), json=body, headers=ready.rep), 201)


async def _problems(runtime: Runtime) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return await consistency.problems(uow)


async def _balances(runtime: Runtime) -> dict[str, int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return await ledger.balances(uow)


async def test_a_collected_lock_is_a_paid_order_with_the_holders_tickets(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    ready = await _ready(admin, client, runtime)
    await _pay(client, ready, 2 * PRICE_A, "BANK-001")
    before = await _balances(runtime)

    # The order is sold on the session's client_rep window's terms: none, no collection.
    error(await client.post(ready.collect, headers=ready.rep), 409, "no_contract_window")
    await contract_window(admin, ready.sid)
    done = ok(await client.post(ready.collect, headers=ready.rep))

    assert done["collected_at"] is not None
    assert (done["total"], done["currency"]) == (2 * PRICE_A, "CNY")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        order = await uow.session.scalar(select(Order).where(Order.number == done["order_number"]))
        assert order is not None
        payment = await uow.session.scalar(select(Payment).where(Payment.number == done["payment"]))
        tickets = list(
            await uow.session.scalars(select(Ticket).where(Ticket.order_number == order.number))
        )
        names = {
            seat: await uow.session.scalar(
                select(Identity.name_masked).where(Identity.id == identity_id)
            )
            for seat, identity_id in ready.holders.items()
        }
    assert (order.status, order.buyer, order.channel, order.paid_by) == (
        "paid",
        f"client:{ready.acme}",
        "client_rep",
        done["payment"],
    )
    assert payment is not None
    assert (payment.method, payment.status, payment.amount, payment.outlet) == (
        "offline",
        "captured",
        2 * PRICE_A,
        f"client:{ready.acme}",
    )
    # One valid ticket per seat, in its holder's (verified, masked) name.
    assert sorted((t.seat_key, t.holder_name, t.status) for t in tickets) == [
        (seat, names[seat], "valid") for seat in ROW_A[:2]
    ]
    assert all(names.values())
    assert sorted((t["seat"], t["code"], t["holder_name"]) for t in done["tickets"]) == sorted(
        (t.seat_key, t.code, t.holder_name) for t in tickets
    )
    # The seats are sold, no longer the client's; the QR verifies with the organiser's key and
    # the gates' manifest has the tickets.
    assert (await states(client, ready.sid))[:3] == "ssa"
    keys = (await client.get(f"/api/v1/organisers/{tickets[0].organiser_id}/ticket-keys")).json()
    public = {
        k["kid"]: base64.urlsafe_b64decode(k["public_key"] + "=" * (-len(k["public_key"]) % 4))
        for k in keys
    }
    for ticket in tickets:
        _, claims = qr_payload.verify(ticket.qr, public)
        assert (claims.code, claims.session_id, claims.seat) == (
            ticket.code,
            ready.sid,
            ticket.seat_key,
        )
    async with runtime.uow(TEST_ACTOR) as uow:
        doc = await manifests.document(
            uow, runtime.crypto, session_id=ready.sid, since=None, now=clock.now()
        )
    assert sorted(row[0] for row in doc["tickets"]) == sorted(t.code for t in tickets)

    # The money was counted when the client paid: the organiser's payable and the client's
    # offline account are as they were; every entry balances; the checker finds nothing.
    after = await _balances(runtime)
    payable = f"organiser:{tickets[0].organiser_id}:payable"
    for account in (payable, f"offline:client:{ready.acme}"):
        assert after[account] == before[account]
    assert after[f"offline:client:{ready.acme}"] == 2 * PRICE_A
    assert await _problems(runtime) == []

    error(await client.post(ready.collect, headers=ready.rep), 409, "lock_collected")
    stats = ok(await admin.get(f"{ADMIN}/contract/stats", params={"session_id": ready.sid}))
    assert stats["clients"][str(ready.acme)]["collected"] == 2


async def test_a_lock_the_offline_payments_do_not_cover_is_not_collected(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    ready = await _ready(admin, client, runtime)
    await contract_window(admin, ready.sid)
    await _pay(client, ready, PRICE_A, "BANK-001")  # one seat's worth of two
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        lines_before = await uow.session.scalar(select(func.count(LedgerLine.id)))

    short = error(
        await client.post(ready.collect, headers=ready.rep), 409, "offline_payments_short"
    )
    assert short["details"] == {"due": 2 * PRICE_A, "available": PRICE_A, "currency": "CNY"}
    # Nothing written: no hold, order, payment or ticket; the seats still the client's.
    assert [await count(runtime, m) for m in (Hold, Order, Payment, Ticket)] == [0, 0, 0, 0]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await uow.session.scalar(select(func.count(LedgerLine.id))) == lines_before
        lock = await uow.session.get(ContractLock, ready.lock)
        assert lock is not None
        assert lock.collected_at is None
    assert (await states(client, ready.sid))[:2] == "rr"

    # A second transfer covers it; what a collection takes is spent: a payment covers once.
    await _pay(client, ready, PRICE_A, "BANK-002")
    ok(await client.post(ready.collect, headers=ready.rep))
    assert await _problems(runtime) == []


async def test_a_linked_customer_cannot_hold_a_locked_seat(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """A customer linked to the client holds the client's ordinary reservation (INV3), never
    its contract seats: those are sold by collecting the lock."""
    ready = await _ready(admin, client, runtime)
    ((cid, ann),) = await customers_with_ids(runtime, 1)
    await link_customer(admin, ready.acme, cid)
    until = clock.now().replace(year=2027).isoformat()
    reserved = await reserve(admin, ready.sid, {"seats": ROW_B[:1]}, until, client="Acme")
    assert reserved.status_code == 200, reserved.text
    holds = f"/api/v1/sessions/{ready.sid}/holds"

    for seats in ([ROW_A[0]], ROW_A[:2], [ROW_A[1], ROW_B[0]]):
        refused = error(
            await client.post(holds, headers=ann, json={"seats": seats}), 409, "seat_reserved"
        )
        assert refused["details"]["seats"] == [s for s in seats if s in ROW_A[:2]]
    assert (await states(client, ready.sid))[:2] == "rr"
    ok(await client.post(holds, headers=ann, json={"seats": ROW_B[:1]}), 201)

    # The lock is still whole: it collects.
    await contract_window(admin, ready.sid)
    await _pay(client, ready, 2 * PRICE_A, "BANK-001")
    ok(await client.post(ready.collect, headers=ready.rep))
    assert await _problems(runtime) == []

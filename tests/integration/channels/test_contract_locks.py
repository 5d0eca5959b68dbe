"""Contract clients through their routes (issue 19, item 2), on SQLite and PostgreSQL:
account managers, the contract total and client quotas, a rep's offline payment, quantity
locks with each refusal leaving nothing taken, seat locks against a quantity, the client
scope of a rep's grant, and the statistics per client and rep."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from admit.core.clock import FixedClock
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from admit.finance.models import LedgerLine
from tests.conftest import TEST_ACTOR
from tests.integration.accounts.customer_flows import error, ok
from tests.integration.channels.contract_world import (
    person,
    rep_of,
    set_client_quota,
    set_total,
    url,
)
from tests.integration.clients.client_factories import ADMIN, make_client
from tests.integration.sales.sale_factories import ROW_A, ROW_B, on_sale, states

pytestmark = pytest.mark.backends


async def _lock(
    client: httpx.AsyncClient,
    rep: dict[str, str],
    client_id: int,
    sid: int,
    n: int,
    level: str = "A",
) -> httpx.Response:
    body = {"session_id": sid, "level": level, "quantity": n}
    return await client.post(url(client_id, "/locks"), json=body, headers=rep)


async def test_account_managers_are_kept_on_the_client(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    acme = await make_client(admin, "Acme")
    manager = await person(runtime, "am-1", Grant(Role.TICKET_OPS))
    body = ok(
        await admin.post(f"{ADMIN}/clients/{acme}/managers", json={"staff_id": manager.staff_id})
    )
    assert body["managers"] == [manager.staff_id]
    error(
        await admin.post(f"{ADMIN}/clients/{acme}/managers", json={"staff_id": 999999}),
        404,
        "not_found",
    )
    gone = {"staff_id": manager.staff_id, "linked": False}
    assert ok(await admin.post(f"{ADMIN}/clients/{acme}/managers", json=gone))["managers"] == []


async def test_a_lock_takes_from_the_quotas_and_the_free_seats_at_once(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    acme, bolt = await make_client(admin, "Acme"), await make_client(admin, "Bolt")
    rep = (await rep_of(runtime, acme, "acme-rep")).headers
    bolt_rep = (await rep_of(runtime, bolt, "bolt-rep")).headers

    error(await _lock(client, rep, acme, sid, 2), 409, "no_contract_quota")
    await set_total(admin, sid, A=7)
    error(await _lock(client, rep, acme, sid, 2), 409, "no_client_quota")
    await set_client_quota(admin, acme, sid, A=6)
    await set_client_quota(admin, bolt, sid, A=5)

    lock = ok(await _lock(client, rep, acme, sid, 3), 201)
    assert (lock["quantity"], lock["seated"], lock["seats"]) == (3, 0, [])
    assert (await states(client, sid))[:10] == "rrr" + "a" * 7  # reserved for Acme

    # Each refusal names its bound, and takes nothing.
    refused = error(await _lock(client, rep, acme, sid, 4), 409, "client_quota_exceeded")
    assert refused["details"] == {"quota": 6, "locked": 3, "asked": 4}
    error(await _lock(client, bolt_rep, bolt, sid, 5), 409, "contract_quota_exceeded")
    await set_total(admin, sid, A=20)
    ok(await _lock(client, bolt_rep, bolt, sid, 5), 201)
    unavailable = error(await _lock(client, rep, acme, sid, 3), 409, "session_unavailable")
    assert unavailable["details"] == {"available": 2}
    quotas = ok(await admin.get(f"{ADMIN}/contract/sessions/{sid}/quotas"))
    assert quotas["total"] == [{"level": "A", "quota": 20, "locked": 8, "client_id": None}]
    assert [(q["client_id"], q["locked"]) for q in quotas["clients"]] == [(acme, 3), (bolt, 5)]
    assert (await states(client, sid))[:10] == "r" * 8 + "aa"

    # A quota never goes below what is locked; an unknown level is 404.
    body = {"levels": [{"level": "A", "quota": 2}]}
    error(
        await admin.put(f"{ADMIN}/clients/{acme}/contract-quotas/{sid}", json=body),
        409,
        "quota_below_locked",
    )
    body = {"levels": [{"level": "Z", "quota": 2}]}
    error(await admin.put(f"{ADMIN}/contract/sessions/{sid}/quotas", json=body), 404, "not_found")


async def test_a_rep_reaches_its_own_client_only(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    acme, bolt = await make_client(admin, "Acme"), await make_client(admin, "Bolt")
    await set_total(admin, sid, A=6)
    await set_client_quota(admin, bolt, sid, A=5)
    rep = (await rep_of(runtime, acme, "acme-rep")).headers
    clerk = await person(runtime, "kiosk", Grant(Role.KIOSK_STAFF, ScopeKind.OUTLET, "BO-1"))

    error(await _lock(client, rep, bolt, sid, 1), 403, "forbidden")
    error(await _lock(client, clerk.headers, bolt, sid, 1), 403, "forbidden")
    error(await client.get(url(bolt, "/locks"), headers=rep), 403, "forbidden")
    # The rep's grant reaches no other kind of route: not the counter, not client admin.
    error(await client.get(f"{ADMIN}/clients", headers=rep), 403, "forbidden")
    assert ok(await client.get(url(acme, "/locks"), headers=rep)) == []


async def test_seats_are_locked_against_the_quantity(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    acme, bolt = await make_client(admin, "Acme"), await make_client(admin, "Bolt")
    await set_total(admin, sid, A=10)
    await set_client_quota(admin, acme, sid, A=5)
    await set_client_quota(admin, bolt, sid, A=5)
    rep = (await rep_of(runtime, acme, "acme-rep")).headers
    bolt_rep = (await rep_of(runtime, bolt, "bolt-rep")).headers
    first = ok(await _lock(client, rep, acme, sid, 2), 201)
    second = ok(await _lock(client, rep, acme, sid, 1), 201)
    ok(await _lock(client, bolt_rep, bolt, sid, 2), 201)  # ROW_A 4–5
    seats = url(acme, f"/locks/{first['id']}/seats")

    # Not the client's (Bolt's, or free), or not a seat of the session: refused whole.
    refused = error(
        await client.post(seats, json={"seats": [ROW_A[0], ROW_A[3], ROW_B[0]]}, headers=rep),
        409,
        "seats_not_lockable",
    )
    assert refused["details"] == {"seats": [ROW_A[3], ROW_B[0]]}
    error(await client.post(seats, json={"seats": ["NO-SUCH-SEAT"]}, headers=rep), 404, "not_found")
    # More than the quantity: refused.
    error(
        await client.post(seats, json={"seats": ROW_A[:3]}, headers=rep),
        409,
        "lock_quantity_exceeded",
    )

    body = ok(await client.post(seats, json={"seats": [ROW_A[1]]}, headers=rep))
    assert (body["seated"], body["seats"]) == (1, [{"seat": ROW_A[1], "holder_id": None}])
    # A seat already in a lock is in no other.
    other = url(acme, f"/locks/{second['id']}/seats")
    error(
        await client.post(other, json={"seats": [ROW_A[1]]}, headers=rep), 409, "seats_not_lockable"
    )
    ok(await client.post(other, json={"seats": [ROW_A[2]]}, headers=rep))
    # Another client's lock is not found through this client.
    error(
        await client.post(
            url(bolt, f"/locks/{first['id']}/seats"), json={"seats": [ROW_A[0]]}, headers=bolt_rep
        ),
        404,
        "not_found",
    )


async def test_offline_payments_reach_the_ledger_and_the_statistics(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    acme = await make_client(admin, "Acme")
    await set_total(admin, sid, A=10)
    await set_client_quota(admin, acme, sid, A=6)
    ann, bob = await rep_of(runtime, acme, "ann"), await rep_of(runtime, acme, "bob")
    paid = {"session_id": sid, "amount": 24000, "reference": "BANK-001"}
    payment = ok(await client.post(url(acme, "/payments"), json=paid, headers=ann.headers), 201)
    assert (payment["amount"], payment["currency"], payment["recorded_by"]) == (
        24000,
        "CNY",
        ann.staff_id,
    )
    error(
        await client.post(url(acme, "/payments"), json=paid, headers=bob.headers),
        409,
        "payment_already_recorded",
    )
    missing = {**paid, "session_id": 999999, "reference": "BANK-002"}
    error(
        await client.post(url(acme, "/payments"), json=missing, headers=bob.headers),
        404,
        "not_found",
    )
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        lines = {
            row.account: row.amount
            for row in await uow.session.execute(select(LedgerLine.account, LedgerLine.amount))
        }
        balance = await uow.session.scalar(select(func.sum(LedgerLine.amount)))
    assert lines[f"offline:client:{acme}"] == 24000
    assert balance == 0

    lock = ok(await _lock(client, ann.headers, acme, sid, 2), 201)
    ok(await _lock(client, bob.headers, acme, sid, 1), 201)
    ok(
        await client.post(
            url(acme, f"/locks/{lock['id']}/seats"), json={"seats": ROW_A[:1]}, headers=ann.headers
        )
    )

    stats = ok(await admin.get(f"{ADMIN}/contract/stats", params={"client_id": acme}))
    assert stats["clients"] == {
        str(acme): {"locked": 3, "seated": 1, "collected": 0, "paid": 24000}
    }
    assert stats["reps"] == {
        str(ann.staff_id): {"locked": 2, "seated": 1, "collected": 0, "paid": 24000},
        str(bob.staff_id): {"locked": 1, "seated": 0, "collected": 0, "paid": 0},
    }
    error(await client.get(f"{ADMIN}/contract/stats", headers=ann.headers), 403, "forbidden")


async def test_a_lock_whose_seat_left_the_client_is_not_collected(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """An operator released a seated seat's reservation (it went back on sale): collecting is
    refused, naming the seat."""
    sid = await on_sale(admin, clock)
    acme = await make_client(admin, "Acme")
    await set_total(admin, sid, A=2)
    await set_client_quota(admin, acme, sid, A=2)
    rep = (await rep_of(runtime, acme, "acme-rep")).headers
    lock = ok(await _lock(client, rep, acme, sid, 1), 201)
    seats = url(acme, f"/locks/{lock['id']}/seats")
    ok(await client.post(seats, json={"seats": ROW_A[:1]}, headers=rep))
    release = {"select": {"seats": ROW_A[:1]}}
    ok(await admin.post(f"{ADMIN}/sessions/{sid}/plan/reservations/release", json=release))
    collect = url(acme, f"/locks/{lock['id']}/collect")
    taken = error(await client.post(collect, headers=rep), 409, "seats_taken")
    assert taken["details"] == {"seats": ROW_A[:1]}


async def test_releasing_a_lock_gives_its_unseated_part_back(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """Three locked, one seated: the release gives two back to both quotas and to sale; a
    seat the plan reserved for the client (with an end) is not a lock's to seat."""
    sid = await on_sale(admin, clock)
    acme = await make_client(admin, "Acme")
    await set_total(admin, sid, A=3)
    await set_client_quota(admin, acme, sid, A=3)
    rep = (await rep_of(runtime, acme, "acme-rep")).headers
    planned = {"select": {"seats": [ROW_B[4]]}, "client_id": acme, "until": "2026-12-01T00:00:00Z"}
    ok(await admin.post(f"{ADMIN}/sessions/{sid}/plan/reservations", json=planned))
    lock = ok(await _lock(client, rep, acme, sid, 3), 201)
    seats = url(acme, f"/locks/{lock['id']}/seats")
    refused = error(
        await client.post(seats, json={"seats": [ROW_B[4]]}, headers=rep), 409, "seats_not_lockable"
    )
    assert refused["details"] == {"seats": [ROW_B[4]]}
    ok(await client.post(seats, json={"seats": [ROW_A[1]]}, headers=rep))
    assert (await states(client, sid))[:10] == "rrr" + "a" * 6 + "r"

    released = ok(await client.post(url(acme, f"/locks/{lock['id']}/release"), headers=rep))
    assert (released["quantity"], released["seated"]) == (1, 1)
    assert (await states(client, sid))[:10] == "ar" + "a" * 7 + "r"
    quotas = ok(await admin.get(f"{ADMIN}/contract/sessions/{sid}/quotas"))
    assert [q["locked"] for q in quotas["total"] + quotas["clients"]] == [1, 1]
    ok(await _lock(client, rep, acme, sid, 2), 201)  # what came back may be locked again

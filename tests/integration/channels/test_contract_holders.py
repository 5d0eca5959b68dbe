"""A contract client's holders (issue 19, item 2; RN2): imported in batch by the client's
account manager with a report per row (a refused row writes nothing), matched to a lock's
seats by a rep, and the tickets collected only once every holder is verified — a clear 409
naming the seats otherwise. On SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from admit.accounts import verification
from admit.accounts.identity_models import Identity
from admit.channels.contract_models import ContractHolder
from admit.clients.models import Client
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.integration.accounts.customer_flows import count, error, ok
from tests.integration.accounts.identity_documents import LI, NOBODY, PASSPORT, ZHANG
from tests.integration.channels.contract_world import (
    contract_window,
    manager_of,
    rep_of,
    set_client_quota,
    set_total,
    url,
)
from tests.integration.clients.client_factories import ADMIN, make_client
from tests.integration.sales.sale_factories import ROW_A, on_sale

pytestmark = pytest.mark.backends
CSV = {"Content-Type": "text/csv"}
HOLDERS = (
    "name,doc_type,number,nationality,visa_expires\n"
    f"张三,cn_id,{ZHANG},,\n"
    f"李四,cn_id,{LI},,\n"
    f"王五,cn_id,{NOBODY},,\n"
    f"John Smith,foreign_passport,{PASSPORT},US,2027-12-31\n"
    f"赵六,id_card,{ZHANG},,\n"  # no such document type
    "钱七,cn_id,110105194912310021,,\n"  # a wrong check character
    f"张三,cn_id,{ZHANG},,\n"  # the client has this holder already
    f",cn_id,{LI},,\n"  # no name
)


async def _import(
    client: httpx.AsyncClient, headers: dict[str, str], client_id: int, text: str
) -> httpx.Response:
    return await client.post(
        f"{ADMIN}/clients/{client_id}/contract-holders",
        content=text.encode(),
        headers={**headers, **CSV},
    )


async def test_holders_are_imported_row_by_row_by_an_account_manager(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    acme = await make_client(admin, "Acme")
    manager = await manager_of(runtime, admin, acme, "acme-manager")
    rep = await rep_of(runtime, acme, "acme-rep")

    # Only the client's account managers import; a malformed file is refused whole.
    error(await _import(client, admin.headers, acme, HOLDERS), 403, "not_account_manager")
    error(await _import(client, rep.headers, acme, HOLDERS), 403, "forbidden")
    bad = error(
        await _import(client, manager.headers, acme, "name,number\nx,1\n"), 400, "malformed_holders"
    )
    assert bad["details"] == {"columns": ["doc_type"]}
    error(await _import(client, manager.headers, 999999, HOLDERS), 404, "not_found")
    assert await count(runtime, ContractHolder) == 0

    report = ok(await _import(client, manager.headers, acme, HOLDERS))
    assert (report["accepted"], report["refused"]) == (4, 4)
    rows = {r["row"]: r for r in report["rows"]}
    assert [r for r in rows if rows[r]["accepted"]] == [1, 2, 3, 4]
    assert {r: rows[r]["code"] for r in (5, 6, 7, 8)} == {
        5: "invalid_input",
        6: "invalid_document",
        7: "conflict",
        8: "invalid_input",
    }
    assert all(rows[r]["reason"] for r in (5, 6, 7, 8))
    # Nothing of a refused row is written: four holders, four documents.
    assert await count(runtime, ContractHolder) == 4
    assert await count(runtime, Identity) == 4
    listed = ok(await client.get(url(acme, "/holders"), headers=rep.headers))
    assert [h["status"] for h in listed] == ["pending"] * 4
    assert listed[0]["document"] != ZHANG  # masked
    assert await count(runtime, Client) == 1


async def test_tickets_are_collected_only_when_every_holder_is_verified(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    acme = await make_client(admin, "Acme")
    await set_total(admin, sid, A=5)
    await set_client_quota(admin, acme, sid, A=5)
    manager = await manager_of(runtime, admin, acme, "acme-manager")
    rep = (await rep_of(runtime, acme, "acme-rep")).headers
    report = ok(await _import(client, manager.headers, acme, HOLDERS))
    zhang, li, nobody = (report["rows"][i]["holder_id"] for i in range(3))
    lock = ok(
        await client.post(
            url(acme, "/locks"), json={"session_id": sid, "level": "A", "quantity": 2}, headers=rep
        ),
        201,
    )
    collect = url(acme, f"/locks/{lock['id']}/collect")
    holders = url(acme, f"/locks/{lock['id']}/holders")

    assert error(await client.post(collect, headers=rep), 409, "lock_not_seated")["details"] == {
        "quantity": 2,
        "seated": 0,
    }
    ok(
        await client.post(
            url(acme, f"/locks/{lock['id']}/seats"), json={"seats": ROW_A[:2]}, headers=rep
        )
    )
    missing = error(await client.post(collect, headers=rep), 409, "holder_missing")
    assert missing["details"] == {"seats": ROW_A[:2]}

    # A holder goes on one seat of a lock; a seat not in the lock or another client's
    # holder is not found.
    twice = {
        "matches": [{"seat": ROW_A[0], "holder_id": zhang}, {"seat": ROW_A[1], "holder_id": zhang}]
    }
    error(await client.put(holders, json=twice, headers=rep), 400, "invalid_input")
    stray = {"matches": [{"seat": ROW_A[4], "holder_id": zhang}]}
    error(await client.put(holders, json=stray, headers=rep), 404, "not_found")
    matched = {
        "matches": [{"seat": ROW_A[0], "holder_id": zhang}, {"seat": ROW_A[1], "holder_id": nobody}]
    }
    body = ok(await client.put(holders, json=matched, headers=rep))
    assert [s["holder_id"] for s in body["seats"]] == [zhang, nobody]
    again = {"matches": [{"seat": ROW_A[1], "holder_id": zhang}]}
    error(await client.put(holders, json=again, headers=rep), 409, "holder_already_seated")

    # Nobody verified yet: refused, naming the seats.
    unverified = error(await client.post(collect, headers=rep), 409, "holders_unverified")
    assert unverified["details"] == {"seats": ROW_A[:2]}
    identities = {h: await _identity(runtime, h) for h in (zhang, li, nobody)}
    for identity_id in identities.values():
        await verification.verify_now(runtime, identity_id)
    # The public-security service knows Zhang and Li, not the third person.
    unverified = error(await client.post(collect, headers=rep), 409, "holders_unverified")
    assert unverified["details"] == {"seats": [ROW_A[1]]}

    swap = {"matches": [{"seat": ROW_A[1], "holder_id": li}]}
    ok(await client.put(holders, json=swap, headers=rep))
    # Verified: the order is paid from the client's offline payments on the session's
    # client_rep window's terms (``test_contract_collection``).
    await contract_window(admin, sid)
    paid = {"session_id": sid, "amount": 16000, "reference": "BANK-001"}
    ok(await client.post(url(acme, "/payments"), json=paid, headers=rep), 201)
    done = ok(await client.post(collect, headers=rep))
    assert done["collected_at"] is not None
    error(await client.post(collect, headers=rep), 409, "lock_collected")
    error(await client.put(holders, json=matched, headers=rep), 409, "lock_collected")
    stats = ok(await admin.get(f"{ADMIN}/contract/stats", params={"session_id": sid}))
    assert stats["clients"][str(acme)] == {
        "locked": 2,
        "seated": 2,
        "collected": 2,
        "paid": 16000,
    }


async def _identity(runtime: Runtime, holder_id: int) -> int:
    async with runtime.uow(verification.SYSTEM, readonly=True) as uow:
        holder = await uow.session.get(ContractHolder, holder_id)
        assert holder is not None
        return holder.identity_id

"""Two collections for one client at once (issue 19, item 2; PostgreSQL, where transactions
really overlap): the client's offline payments cover one of its two locks, so exactly one is
collected and the other refused — the coverage is checked under the client's row lock — and
the selling invariants hold after."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from admit.accounts import verification
from admit.channels import contract_collect
from admit.channels.contract_models import ContractHolder
from admit.core.clock import FixedClock
from admit.core.errors import Conflict
from admit.core.runtime import Runtime
from admit.sales import consistency
from tests.conftest import TEST_ACTOR
from tests.integration.accounts.customer_flows import ok
from tests.integration.accounts.identity_documents import LI, ZHANG
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

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
HOLDERS = f"name,doc_type,number\n张三,cn_id,{ZHANG}\n李四,cn_id,{LI}\n"


async def test_offline_payments_cover_one_of_two_concurrent_collections(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    await contract_window(admin, sid)
    acme = await make_client(admin, "Acme")
    await set_total(admin, sid, A=2)
    await set_client_quota(admin, acme, sid, A=2)
    manager = await manager_of(runtime, admin, acme, "acme-manager")
    rep = await rep_of(runtime, acme, "acme-rep")
    imported = await client.post(
        f"{ADMIN}/clients/{acme}/contract-holders",
        content=HOLDERS.encode(),
        headers={**manager.headers, "Content-Type": "text/csv"},
    )
    holders = [row["holder_id"] for row in ok(imported)["rows"]]
    locks = []
    for seat, holder in zip(ROW_A[:2], holders, strict=True):
        body = {"session_id": sid, "level": "A", "quantity": 1}
        lock = ok(await client.post(url(acme, "/locks"), json=body, headers=rep.headers), 201)
        base = url(acme, f"/locks/{lock['id']}")
        ok(await client.post(base + "/seats", json={"seats": [seat]}, headers=rep.headers))
        matches = {"matches": [{"seat": seat, "holder_id": holder}]}
        ok(await client.put(base + "/holders", json=matches, headers=rep.headers))
        locks.append(lock["id"])
    for holder_id in holders:
        async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
            found = await uow.session.get(ContractHolder, holder_id)
            assert found is not None
            identity_id = found.identity_id
        await verification.verify_now(runtime, identity_id)
    paid = {"session_id": sid, "amount": 8000, "reference": "BANK-001"}  # one seat's price
    ok(await client.post(url(acme, "/payments"), json=paid, headers=rep.headers), 201)

    async def attempt(lock_id: int) -> str:
        try:
            async with runtime.uow(TEST_ACTOR) as uow:
                await contract_collect.collect(
                    uow,
                    runtime.crypto,
                    client_id=acme,
                    lock_id=lock_id,
                    ticket_type="adult",
                    staff_id=rep.staff_id,
                    staff="acme-rep",
                    now=clock.now(),
                )
        except Conflict as refused:
            return refused.code
        return "collected"

    outcomes = Counter(await asyncio.gather(*(attempt(lock_id) for lock_id in locks)))
    assert outcomes == Counter({"collected": 1, "offline_payments_short": 1})
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await consistency.problems(uow) == []

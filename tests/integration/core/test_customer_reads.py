"""A customer's reads (account, orders, holds, tickets, payments) run without a write
transaction: they answer while another transaction is writing — on SQLite, while it holds the
database's only write lock, which a write transaction would have waited out (30 s, then 503)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import update

from admit.accounts.models import Customer
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import customers_with_ids


async def test_a_customers_reads_answer_while_a_writer_is_busy(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    [(cid, headers)] = await customers_with_ids(runtime, 1)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200  # token known
    async with runtime.uow(TEST_ACTOR) as writer:
        await writer.session.execute(
            update(Customer).where(Customer.id == cid).values(email="later@example.com")
        )
        me = await asyncio.wait_for(client.get("/api/v1/me", headers=headers), 60)
        orders = await client.get("/api/v1/orders", headers=headers)
        missing = await client.get("/api/v1/orders/NOPE/tickets", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["email"] is None  # the writer had not committed
    assert orders.status_code == 200, orders.text
    assert orders.json() == []
    assert missing.status_code == 404, missing.text

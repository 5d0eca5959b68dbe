"""Staff find an order (issue 27, item 7; G12, OPS2): by number, pickup code, the buyer's phone
or a document number of the buyer or a ticket holder; masked, unmasked only with
``personal_data.unmask`` and then audited; an outlet-scoped clerk finds only their outlet's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR, police_population
from tests.integration.accounts.people_factories import make_staff
from tests.integration.sales.collect_world import cash_sale, paid_real_name_order
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import ROW_B

from admit.core.audit import AuditEntry, PendingAudit
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

pytestmark = pytest.mark.backends
SEARCH = "/api/v1/admin/orders/search"


async def _viewed(runtime: Runtime) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        found: list[str] = []
        for model in (PendingAudit, AuditEntry):
            found += (
                await uow.session.scalars(
                    select(model.entity_id).where(model.action == "personal_data.viewed")
                )
            ).all()
    return found


async def _search(client: httpx.AsyncClient, who: dict[str, str], q: str, **more: Any) -> Any:
    found = await client.post(SEARCH, headers=who, json={"q": q, **more})
    assert found.status_code == 200, found.text
    return found.json()


async def test_an_order_is_found_by_each_key_masked_and_unmasked_with_audit(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    world = await paid_real_name_order(admin, client, runtime, clock, bank)
    agent = await make_staff(admin, client, username="cs1", role="customer_service")
    cs = {"Authorization": f"Bearer {agent.token}"}
    keys = (
        world.number,
        world.pickup_code,
        world.buyer_phone,
        world.holder_document,
        world.buyer_document.lower(),
    )
    for q in keys:
        (row,) = await _search(client, cs, q)
        assert row["number"] == world.number, q
    assert await _search(client, cs, police_population().popitem()[0]) == []  # bob's: none

    (masked,) = await _search(client, cs, world.number)
    assert masked["status"] == "paid"
    assert masked["buyer_phone"] == "135****0070"
    assert masked["pickup_code"] == f"{world.pickup_code[:2]}******{world.pickup_code[-2:]}"
    assert len(masked["holders"]) == 2
    assert all("*" in h for h in masked["holders"])
    assert masked["collected"] is None
    assert await _viewed(runtime) == []

    (clear,) = await _search(client, cs, world.number, unmask=True)

    assert clear["buyer_phone"] == world.buyer_phone
    assert clear["pickup_code"] == world.pickup_code
    names = dict(police_population())
    assert sorted(clear["holders"]) == sorted(
        [names[world.buyer_document], names[world.holder_document]]
    )
    assert await _viewed(runtime) == [world.number]


async def test_an_outlet_clerk_finds_only_their_outlet_and_may_not_unmask(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    world = await paid_real_name_order(admin, client, runtime, clock, bank)
    number, code = await cash_sale(client, world.clerk, world.session_id, ROW_B[:1], "search-k-1")

    assert await _search(client, world.clerk, world.number) == []  # a web order
    (mine,) = await _search(client, world.clerk, code)
    assert (mine["number"], mine["outlet"], mine["buyer"].split(":")[0]) == (
        number,
        "BO-1",
        "staff",
    )
    unmask = await client.post(SEARCH, headers=world.clerk, json={"q": code, "unmask": True})
    assert unmask.status_code == 403, unmask.text
    too_short = await client.post(SEARCH, headers=world.clerk, json={"q": "ab"})
    assert too_short.status_code == 422
    assert await _viewed(runtime) == []

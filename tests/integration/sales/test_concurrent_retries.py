"""Retries that overlap (invariant 4): five copies of one hold or one order sent at once with
the same Idempotency-Key make one hold and one order, and every copy gets it back."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.models import BuyerUsage, Hold, Order


async def test_overlapping_retries_make_one_hold_and_one_order(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    holds = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/sessions/{sid}/holds",
                headers={**ann, "Idempotency-Key": "same-hold-key"},
                json={"seats": ROW_A[:2]},
            )
            for _ in range(5)
        )
    )
    assert {h.status_code for h in holds} == {201}, [h.text for h in holds]
    assert len({h.json()["id"] for h in holds}) == 1
    hold_id = holds[0].json()["id"]
    orders = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/holds/{hold_id}/order",
                headers={**ann, "Idempotency-Key": "same-order-key"},
                json={"lines": [{"seat": s} for s in ROW_A[:2]]},
            )
            for _ in range(5)
        )
    )
    assert {o.status_code for o in orders} == {201}, [o.text for o in orders]
    assert len({o.json()["number"] for o in orders}) == 1
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Hold)) == 1
        assert await uow.session.scalar(select(func.count()).select_from(Order)) == 1
        assert await uow.session.scalar(select(BuyerUsage.held)) == 2

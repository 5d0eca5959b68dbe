"""The buyer's steps over the API, as the sales tests take them: hold and order seats, open
a bank payment; and counting rows."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import Bank

from admit.core.runtime import Runtime


async def order_seats(
    client: httpx.AsyncClient, sid: int, who: dict[str, str], seats: list[str], key: str
) -> str:
    """Hold ``seats`` and order them (adult tickets): the order's number."""
    hold = await client.post(f"/api/v1/sessions/{sid}/holds", headers=who, json={"seats": seats})
    assert hold.status_code == 201, hold.text
    order = await client.post(
        f"/api/v1/holds/{hold.json()['id']}/order",
        json={"lines": [{"seat": s} for s in seats]},
        headers={**who, "Idempotency-Key": key},
    )
    assert order.status_code == 201, order.text
    return str(order.json()["number"])


async def pay_url(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> str:
    """Open a bank payment of the order: the bank's page."""
    started = await client.post(
        f"/api/v1/orders/{number}/payments", headers=who, json={"method": "bank"}
    )
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "pending"
    return str(started.json()["pay_url"])


async def one_seat_each(
    client: httpx.AsyncClient, sid: int, buyers: list[dict[str, str]], seats: list[str]
) -> list[str]:
    """Buyer ``i`` holds and orders ``seats[i]``: the orders' numbers."""
    return [
        await order_seats(client, sid, who, [seat], f"order-{seat}")
        for who, seat in zip(buyers, seats, strict=False)
    ]


async def pay_each(
    client: httpx.AsyncClient, bank: Bank, numbers: list[str], buyers: list[dict[str, str]]
) -> None:
    """Each order's buyer opens a bank payment and approves it on the bank's page."""
    for number, who in zip(numbers, buyers, strict=False):
        await bank.decide(await pay_url(client, number, who))


async def count_rows(runtime: Runtime, model: type, *where: object) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await uow.session.scalar(query) or 0)

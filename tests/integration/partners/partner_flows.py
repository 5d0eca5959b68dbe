"""Steps of a partner cinema purchase, as the platform's customers and staff take them."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.partners.models import PartnerSession
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import Bank

API = "/api/v1"


async def synced(admin: httpx.AsyncClient, runtime: Runtime, days: int = 2) -> list[int]:
    """Ask for an import, let the worker run it; returns the sessions it created."""
    before = set(await _partner_sessions(runtime))
    response = await admin.post(f"{API}/admin/partners/sync", params={"days": days})
    assert response.status_code == 202, response.text
    assert response.json() == {"queued": ["cinema"], "days": days}
    await run_once(runtime)
    return sorted(set(await _partner_sessions(runtime)) - before)


async def _partner_sessions(runtime: Runtime) -> list[int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return list((await uow.session.scalars(select(PartnerSession.session_id))).all())


async def partner_code(runtime: Runtime, session_id: int) -> str:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return str(
            await uow.session.scalar(
                select(PartnerSession.code).where(PartnerSession.session_id == session_id)
            )
        )


async def first_session(
    runtime: Runtime, admin: httpx.AsyncClient, cinema: str = "C001"
) -> tuple[int, str]:
    """A freshly imported session of ``cinema`` in its hall H1: (session id, cinema's code)."""
    for sid in await synced(admin, runtime):
        code = await partner_code(runtime, sid)
        if code.startswith(f"{cinema}-H1-"):
            return sid, code
    raise AssertionError("no session imported")


async def hold(
    client: httpx.AsyncClient, sid: int, who: dict[str, str], seats: list[str]
) -> httpx.Response:
    return await client.post(f"{API}/sessions/{sid}/holds", headers=who, json={"seats": seats})


async def order_and_pay(
    client: httpx.AsyncClient, hold_id: int, who: dict[str, str], seats: list[str], key: str
) -> tuple[str, str]:
    """Order the hold's seats and open a bank payment: (order number, pay URL)."""
    order = await client.post(
        f"{API}/holds/{hold_id}/order",
        json={"lines": [{"seat": s} for s in seats]},
        headers={**who, "Idempotency-Key": f"order-key-{key}"},
    )
    assert order.status_code == 201, order.text
    number = str(order.json()["number"])
    started = await client.post(
        f"{API}/orders/{number}/payments", headers=who, json={"method": "bank"}
    )
    assert started.status_code == 201, started.text
    return number, str(started.json()["pay_url"])


async def buy(
    client: httpx.AsyncClient,
    bank: Bank,
    sid: int,
    who: dict[str, str],
    seats: list[str],
    key: str,
) -> str:
    """Hold, order and pay (approved at the bank); returns the order number."""
    held = await hold(client, sid, who, seats)
    assert held.status_code == 201, held.text
    number, pay_url = await order_and_pay(client, held.json()["id"], who, seats, key)
    assert (await bank.decide(pay_url)).status_code == 303
    await bank.settled()
    return number


async def order_of(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{API}/orders/{number}", headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def work(runtime: Runtime, rounds: int = 3) -> None:
    """Let the worker run its due jobs (and what they queue) a few times."""
    for _ in range(rounds):
        await run_once(runtime)


async def count(runtime: Runtime, model: type, *where: object) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await uow.session.scalar(query) or 0)

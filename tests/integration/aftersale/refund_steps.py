"""The after-sale tests' steps: a paid order through the bank simulator, a refund policy
opened, the worker's refund jobs run, and the gate manifest's view of a session's tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import order_seats, pay_url
from tests.integration.sales.sale_factories import customers_with_tokens

from admit.catalog.models import Session
from admit.checkin.manifests import session_tickets
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once

ADMIN = "/api/v1/admin"


async def paid_order(
    client: httpx.AsyncClient,
    bank: Bank,
    runtime: Runtime,
    sid: int,
    seats: list[str],
    key: str,
    first: int = 0,
) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    (who,) = await customers_with_tokens(runtime, 1, first)
    number = await order_seats(client, sid, who, seats, key)
    await bank.decide(await pay_url(client, number, who))
    await bank.settled()
    tickets = (await client.get(f"/api/v1/orders/{number}/tickets", headers=who)).json()
    return number, who, tickets


async def open_refunds(admin: httpx.AsyncClient, sid: int, **terms: Any) -> dict[str, Any]:
    opened = await admin.put(
        f"{ADMIN}/sessions/{sid}/refund-policy", json={"reason": "postponed", **terms}
    )
    assert opened.status_code == 200, opened.text
    return dict(opened.json())


async def settle_refunds(runtime: Runtime, clock: FixedClock, rounds: int = 1) -> None:
    for _ in range(rounds):
        await run_once(runtime)
        clock.advance(timedelta(seconds=5))  # past a failed job's back-off


async def revoked(runtime: Runtime, sid: int) -> dict[str, str | None]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        session = await uow.session.get(Session, sid)
        assert session is not None
        return {t.code: t.revoked for t in await session_tickets(uow, None, session)}

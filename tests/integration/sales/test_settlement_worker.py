"""The settlement worker (``admit settle``, issue 17, items 3 and 5): with the web process
leaving settling to it (``ADMIT_SETTLE_IN_SERVER=false``), a recorded notification is
settled as soon as it is recorded — on PostgreSQL woken by NOTIFY long before its poll — and
the worker stops when told."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import one_seat_each, pay_each
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.inbox_listener import settle_as_recorded


@pytest.fixture
async def settler(runtime: Runtime) -> AsyncIterator[None]:
    """A settlement worker beside the web process, which no longer settles: its poll (an
    hour on PostgreSQL, where NOTIFY must wake it; SQLite has none, and polls)."""
    runtime.settings = runtime.settings.model_copy(update={"settle_in_server": False})
    poll = 3600.0 if runtime.engine.dialect.name == "postgresql" else 0.1
    stop = asyncio.Event()
    task = asyncio.create_task(settle_as_recorded(runtime, stop, poll=poll))
    await asyncio.sleep(0.3)  # listening, and the first (empty) round done
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=10)  # it stops when told


async def _status(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> str:
    return str((await client.get(f"/api/v1/orders/{number}", headers=who)).json()["status"])


async def test_a_recorded_notification_is_settled_at_once_by_the_worker(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    settler: None,
) -> None:
    sid = await on_sale(admin, clock)
    buyers = await customers_with_tokens(runtime, 3)
    numbers = await one_seat_each(client, sid, buyers, ROW_A)
    await pay_each(client, bank, numbers, buyers)
    await bank.delivered()
    started = time.monotonic()
    while time.monotonic() - started < 10:
        statuses = [await _status(client, n, w) for n, w in zip(numbers, buyers, strict=True)]
        if statuses == ["paid"] * 3:
            break
        await asyncio.sleep(0.05)
    assert statuses == ["paid"] * 3  # within 10 s: on PostgreSQL, an hour before its poll

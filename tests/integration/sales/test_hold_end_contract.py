"""The contract of a hold's end (issue 17), the same on both databases: PostgreSQL releases and
expires holds without an unpaid order with one statement (``admit_release``,
``admit_end_holds``; ``sales.hold_end_statement``), SQLite — and PostgreSQL for a hold with an
unpaid order — with the statements of ``sales.hold_endings``. Everything a hold took comes
back, a release is answered as the hold stands, a stranger's hold is refused with nothing
written, and releases racing new holds leave every counter adding up."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.hold_contract_sale import PAY_MINUTES, ROW_A, Sale, arena
from tests.integration.sales.statements import statements_sent

from admit.core.clock import FixedClock
from admit.core.errors import AdmitError, NotFound
from admit.core.runtime import Runtime
from admit.inventory.claims import SeatsTaken, SoldOut
from admit.sales import hold_endings
from admit.sales.hold_requests import HoldSummary
from admit.sales.limits import LimitExceeded
from admit.sales.models import Hold, Order
from admit.sales.order_views import LineInput
from admit.sales.outside_inventory import outside


@pytest.fixture
async def sale(admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock) -> Sale:
    return Sale(runtime, clock, await arena(admin, clock))


async def release(sale: Sale, hold_id: int, buyer: str = "customer:1") -> Hold | HoldSummary:
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        return await hold_endings.release_hold(
            uow, hold_id=hold_id, buyer=buyer, now=sale.clock.now()
        )


def counters(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What a hold takes and its end gives back: seats, buyer counters, slices."""
    return {k: snapshot[k] for k in ("seats", "usage", "ga", "quota")}


async def test_a_release_gives_everything_back(sale: Sale) -> None:
    before = await sale.snapshot()
    placed = await sale.hold("customer:1", ROW_A[:3], places=2)
    assert counters(await sale.snapshot()) != counters(before)
    released = await release(sale, placed.hold.id)
    assert (released.id, released.status, released.quantity) == (placed.hold.id, "released", 5)
    assert released.expires_at == placed.hold.expires_at
    after = await sale.snapshot()
    assert counters(after) == {**counters(before), "usage": [("customer:1", 0)]}
    assert after["holds"] == [(placed.hold.id, "released")]
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        ended = await uow.session.scalar(select(Hold.ended_at).where(Hold.id == placed.hold.id))
    assert ended == sale.clock.now()
    again = await release(sale, placed.hold.id)  # a second release changes nothing
    assert again.status == "released"
    assert await sale.snapshot() == after
    assert await sale.problems() == []


async def test_on_postgresql_a_release_is_one_statement(sale: Sale) -> None:
    placed = await sale.hold("customer:1", ROW_A[:2], places=1)
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:  # as the hold route does
        assert await outside().remember(sale.runtime.caches, uow, sale.sid) is False
    with statements_sent(sale.runtime) as sent:
        released = await release(sale, placed.hold.id)
    assert released.status == "released"
    if sale.runtime.engine.dialect.name == "postgresql":
        assert len(sent) == 1, sent
        assert "admit_release(" in sent[0]
    else:
        assert len(sent) >= 6, sent


async def test_a_strangers_hold_is_refused_with_nothing_written(sale: Sale) -> None:
    placed = await sale.hold("customer:1", ROW_A[:1])
    before = await sale.snapshot()
    for hold_id, buyer in ((placed.hold.id, "customer:2"), (placed.hold.id + 99, "customer:1")):
        with pytest.raises(NotFound):
            await release(sale, hold_id, buyer)
    assert await sale.snapshot() == before


async def test_a_hold_with_an_unpaid_order_ends_with_its_order(sale: Sale) -> None:
    before = await sale.snapshot()
    placed = await sale.hold("customer:1", ROW_A[:2])
    lines = [LineInput(ticket_type="adult", seat=s) for s in ROW_A[:2]]
    order = await sale.order(placed.hold.id, lines, key="order-1")
    released = await release(sale, placed.hold.id)
    assert released.status == "released"
    assert counters(await sale.snapshot()) == {**counters(before), "usage": [("customer:1", 0)]}
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        status = await uow.session.scalar(select(Order.status).where(Order.number == order.number))
    assert status == "cancelled"
    assert await sale.problems() == []


async def test_the_sweeper_expires_holds_with_and_without_orders(sale: Sale) -> None:
    before = await sale.snapshot()
    plain = [await sale.hold(f"customer:{i}", [ROW_A[i]], places=i + 1) for i in range(4)]
    ordered = await sale.hold("customer:9", [ROW_A[5]])
    await sale.order(
        ordered.hold.id,
        [LineInput(ticket_type="adult", seat=ROW_A[5])],
        buyer="customer:9",
        key="o",
    )
    sale.clock.advance(timedelta(minutes=PAY_MINUTES, seconds=1))
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        assert await hold_endings.expire_due(uow, now=sale.clock.now(), limit=3) == 3
    async with sale.runtime.uow(TEST_ACTOR) as uow:
        assert await hold_endings.expire_due(uow, now=sale.clock.now()) == 2
    after = await sale.snapshot()
    assert {status for _, status in after["holds"]} == {"expired"}
    assert len(after["holds"]) == len(plain) + 1
    assert after["seats"] == before["seats"]
    assert after["ga"] == before["ga"]
    assert after["quota"] == before["quota"]
    assert all(held == 0 for _, held in after["usage"])
    assert await sale.problems() == []


async def test_releases_racing_holds_leave_every_counter_adding_up(sale: Sale) -> None:
    """30 buyers hold two of the same six seats and some floor places, and release at once
    what they got; then everyone who holds nothing tries again. The seats held are those of
    live holds, and every counter is what the live holds add up to."""
    first = []
    for i in range(30):
        try:
            first.append(await sale.hold(f"customer:{i}", [ROW_A[i % 6]], places=1 + i % 3))
        except (SeatsTaken, SoldOut, LimitExceeded):
            continue

    async def release_or_hold(i: int) -> None:
        try:
            if i < len(first):
                await release(sale, first[i].hold.id, f"customer:{i}")
            else:
                await sale.hold(f"customer:{i}", [ROW_A[i % 6]], places=2)
        except AdmitError:
            pass

    await asyncio.gather(*(release_or_hold(i) for i in range(60)))
    rows = await sale.snapshot()
    live = {h for h, status in rows["holds"] if status == "active"}
    held = [key for key, status, hold in rows["seats"] if status == "held"]
    assert all(hold in live for _, status, hold in rows["seats"] if status == "held")
    assert len(held) == len(set(held))
    assert await sale.problems() == []

"""The contract of a hold (issue 17), the same on both databases: PostgreSQL places it with one
statement (``admit_hold``, ``sales.hold_statement``), SQLite with the statements of
``sales.holds``. Seats, GA places and quotas counted on slices, the per-person limit, the
idempotent replay, every refusal with its details and nothing written, lapsed holds' seats
and quota claimable again, and a race in which no seat is held twice and every counter adds
up (the lazy-BEGIN trap would show here as seats held by holds that were rolled back)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.hold_contract_sale import (
    LIMIT,
    PAY_MINUTES,
    QUOTA_G,
    QUOTA_P,
    ROW_A,
    ROW_B,
    Sale,
    arena,
)
from tests.integration.sales.statements import statements_sent

from admit.core.clock import FixedClock
from admit.core.errors import InvalidInput
from admit.core.runtime import Runtime
from admit.inventory.claims import SeatsTaken, SoldOut
from admit.sales import holds
from admit.sales.hold_requests import Placed
from admit.sales.limits import LimitExceeded
from admit.sales.models import BuyerUsage, Hold
from admit.sales.windows import NotOnSale


@pytest.fixture
async def sale(admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock) -> Sale:
    return Sale(runtime, clock, await arena(admin, clock))


def _held(snapshot: dict[str, Any], hold_id: int) -> list[str]:
    return [key for key, status, hold in snapshot["seats"] if status == "held" and hold == hold_id]


async def test_seats_and_places_are_held_and_counted_on_slices(sale: Sale) -> None:
    placed = await sale.hold("customer:1", [ROW_A[2], ROW_A[1]], places=3)
    hold = placed.hold
    assert (hold.session_id, hold.status, hold.quantity) == (sale.sid, "active", 5)
    assert hold.expires_at == sale.clock.now() + timedelta(minutes=PAY_MINUTES)
    assert placed.seats == (ROW_A[1], ROW_A[2])
    assert not placed.replayed
    rows = await sale.snapshot()
    assert rows["holds"] == [(hold.id, "active")]
    assert rows["usage"] == [("customer:1", 5)]
    assert _held(rows, hold.id) == [ROW_A[1], ROW_A[2]]
    ga = [(c[1], c[4]) for c in rows["counts"] if c[1] is not None]
    quotas = sorted(c[4] for c in rows["counts"] if c[2] is not None)
    assert len(ga) == 1
    assert ga[0][1] == 3
    assert quotas == [2, 3]  # the seats on P's quota, the places on G's
    assert all(c[0] == hold.id for c in rows["counts"])
    # Each count names the slice it was taken on, and the slices add up.
    for hold_id, ga_id, quota_id, slice_, n in rows["counts"]:
        table = rows["ga"] if ga_id is not None else rows["quota"]
        counter = ga_id if ga_id is not None else quota_id
        assert any(r[0] == counter and r[1] == slice_ and r[2] >= n for r in table), hold_id
    assert sum(r[2] for r in rows["ga"]) == 3
    assert sum(r[2] for r in rows["quota"]) == 5
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        stored = await uow.session.get(Hold, hold.id)
        assert stored is not None
        assert (stored.buyer, stored.channel, stored.quantity) == ("customer:1", "web", 5)
        assert stored.expires_at == hold.expires_at
        assert stored.created_at == sale.clock.now()
    assert await sale.problems() == []


async def test_on_postgresql_a_hold_is_one_statement(sale: Sale) -> None:
    await sale.hold("customer:1", [ROW_A[0]], places=1)  # the sale's configuration is cached
    with statements_sent(sale.runtime) as sent:
        placed = await sale.hold("customer:2", [ROW_A[1], ROW_A[2]], places=2)
    assert placed.seats == (ROW_A[1], ROW_A[2])
    config = ("platform_mode", "sales_channel", "sales_window", "sales_waiting_room")
    hot = [s for s in sent if not (s.startswith("SELECT") and any(t in s for t in config))]
    if sale.runtime.engine.dialect.name == "postgresql":
        assert len(hot) == 1, hot
        assert "admit_hold(" in hot[0]
    else:
        assert len(hot) >= 5, hot


async def test_the_per_person_limit_counts_every_hold_of_the_buyer(sale: Sale) -> None:
    await sale.hold("customer:1", ROW_A[:2], places=2)
    refusal = await sale.refused("customer:1", [ROW_A[2]], places=2)
    assert isinstance(refusal, LimitExceeded)
    assert refusal.details == {"limit": LIMIT}
    too_many = await sale.refused("customer:2", places=LIMIT + 1)
    assert isinstance(too_many, LimitExceeded)
    await sale.hold("customer:1", places=2)  # exactly the limit
    assert await sale.problems() == []


async def test_a_repeated_key_returns_the_first_hold_and_writes_nothing(sale: Sale) -> None:
    first = await sale.hold("customer:1", ROW_A[:2], key="k1")
    before = await sale.snapshot()
    again = await sale.hold("customer:1", [ROW_A[3]], places=1, key="k1")
    assert again.replayed
    assert again.hold == first.hold
    assert again.seats == ()
    assert await sale.snapshot() == before
    other = await sale.hold("customer:2", [ROW_A[3]], key="k1")  # a key is the buyer's own
    assert not other.replayed
    assert other.hold.id != first.hold.id


async def test_refusals_name_what_is_wrong_and_write_nothing(sale: Sale) -> None:
    await sale.hold("customer:1", [ROW_A[1]])
    taken = await sale.refused("customer:2", [ROW_A[0], ROW_A[1], ROW_B[0]], places=1)
    assert isinstance(taken, SeatsTaken)
    assert taken.details == {"seats": [ROW_A[1], ROW_B[0]]}  # request order; B is not on sale
    unknown = await sale.refused("customer:2", ["NOPE-1", ROW_A[0], "NOPE-2"])
    assert isinstance(unknown, InvalidInput)
    assert unknown.details == {"seats": ["NOPE-1", "NOPE-2"]}
    no_area = await sale.refused("customer:2", [ROW_A[0]], places=1, area="NOPE")
    assert isinstance(no_area, InvalidInput)
    assert "'NOPE'" in no_area.message
    not_sold = await sale.refused("customer:2", places=1, area="BOX")
    assert isinstance(not_sold, NotOnSale)
    assert not_sold.message == "the BOX area is not sold through web"
    twice = await sale.refused("customer:2", [ROW_A[0], ROW_A[0]])
    assert isinstance(twice, InvalidInput)
    nothing = await sale.refused("customer:2")
    assert isinstance(nothing, InvalidInput)
    assert await sale.problems() == []


async def test_a_used_up_quota_or_area_is_sold_out(sale: Sale) -> None:
    for i in range(QUOTA_G // 5):
        await sale.hold(f"customer:{i}", places=5)
    quota = await sale.refused("customer:99", places=1)
    assert isinstance(quota, SoldOut)
    assert quota.message == "not enough tickets left at this price level for this channel"
    for i in range(2):  # P's quota is 8 but row A has six seats: all held
        await sale.hold(f"customer:{20 + i}", ROW_A[3 * i : 3 * i + 3])
    seats = await sale.refused("customer:98", [ROW_A[0]])
    assert isinstance(seats, SeatsTaken)
    rows = await sale.snapshot()
    assert sum(r[2] for r in rows["quota"]) == QUOTA_G + 6
    assert sum(r[2] for r in rows["ga"]) == QUOTA_G
    assert await sale.problems() == []


async def test_the_floor_fills_to_its_quota_across_slices(sale: Sale) -> None:
    """Sizes that leave slices short, so that takes rebalance the counter."""
    sizes, taken, refused = [4, 3, 1, 4, 2, 4, 4, 3, 2, 4], 0, 0
    for i in range(40):
        n = sizes[i % len(sizes)]
        try:
            await sale.hold(f"customer:{i}", places=n)
        except SoldOut:
            refused += 1
            assert QUOTA_G - taken < n
            continue
        taken += n
    assert refused > 0
    assert taken == QUOTA_G
    rows = await sale.snapshot()
    assert sum(r[2] for r in rows["ga"]) == sum(r[2] for r in rows["quota"]) == QUOTA_G
    assert sum(r[3] for r in rows["quota"]) == QUOTA_P + QUOTA_G  # rebalanced, never grown
    assert await sale.problems() == []


async def test_a_lapsed_hold_gives_way(sale: Sale) -> None:
    """Its seats are claimable at once (lazy expiry); its share of a used-up quota comes back
    when a hold finds the quota short (the lapsed holds of the session are expired first)."""
    first = await sale.hold("customer:1", ROW_A[:3], places=3)
    for i in range(2, 2 + (QUOTA_G - 3) // 4):
        await sale.hold(f"customer:{i}", places=4)
    await sale.hold("customer:50", places=(QUOTA_G - 3) % 4)
    sale.clock.advance(timedelta(minutes=PAY_MINUTES, seconds=1))
    again = await sale.hold("customer:60", ROW_A[:2])  # the seats, before any sweep
    assert again.seats == tuple(ROW_A[:2])
    rows = await sale.snapshot()
    assert _held(rows, again.hold.id) == ROW_A[:2]
    assert _held(rows, first.hold.id) == [ROW_A[2]]  # still its own until it is expired
    later = await sale.hold("customer:61", places=2)  # the floor's quota was used up
    assert later.hold.status == "active"
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        statuses = dict((await uow.session.execute(select(Hold.buyer, Hold.status))).all())
    assert statuses["customer:1"] == "expired"
    assert statuses["customer:61"] == "active"
    assert await sale.problems() == []


class AfterTheHold(Exception):
    """The request fails after its hold was placed, in the same transaction."""


async def test_a_transaction_rolled_back_after_the_hold_keeps_nothing(sale: Sale) -> None:
    """The hold's statement runs inside the unit of work's transaction (the lazy-BEGIN trap:
    sent before the transaction had begun, it would commit on its own). The sale's
    configuration is cached first, so that the hold's statement is its transaction's first."""
    await sale.hold("customer:9", [ROW_A[5]])
    before = await sale.snapshot()

    async def fail_after_the_hold() -> None:
        async with sale.runtime.uow(TEST_ACTOR) as uow:
            await holds.hold_seats(
                uow, sale.request("customer:1", ROW_A[:2], 2, key="k"), now=sale.clock.now()
            )
            raise AfterTheHold

    with pytest.raises(AfterTheHold):
        await fail_after_the_hold()
    assert await sale.snapshot() == before
    again = await sale.hold("customer:1", ROW_A[:2], 2, key="k")  # the key was never used
    assert not again.replayed


async def test_a_rush_on_the_same_seats_holds_each_seat_once(sale: Sale) -> None:
    """60 holds at once, each for two of the same six seats and some floor places; some
    buyers twice, against their limit; every fifth request fails after its hold. Refused and
    failed holds leave nothing: every held seat belongs to a committed hold, and every
    counter equals what the holds add up to."""

    async def attempt(i: int) -> Placed | None:
        seats = [ROW_A[i % 6], ROW_A[(i + 1) % 6]] if i % 3 else []
        request = sale.request(f"customer:{i % 40}", seats, places=1 + i % 4)
        try:
            async with sale.runtime.uow(TEST_ACTOR) as uow:
                placed = await holds.hold_seats(uow, request, now=sale.clock.now())
                if i % 5 == 0:
                    raise AfterTheHold
                return placed
        except (SeatsTaken, SoldOut, LimitExceeded, AfterTheHold):
            return None

    placed = [p for p in await asyncio.gather(*(attempt(i) for i in range(60))) if p]
    rows = await sale.snapshot()
    held = [key for key, status, _ in rows["seats"] if status == "held"]
    assert sorted(held) == sorted(s for p in placed for s in p.seats)
    assert len(held) == len(set(held)) <= 6
    assert {h for h, _ in rows["holds"]} == {p.hold.id for p in placed}
    assert sum(r[2] for r in rows["ga"]) == sum(p.hold.quantity - len(p.seats) for p in placed)
    async with sale.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        usage = await uow.session.scalar(select(func.sum(BuyerUsage.held)))
    assert usage == sum(p.hold.quantity for p in placed)
    assert await sale.problems() == []

"""The benchmark's on-sale, GA-rush and hold-only scenarios (``bench.onsale``,
``bench.ga_rush``, ``bench.holds``) with small numbers, on PostgreSQL with two ``admit serve``
processes and the bank simulator: 300 buyers each race for quotas of 100 seats per level on a
320-seat bowl, for a 100-place standing quota, and only to hold another bowl's seats. The
bench's correctness check must find exactly the quotas sold, once each, with their tickets;
and the same check must fail on a database corrupted on purpose (a seat sold twice, a seat
marked sold with no ticket, a quota passed, a paid order without its tickets) — a checker
that cannot fail proves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from bench.catalogue import (
    Buyer,
    SaleSetup,
    create_buyers,
    create_place,
    field_venue,
    open_sale,
    sections_by_level,
)
from bench.checks import SaleCheck, check_in, check_sale
from bench.ga_rush import run_ga_rush
from bench.harness import POSTGRESQL, Cluster, new_keys, start_cluster
from bench.holds import HoldsResult, run_hold_rush
from bench.onsale import run_onsale
from bench.purchase import SaleResult
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from admit.catalog.seatmap_generators import stadium_bowl
from tests.e2e.harness import fresh_database, run_async

pytestmark = pytest.mark.whole_machine  # its own group: it needs the machine to itself

BUYERS = 300
SERVERS = 2
SEAT_QUOTA = 100  # per level; each level has 160 seats
GA_QUOTA = 100
GA_CAPACITY = 150


@pytest.fixture(scope="module")
def cluster(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("bench")
    with (
        fresh_database(pg_template, "bench") as url,
        # Settled by a settlement worker of its own (``admit settle``, woken by NOTIFY). A
        # new connection may wait for a core longer than production's 2 s while the test
        # suite shares the machine: this checks the sale, not an outage's refusals.
        start_cluster(
            POSTGRESQL,
            url,
            data_dir,
            new_keys(),
            servers=SERVERS,
            settlers=1,
            settings={"ADMIT_DB_CONNECT_TIMEOUT_SECONDS": "30"},
        ) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def buyers(cluster: Cluster) -> list[Buyer]:
    async def work() -> list[Buyer]:
        async with cluster.runtime() as rt:
            return await create_buyers(rt, BUYERS)

    return run_async(work)


@pytest.fixture(scope="module")
def onsale(cluster: Cluster, buyers: list[Buyer]) -> tuple[int, SaleResult]:
    async def work() -> tuple[int, SaleResult]:
        spec = stadium_bowl("Bench bowl", sections_per_level=4, rows_per_level=(4, 4))
        async with cluster.runtime() as rt:
            place = await create_place(rt, "BOWL", spec)
            tiers = await sections_by_level(rt, place)
            sid = await open_sale(
                rt,
                place,
                SaleSetup(
                    tag="T1",
                    seat_levels={"A": tiers["L1"], "B": tiers["L2"]},
                    ga_levels={},
                    quotas={"A": SEAT_QUOTA, "B": SEAT_QUOTA},
                ),
            )
        return sid, await run_onsale(cluster, sid, buyers, in_flight=100)

    return run_async(work)


@pytest.fixture(scope="module")
def ga_rush(cluster: Cluster, buyers: list[Buyer]) -> tuple[int, SaleResult]:
    async def work() -> tuple[int, SaleResult]:
        async with cluster.runtime() as rt:
            place = await create_place(rt, "FIELD", field_venue(GA_CAPACITY))
            sid = await open_sale(
                rt,
                place,
                SaleSetup(
                    tag="T2", seat_levels={}, ga_levels={"FIELD": "GA"}, quotas={"GA": GA_QUOTA}
                ),
            )
        return sid, await run_ga_rush(cluster, sid, buyers, in_flight=100)

    return run_async(work)


@pytest.fixture(scope="module")
def hold_rush(cluster: Cluster, buyers: list[Buyer]) -> HoldsResult:
    async def work() -> HoldsResult:
        spec = stadium_bowl("Hold bowl", sections_per_level=4, rows_per_level=(4, 4))
        async with cluster.runtime() as rt:
            place = await create_place(rt, "HOLDS", spec)
            tiers = await sections_by_level(rt, place)
            sid = await open_sale(
                rt,
                place,
                SaleSetup(
                    tag="T3",
                    seat_levels={"A": tiers["L1"], "B": tiers["L2"]},
                    ga_levels={},
                    quotas={"A": Fraction(1), "B": Fraction(1)},
                ),
            )
        return await run_hold_rush(cluster, sid, buyers, in_flight=100)

    return run_async(work)


def _errors(result: SaleResult | HoldsResult) -> dict[str, object]:
    """Each request kind that had unexpected answers: how many, and every answer it had."""
    return {name: (op["errors"], op["outcomes"]) for name, op in result.ops.items() if op["errors"]}


def test_onsale_sells_each_level_quota_once(onsale: tuple[int, SaleResult]) -> None:
    sid, result = onsale
    check = result.check
    assert check.failures() == []
    assert check.quotas == {"A": (SEAT_QUOTA, 0, SEAT_QUOTA), "B": (SEAT_QUOTA, 0, SEAT_QUOTA)}
    sold = 2 * SEAT_QUOTA
    assert (check.seats_sold, check.seat_tickets, check.paid_seat_lines) == (sold, sold, sold)
    assert check.seats_twice == []
    assert check.orders_without_tickets == []
    assert check.problems == []
    assert check.paid_orders == result.purchases == result.holds
    assert result.tickets == sold
    # Every buyer's visit ended: bought, or turned away because the quotas were gone.
    assert sum(result.ends.values()) == BUYERS
    assert set(result.ends) <= {"bought", "sold out", "gave up"}, result.ends
    assert result.ends["bought"] == result.purchases
    assert _errors(result) == {}
    # The race happened: buyers collided on seats and on the quota, and were told so.
    assert result.ops["hold"]["outcomes"]["409 seats_taken"] > 0
    assert result.ops["hold"]["outcomes"]["409 sold_out"] > 0
    assert result.ops["hold"]["outcomes"]["201"] == result.holds
    # Every paid notification went through the inbox and was settled by the worker.
    assert result.settled["requests"] == result.purchases


def test_ga_rush_sells_the_quota_exactly(ga_rush: tuple[int, SaleResult]) -> None:
    sid, result = ga_rush
    check = result.check
    assert check.failures() == []
    assert check.quotas == {"GA": (GA_QUOTA, 0, GA_QUOTA)}
    assert (check.places_sold, check.place_tickets) == (GA_QUOTA, GA_QUOTA)
    assert (check.seats_sold, check.seat_tickets) == (0, 0)
    assert check.problems == []
    assert result.tickets == GA_QUOTA
    assert check.paid_orders == result.purchases == result.holds
    assert sum(result.ends.values()) == BUYERS
    assert set(result.ends) == {"bought", "sold out"}, result.ends
    assert _errors(result) == {}


def test_the_hold_rush_gives_no_seat_to_two_holds(hold_rush: HoldsResult) -> None:
    """More seats wanted than the bowl has: buyers collide, some release and hold again, and
    at the end every held seat is one live hold's, as the buyers were told."""
    assert hold_rush.failures == []
    assert _errors(hold_rush) == {}
    assert hold_rush.released > 0
    assert hold_rush.ops["hold"]["outcomes"]["201"] == hold_rush.holds
    assert hold_rush.ops["hold"]["outcomes"]["409 seats_taken"] > 0
    assert sum(hold_rush.ends.values()) == BUYERS + hold_rush.released


async def _corrupted(cluster: Cluster, sid: int, *statements: str) -> SaleCheck:
    """The check run inside a transaction that corrupts the sale and is rolled back."""
    async with cluster.runtime() as rt, AsyncSession(rt.engine) as s:
        try:
            for sql in statements:
                await s.execute(text(sql.format(sid=sid)))
            return await check_in(s, sid)
        finally:
            await s.rollback()


PAID_SEAT_LINES = """
    SELECT l.id, l.seat_key, o.number FROM sales_order_line l
    JOIN sales_order o ON o.id = l.order_id
    WHERE o.session_id = {sid} AND o.status = 'paid' AND l.seat_key IS NOT NULL
    ORDER BY l.id"""


async def test_check_fails_on_a_seat_sold_twice(
    cluster: Cluster, onsale: tuple[int, SaleResult]
) -> None:
    sid, _ = onsale
    async with cluster.runtime() as rt, rt.engine.connect() as conn:
        lines = (await conn.execute(text(PAID_SEAT_LINES.format(sid=sid)))).all()
    first = lines[0]
    other = next(ln for ln in lines if ln.number != first.number)
    found = await _corrupted(
        cluster,
        sid,
        f"UPDATE sales_order_line SET seat_key = '{first.seat_key}' WHERE id = {other.id}",
        f"UPDATE ticket SET seat_key = '{first.seat_key}' WHERE line_id = {other.id}",
    )
    assert not found.ok
    assert found.seats_twice == [first.seat_key]
    assert f"seat sold twice: {first.seat_key}" in found.failures()
    assert f"seat {first.seat_key} of session {sid} is in 2 paid orders" in found.problems


async def test_check_fails_on_a_sold_seat_without_ticket(
    cluster: Cluster, onsale: tuple[int, SaleResult]
) -> None:
    sid, _ = onsale
    found = await _corrupted(
        cluster,
        sid,
        """UPDATE session_seat SET status = 'sold' WHERE id = (
            SELECT min(id) FROM session_seat WHERE session_id = {sid} AND status = 'available')""",
    )
    sold = 2 * SEAT_QUOTA
    assert not found.ok
    assert (found.seats_sold, found.seat_tickets) == (sold + 1, sold)
    assert found.failures()[0] == (
        f"seats sold {sold + 1}, seat tickets {sold}, seats in paid orders {sold}"
    )


async def test_check_fails_on_a_quota_passed(
    cluster: Cluster, ga_rush: tuple[int, SaleResult]
) -> None:
    sid, _ = ga_rush
    found = await _corrupted(
        cluster,
        sid,
        """UPDATE sales_window_quota_slice SET sold = sold + 1 WHERE slice = 0 AND counter_id IN (
            SELECT q.id FROM sales_window_quota q JOIN sales_window w ON w.id = q.window_id
            WHERE w.session_id = {sid})""",
    )
    assert not found.ok
    assert found.quotas == {"GA": (GA_QUOTA, 0, GA_QUOTA + 1)}
    assert found.over_quota == [f"quota GA: 0 held + {GA_QUOTA + 1} sold against {GA_QUOTA}"]


async def test_check_fails_on_a_paid_order_without_tickets(
    cluster: Cluster, onsale: tuple[int, SaleResult]
) -> None:
    sid, _ = onsale
    async with cluster.runtime() as rt, rt.engine.connect() as conn:
        number = (await conn.execute(text(PAID_SEAT_LINES.format(sid=sid)))).first().number
    found = await _corrupted(cluster, sid, f"DELETE FROM ticket WHERE order_number = '{number}'")
    assert not found.ok
    assert found.orders_without_tickets == [number]


async def test_check_passes_again_after_the_rollbacks(
    cluster: Cluster, onsale: tuple[int, SaleResult], ga_rush: tuple[int, SaleResult]
) -> None:
    async with cluster.runtime() as rt:
        for sid, _ in (onsale, ga_rush):
            assert (await check_sale(rt, sid)).failures() == []

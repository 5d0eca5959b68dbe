"""A hundred buyers asking for the best available seats at once (S5, issue 31 item 5), through
two ``admit serve`` processes on one PostgreSQL database: each asks for the best 1–4 seats of
an 840-seat level, buys what it gets (order, bank payment approved) and asks again, until the
level is sold out — or, like the buyers of the issue, leaves when told "no" while the level
still has the seats it asked for. No request is refused so, every seat is sold exactly once,
and the consistency checker finds nothing."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import and_, func, or_, select

from admit.core.runtime import Runtime
from admit.inventory.models import SessionSeat
from admit.sales.models import Order, OrderLine
from admit.ticketing.models import Ticket
from tests.conftest import TEST_ACTOR
from tests.e2e.harness import Cluster, fresh_database, start_cluster
from tests.e2e.shop import (
    Purchase,
    Shop,
    create_admin,
    create_customers,
    error_code,
    order_lines,
    pay_hold,
    problems,
    seed_session,
    wait_for_orders,
)

pytestmark = pytest.mark.whole_machine  # its own group: it needs the machine to itself

BUYERS = 100
SERVERS = 2
ROWS, PER_ROW = 24, 35
SEATS = ROWS * PER_ROW  # 840, all at level S


@pytest.fixture
def cluster(pg_template: str, tmp_path: Path) -> Iterator[Cluster]:
    with (
        fresh_database(pg_template, "best") as pg_url,
        start_cluster(pg_url, tmp_path, servers=SERVERS, bank=True) as running,
    ):
        yield running


@dataclass
class Sale:
    """What the buyers saw: their purchases, and each refusal with the free seats the database
    still had right after it (seats only go, never come back, in this sale: so that count is
    at most what was free when the server refused)."""

    purchases: list[Purchase] = field(default_factory=list)
    refusals: list[tuple[int, int, str]] = field(default_factory=list)  # asked, free, code

    @property
    def wrongly_refused(self) -> list[tuple[int, int, str]]:
        return [r for r in self.refusals if r[1] >= r[0]]


async def _free_seats(rt: Runtime, sid: int) -> int:
    """Seats of the session (all at level S) anyone may hold now: available, or held by a
    lapsed hold."""
    async with rt.uow(TEST_ACTOR, readonly=True) as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).where(
                    SessionSeat.session_id == sid,
                    or_(
                        SessionSeat.status == "available",
                        and_(
                            SessionSeat.status == "held",
                            SessionSeat.hold_expires_at <= func.now(),
                        ),
                    ),
                )
            )
            or 0
        )


async def _buyer(shop: Shop, rt: Runtime, sale: Sale, i: int, token: str, sid: int) -> None:
    rng = random.Random(i)
    while True:
        want = rng.randint(1, 4)
        body = {"best": {"level": "S", "quantity": want}}
        r = await shop.hold(i, token, sid, body)
        if r.status_code == 201:
            hold = r.json()
            assert len(hold["seats"]) == want, hold
            done = Purchase(i, 201, "", hold["id"], list(hold["seats"]))
            sale.purchases.append(await pay_hold(shop, i, token, done, order_lines(hold, {})))
            continue
        code = error_code(r)
        if code == "limit_exceeded":  # its 100 tickets bought (only when others left early)
            return
        assert (r.status_code, code) in {(409, "sold_out"), (409, "seats_taken")}, r.text
        free = await _free_seats(rt, sid)
        sale.refusals.append((want, free, code))
        if free == 0 or free >= want:  # sold out, or told "no" wrongly: the buyer leaves
            return


def _side_by_side(seats: list[str]) -> bool:
    """Keys are L1-HALL-<row>-<number>: one row, consecutive numbers."""
    rows = {key.rsplit("-", 2)[1] for key in seats}
    numbers = sorted(int(key.rsplit("-", 1)[1]) for key in seats)
    return len(rows) == 1 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


async def test_a_hundred_best_available_buyers_sell_every_seat(cluster: Cluster) -> None:
    sale = Sale()
    async with cluster.runtime() as rt:
        admin_token = await create_admin(rt)
        tokens = await create_customers(rt, BUYERS)
        sid = await seed_session(
            cluster.urls[0],
            admin_token,
            "BA",
            quotas={"S": SEATS},
            per_person_limit=100,
            rows=ROWS,
            seats_per_row=PER_ROW,
        )
        shop = Shop(cluster, connections=BUYERS)
        try:
            await asyncio.gather(
                *(_buyer(shop, rt, sale, i, tokens[i], sid) for i in range(BUYERS))
            )
        finally:
            await shop.aclose()
        held = Counter(len(p.seats) for p in sale.purchases)
        together = sum(_side_by_side(p.seats) for p in sale.purchases)
        summary = (
            f"{len(sale.purchases)} holds {dict(held)}, {together} side by side; "
            f"{len(sale.refusals)} refusals {Counter(c for _, _, c in sale.refusals)}"
        )
        assert sale.wrongly_refused == [], (len(sale.wrongly_refused), summary)
        assert sum(len(p.seats) for p in sale.purchases) == SEATS, summary
        numbers = [p.order for p in sale.purchases if p.order]
        statuses = await wait_for_orders(rt, numbers)
        assert Counter(statuses.values()) == {"paid": len(sale.purchases)}
        assert await problems(rt) == []
        async with rt.uow(TEST_ACTOR, readonly=True) as uow:
            seat_rows = dict(
                (
                    await uow.session.execute(
                        select(SessionSeat.status, func.count())
                        .where(SessionSeat.session_id == sid)
                        .group_by(SessionSeat.status)
                    )
                ).all()
            )
            paid_seats = Counter(
                (
                    await uow.session.scalars(
                        select(OrderLine.seat_key)
                        .join(Order, Order.id == OrderLine.order_id)
                        .where(Order.session_id == sid, Order.status == "paid")
                    )
                ).all()
            )
            tickets = await uow.session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.session_id == sid)
            )
    assert seat_rows == {"sold": SEATS}
    assert len(paid_seats) == SEATS
    assert set(paid_seats.values()) == {1}  # each seat in exactly one paid order
    assert tickets == SEATS

"""Acceptance (A1, OPS6, C4), property-based: after any mix of sales over three days — on the
web and at two agent outlets, through the bank or in cash, paid, declined or closed unpaid —
and refunds (whole or part, done the same day, a later day — after the sale's day was settled —
or still owed), the ledger balances, every account's balance is the sum of its lines, and each
day's settlement pays every party exactly its share: the platform and each agent their
percentage (rounded half-even) of their sales net of refunds plus their fee per ticket, the
organiser the rest, so that organiser + agents + platform = the day's net takings to the fen.
A refund of a settled day is counted on the day it was done. Settling a day again posts
nothing and returns the same run.

How it runs: as ``test_sales_stateful``, Hypothesis drives the async fixtures from a worker
thread (``asyncio.run_coroutine_threadsafe`` on the test's loop); each example settles a fresh
organiser's sales, so examples share the database without sharing a ledger account."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.conftest import T0, TEST_ACTOR
from tests.integration.settlement import settle_world as w

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.finance import ledger
from admit.finance.models import LedgerEntry, LedgerLine
from admit.settlement import agreements, runs
from admit.settlement.models import SettlementShare

pytestmark = pytest.mark.long

T = TypeVar("T")
DAY0 = (T0 + timedelta(days=1)).date()
DAYS = 3
WHERE = ["web", "agent0", "agent1"]


@dataclass(frozen=True)
class Op:
    day: int
    where: str
    cash: bool
    tickets: int
    price: int
    outcome: str
    refund: tuple[int, int, bool] | None  # (amount per mille of the payment, days later, done)


OPS = st.builds(
    Op,
    day=st.integers(0, DAYS - 1),
    where=st.sampled_from(WHERE),
    cash=st.booleans(),
    tickets=st.integers(1, 3),
    price=st.sampled_from([1, 333, 5000, 8001, 12_345]),
    outcome=st.sampled_from(["captured", "captured", "captured", "declined", "closed"]),
    refund=st.none() | st.tuples(st.integers(1, 1000), st.integers(0, 2), st.booleans()),
)
# (basis points, fen per ticket): 50 % and 25 % make halves of a fen, where rounding shows.
TERMS = st.tuples(st.sampled_from([0, 2500, 5000]) | st.integers(0, 2500), st.integers(0, 150))


def at(day: int, minute: int) -> datetime:
    return datetime.combine(DAY0 + timedelta(days=day), time(8), tzinfo=UTC) + timedelta(
        minutes=minute
    )


@dataclass
class Book:
    """The model: per day and outlet key, gross, refunded and tickets; refunds still owed."""

    gross: dict[tuple[int, str], int]
    refunded: dict[tuple[int, str], int]
    tickets: dict[tuple[int, str], int]
    owed: dict[int, int]  # day → refunds decided by its end and not done by then

    def net(self, day: int, key: str | None = None) -> int:
        keys = [k for d, k in self.gross.keys() | self.refunded.keys() if d == day]
        pick = [k for k in set(keys) if key is None or k == key]
        return sum(self.gross.get((day, k), 0) - self.refunded.get((day, k), 0) for k in pick)

    def count(self, day: int, key: str | None = None) -> int:
        return sum(n for (d, k), n in self.tickets.items() if d == day and key in (None, k))


async def play(
    rt: Runtime, stage: w.Stage, ops: list[Op], terms: dict[str, tuple[int, int]]
) -> tuple[int, dict[str, str], Book]:
    now = at(0, 0)
    organiser_id = await w.organiser(rt, now)
    outlets = {"web": "", **{k: await w.outlet(rt, "agent", now) for k in WHERE[1:]}}
    async with rt.uow(TEST_ACTOR) as uow:
        for kind, (bp, per_ticket) in terms.items():
            await agreements.create(
                uow,
                agreements.NewAgreement(
                    organiser_id=organiser_id,
                    kind="platform" if kind == "platform" else "agent",
                    party=None if kind == "platform" else outlets[kind],
                    percent_bp=bp,
                    per_ticket=per_ticket,
                    valid_from=DAY0,
                ),
                who="test",
                now=now,
            )
    book = Book(defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int))
    later: list[tuple[datetime, str, int, bool, str, int]] = []
    for i, op in enumerate(sorted(ops, key=lambda o: o.day)):
        key = outlets[op.where]
        cash = op.cash and op.where != "web"  # cash is taken at a counter only
        when = at(op.day, i)
        number = await w.sale(
            rt,
            stage,
            organiser_id=organiser_id,
            outlet=key or None,
            method="cash" if cash else "bank",
            tickets=op.tickets,
            price=op.price,
            at=when,
            outcome=op.outcome,
        )
        if op.outcome != "captured":
            continue
        total = op.tickets * op.price
        book.gross[op.day, key] += total
        book.tickets[op.day, key] += op.tickets
        if op.refund is not None:
            per_mille, days_later, done = op.refund
            amount = max(1, total * per_mille // 1000)
            refund_day = min(op.day + days_later, DAYS - 1)
            later.append((at(refund_day, 500 + i), number, amount, done, key, refund_day))
    for when, number, amount, done, key, day in sorted(later):
        await w.refund(rt, number, amount=amount, at=when, done=when if done else None)
        if done:
            book.refunded[day, key] += amount
        else:
            for owed_day in range(day, DAYS):
                book.owed[owed_day] += amount
    return organiser_id, outlets, book


async def settle_all(rt: Runtime, organiser_id: int) -> list[list[SettlementShare]]:
    out = []
    for day in range(DAYS):
        start = DAY0 + timedelta(days=day)
        async with rt.uow(TEST_ACTOR) as uow:
            run = await runs.settle(
                uow,
                organiser_id=organiser_id,
                start=start,
                end=start + timedelta(days=1),
                trigger="manual",
                who="test",
                now=at(DAYS, 0),
            )
            out.append((await runs.run_shares(uow, run.id))[1])
    return out


async def ledger_facts(
    rt: Runtime, organiser_id: int
) -> tuple[list[int], dict[str, int], dict[str, int], int]:
    async with rt.uow(TEST_ACTOR, readonly=True) as uow:
        unbalanced = await ledger.unbalanced_entries(uow)
        balances = await ledger.balances(uow, organiser_id=organiser_id)
        lines = (
            await uow.session.execute(
                select(LedgerLine.account, LedgerLine.amount)
                .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
                .where(LedgerEntry.organiser_id == organiser_id)
            )
        ).all()
        entries = await uow.session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.organiser_id == organiser_id)
        )
    summed: dict[str, int] = defaultdict(int)
    for account, amount in lines:
        summed[account] += amount
    return unbalanced, balances, dict(summed), int(entries or 0)


def expected(
    book: Book, day: int, terms: dict[str, tuple[int, int]], outlets: dict[str, str]
) -> dict[str, int]:
    out = {}
    for kind, (bp, per_ticket) in terms.items():
        key = None if kind == "platform" else outlets[kind]
        party = "platform:fees" if kind == "platform" else f"agent:{outlets[kind]}"
        # ``round`` of a Fraction rounds half to even: the rule, computed another way.
        percent = round(Fraction(book.net(day, key) * bp, 10_000))
        out[party] = percent + per_ticket * book.count(day, key)
    return out


async def test_settlement_pays_every_party_its_share_to_the_fen(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    stage = await w.stage(admin, runtime, clock)
    loop = asyncio.get_running_loop()

    def run(work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, loop).result(timeout=120)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        ops=st.lists(OPS, max_size=12),
        platform=TERMS,
        agent0=TERMS,
        agent1=TERMS,
    )
    def prop(
        ops: list[Op],
        platform: tuple[int, int],
        agent0: tuple[int, int],
        agent1: tuple[int, int],
    ) -> None:
        terms = {"platform": platform, "agent0": agent0, "agent1": agent1}
        organiser_id, outlets, book = run(play(runtime, stage, ops, terms))
        settled = run(settle_all(runtime, organiser_id))
        unbalanced, balances, summed, entries = run(ledger_facts(runtime, organiser_id))
        assert unbalanced == []
        assert balances == summed
        assert sum(balances.values()) == 0
        owed_to: dict[str, int] = defaultdict(int)
        for day, shares in enumerate(settled):
            got = {f"{s.kind}:{s.party}": s.amount for s in shares}
            want = expected(book, day, terms, outlets)
            paid = {k: v for k, v in got.items() if k.split(":")[0] in ("platform", "agent")}
            assert paid == {
                ("platform:fees" if k == "platform:fees" else k): v for k, v in want.items()
            }
            organiser = got[f"organiser:{organiser_id}"]
            assert organiser + sum(paid.values()) == book.net(day)  # to the fen
            assert got["customer:refunds"] == book.owed.get(day, 0)
            for s in shares:
                if s.kind in ("platform", "agent"):
                    owed_to[s.account] += s.amount
                    assert (s.entry_ref is not None) == (s.amount != 0)
            owed_to[ledger.payable_account(organiser_id)] += organiser
        # What the ledger says each party is owed (credit balances) is what was settled.
        for account, amount in owed_to.items():
            assert -balances.get(account, 0) == amount, account
        again = run(settle_all(runtime, organiser_id))
        assert [[s.id for s in d] for d in again] == [[s.id for s in d] for d in settled]
        assert run(ledger_facts(runtime, organiser_id))[3] == entries  # nothing posted twice

    await asyncio.to_thread(prop)

"""Acceptance (issue 18), property-based: after any mix of sales through the bank (approved or
declined), refunds (whole orders or one ticket, the policy's fee kept) and exchanges to a
dearer session (the difference paid) or a cheaper level (the rest refunded), every yuan is
where the model says: the ledger balances, every account's balance is the sum of its lines,
the organiser's payable holds exactly what was paid less what went back, the bank holds the
same, every counter agrees with the orders (``consistency``), and the day's settlement pays the
platform its percentage and the organiser the rest — together the day's net takings, to the
fen. The settlement's own property test (``tests/integration/settlement``) adds agents, cash
and refunds across settled days.

Each example builds a fresh organiser, event and two sessions and buys through the API and
the bank simulator, as a buyer does; Hypothesis drives it from a worker thread on the test's
loop (as ``test_sales_stateful``)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.aftersale.aftersale_world import World, fresh_world
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import order_seats, pay_url
from tests.integration.sales.sale_factories import customers_with_tokens

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance import ledger
from admit.finance.models import LedgerEntry, LedgerLine
from admit.sales import consistency
from admit.settlement import agreements, runs

pytestmark = pytest.mark.long

T = TypeVar("T")
ADMIN = "/api/v1/admin"
PLATFORM_BP = 500
ROWS = {"A": "AB", "B": "CD"}
_people = itertools.count(2000)


@dataclass(frozen=True)
class Buy:
    level: str
    seats: int
    approve: bool


@dataclass(frozen=True)
class Refund:
    order: int  # which of the orders bought so far (modulo their number)
    one: bool  # one ticket, or all that are left


@dataclass(frozen=True)
class Exchange:
    order: int
    dearer: bool  # to the other session (95.00), or to level B of the same one (50.00)


OPS = st.lists(
    st.one_of(
        st.builds(Buy, st.sampled_from("AB"), st.integers(1, 2), st.booleans()),
        st.builds(Refund, st.integers(0, 5), st.booleans()),
        st.builds(Exchange, st.integers(0, 5), st.booleans()),
    ),
    min_size=1,
    max_size=8,
)


@dataclass
class Model:
    """What should have happened to the money and the seats."""

    world: World
    free: dict[tuple[int, str], list[str]]  # (session, level) → free seats
    orders: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # paid orders
    paid: int = 0  # captured at the bank
    back: int = 0  # refunded through the bank

    def take(self, session: int, level: str, n: int) -> list[str] | None:
        seats = self.free[session, level]
        if len(seats) < n:
            return None
        taken, self.free[session, level] = seats[:n], seats[n:]
        return taken


async def _play(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    ops: list[Buy | Refund | Exchange],
) -> Model:
    world = await fresh_world(admin, runtime, clock)
    opened = await admin.put(
        f"{ADMIN}/sessions/{world.session_id}/refund-policy",
        json={
            "reason": "approved",
            "approval_required": False,
            "fee_percent_bp": 1000,
            "exchange_fee_fixed": 100,
            "paid_before": (clock.now() + timedelta(days=1)).isoformat(),
        },
    )
    assert opened.status_code == 200, opened.text
    seats = {r: [f"L1-HALL-{r}-{n}" for n in range(1, 6)] for r in "ABCD"}
    model = Model(
        world,
        {
            (world.session_id, "A"): seats["A"] + seats["B"],
            (world.session_id, "B"): seats["C"] + seats["D"],
            (world.other_id, "A"): seats["A"] + seats["B"],
        },
    )
    for op in ops:
        if isinstance(op, Buy):
            await _buy(client, runtime, bank, model, op)
        elif isinstance(op, Refund):
            await _refund(client, model, op)
        else:
            await _exchange(client, bank, model, op)
        clock.advance(timedelta(seconds=30))
    for _ in range(3):  # the refund jobs, through the bank
        await run_once(runtime)
        clock.advance(timedelta(seconds=5))
    return model


async def _buy(
    client: httpx.AsyncClient, runtime: Runtime, bank: Bank, model: Model, op: Buy
) -> None:
    seats = model.take(model.world.session_id, op.level, op.seats)
    if seats is None:
        return
    (who,) = await customers_with_tokens(runtime, 1, next(_people))
    number = await order_seats(
        client, model.world.session_id, who, seats, f"prop-{seats[0]}-{id(op)}"
    )
    await bank.decide(await pay_url(client, number, who), "approve" if op.approve else "decline")
    await bank.settled()
    order = (await client.get(f"/api/v1/orders/{number}", headers=who)).json()
    if op.approve:
        assert order["status"] == "paid", order
        model.paid += order["total"]
        model.orders.append((number, who))
    else:  # declined: the seats are on sale again
        model.free[model.world.session_id, op.level] += seats


async def _tickets(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> list[str]:
    tickets = (await client.get(f"/api/v1/orders/{number}/tickets", headers=who)).json()
    return [t["code"] for t in tickets if t.get("status", "valid") == "valid"]


async def _valid(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> list[str]:
    order = (await client.get(f"/api/v1/orders/{number}", headers=who)).json()
    if order["status"] not in ("paid", "partially_refunded"):
        return []
    return await _tickets(client, number, who)


async def _refund(client: httpx.AsyncClient, model: Model, op: Refund) -> None:
    if not model.orders:
        return
    number, who = model.orders[op.order % len(model.orders)]
    valid = await _valid(client, number, who)
    if not valid:
        return
    body = {"tickets": valid[:1]} if op.one else {}
    applied = await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json=body)
    if applied.status_code == 409:  # every valid ticket is in an exchange still being paid
        return
    assert applied.status_code == 201, applied.text
    model.back += applied.json()["refund"]


async def _exchange(client: httpx.AsyncClient, bank: Bank, model: Model, op: Exchange) -> None:
    if not model.orders:
        return
    number, who = model.orders[op.order % len(model.orders)]
    valid = await _valid(client, number, who)
    target = (model.world.other_id, "A") if op.dearer else (model.world.session_id, "B")
    seats = model.take(*target, 1) if valid else None
    if seats is None:
        return
    started = await client.post(
        f"/api/v1/orders/{number}/exchanges",
        headers=who,
        json={"tickets": valid[:1], "session_id": target[0], "seats": seats},
    )
    if started.status_code == 409:
        model.free[target] += seats
        return
    assert started.status_code == 201, started.text
    ex = started.json()
    model.back += ex["back"]
    if ex["due"]:
        payment = await client.post(
            f"/api/v1/orders/{ex['new_order_number']}/payments",
            headers=who,
            json={"method": "bank"},
        )
        assert payment.json()["amount"] == ex["due"]
        await bank.decide(payment.json()["pay_url"])
        await bank.settled()
        model.paid += ex["due"]
    model.orders.append((ex["new_order_number"], who))


async def _settle(runtime: Runtime, clock: FixedClock, organiser_id: int) -> dict[str, int]:
    day = clock.now().date()
    async with runtime.uow(TEST_ACTOR) as uow:
        await agreements.create(
            uow,
            agreements.NewAgreement(
                organiser_id=organiser_id, kind="platform", percent_bp=PLATFORM_BP
            ),
            who="test",
            now=clock.now(),
        )
    async with runtime.uow(TEST_ACTOR) as uow:
        run = await runs.settle(
            uow,
            organiser_id=organiser_id,
            start=day,
            end=day + timedelta(days=1),
            trigger="manual",
            who="test",
            now=clock.now() + timedelta(days=1),
        )
        shares = (await runs.run_shares(uow, run.id))[1]
    return {s.kind: s.amount for s in shares if s.kind in ("organiser", "platform")}


async def _facts(
    runtime: Runtime, organiser_id: int
) -> tuple[list[int], dict[str, int], dict[str, int], list[str]]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        unbalanced = await ledger.unbalanced_entries(uow)
        balances = await ledger.balances(uow, organiser_id=organiser_id)
        summed: dict[str, int] = {}
        for account, amount in (
            await uow.session.execute(
                select(LedgerLine.account, LedgerLine.amount)
                .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
                .where(LedgerEntry.organiser_id == organiser_id)
            )
        ).all():
            summed[account] = summed.get(account, 0) + amount
        problems = await consistency.problems(uow)
    return unbalanced, balances, summed, problems


async def test_every_yuan_is_where_the_model_says_after_sales_refunds_and_exchanges(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    # Every example's buyers hold from this one test client: more than an address's budget.
    runtime.settings.limit_holds_per_address_minute = 10_000
    loop = asyncio.get_running_loop()
    admin_headers = dict(client.headers)

    def run(work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, loop).result(timeout=300)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(ops=OPS)
    def prop(ops: list[Buy | Refund | Exchange]) -> None:
        client.headers.update(admin_headers)
        model = run(_play(admin, client, runtime, clock, bank, ops))
        organiser = model.world.organiser_id
        unbalanced, balances, summed, problems = run(_facts(runtime, organiser))
        assert unbalanced == []
        assert problems == []
        assert balances == {k: v for k, v in summed.items() if v or k in balances}
        net = model.paid - model.back
        assert balances.get(ledger.payable_account(organiser), 0) == -net
        assert balances.get("gateway:bank", 0) == net
        shares = run(_settle(runtime, clock, organiser))
        platform = round(Fraction(net * PLATFORM_BP, 10_000))  # half-even, as documented
        assert shares.get("platform", 0) == platform
        assert shares["organiser"] + shares.get("platform", 0) == net  # to the fen

    await asyncio.to_thread(prop)

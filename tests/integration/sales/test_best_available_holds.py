"""Best available under contention (S5, issue 31 item 5): a seat another buyer takes between
the plan read and the claim is passed over and the hold gets the next best seats; a hold
fails only when the level has fewer free seats than asked, with how many are left. On
PostgreSQL a seat another transaction is still claiming is skipped without waiting, and near
the end the claim waits for that transaction to tell whether the seat is really gone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    customers_with_ids,
    on_sale,
    states,
)

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.inventory import best_claims
from admit.sales import holds
from admit.sales.models import Hold

LEVEL_A = ROW_A + ROW_B  # on_sale: level A is rows A and B, quota 10, 4 per person


def hold_path(sid: int) -> str:
    return f"/api/v1/sessions/{sid}/holds"


def best(n: int) -> dict[str, Any]:
    return {"best": {"level": "A", "quantity": n}}


def seats_of(cid: int, sid: int, keys: list[str]) -> holds.HoldRequest:
    return holds.HoldRequest(session_id=sid, buyer=f"customer:{cid}", channel="web", seat_keys=keys)


def after_plan_read(
    monkeypatch: pytest.MonkeyPatch, competitor: Callable[[UnitOfWork], Awaitable[None]]
) -> None:
    """Run ``competitor`` once, right after the best-available claim has read the plan."""
    read = best_claims.level_plan
    done: list[bool] = []

    async def reading(uow: UnitOfWork, **kw: Any) -> best_claims.LevelPlan:
        plan = await read(uow, **kw)
        if not done:
            done.append(True)
            await competitor(uow)
        return plan

    monkeypatch.setattr(best_claims, "level_plan", reading)


async def _held_by(runtime: Runtime) -> dict[str, int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.execute(
            select(Hold.buyer, Hold.quantity).where(Hold.status == "active")
        )
        return {str(buyer): int(quantity) for buyer, quantity in rows}


async def test_a_seat_taken_between_the_plan_read_and_the_claim_is_passed_over(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = await on_sale(admin, clock)
    (ann, _), (_, bob) = await customers_with_ids(runtime, 2)

    async def ann_takes_a_chosen_seat(uow: UnitOfWork) -> None:
        # The pair bob's plan read chooses is A-1, A-2 (row A's middle would leave lone
        # seats). SQLite lets one writer in at a time: there ann's hold joins bob's
        # transaction; on PostgreSQL it commits on its own before bob's claim.
        ann_req = seats_of(ann, sid, [ROW_A[1]])
        if uow.dialect == "sqlite":
            await holds.place_hold(uow, ann_req, now=clock.now())
            return
        async with runtime.uow(TEST_ACTOR) as other:
            await holds.place_hold(other, ann_req, now=clock.now())

    after_plan_read(monkeypatch, ann_takes_a_chosen_seat)
    r = await client.post(hold_path(sid), headers=bob, json=best(2))
    assert r.status_code == 201, r.text
    # Row A has no pair left that leaves no lone seat: row B's first pair is the next best.
    assert r.json()["seats"] == ROW_B[:2]
    assert (await states(client, sid))[:10] == "ahaaa" + "hhaaa"
    assert sorted((await _held_by(runtime)).values()) == [1, 2]


async def test_fewer_free_seats_than_asked_is_sold_out_with_the_number_left(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (_, ann), (_, bob), (_, carl) = await customers_with_ids(runtime, 3)
    for who, keys in ((ann, LEVEL_A[:4]), (bob, LEVEL_A[4:8])):
        assert (await client.post(hold_path(sid), headers=who, json={"seats": keys})).is_success
    before = await states(client, sid), await _held_by(runtime)
    r = await client.post(hold_path(sid), headers=carl, json=best(3))
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "sold_out",
        "message": "fewer than 3 seats are left at level A",
        "details": {"level": "A", "available": 2},
    }
    assert (await states(client, sid), await _held_by(runtime)) == before
    r = await client.post(hold_path(sid), headers=carl, json=best(2))
    assert r.status_code == 201, r.text
    assert r.json()["seats"] == LEVEL_A[8:]


async def test_no_pair_side_by_side_left_gives_the_best_seats_apart(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (_, ann), (_, bob) = await customers_with_ids(runtime, 2)
    taken = [ROW_A[1], ROW_A[3], ROW_B[1], ROW_B[3]]
    assert (await client.post(hold_path(sid), headers=ann, json={"seats": taken})).is_success
    r = await client.post(hold_path(sid), headers=bob, json=best(2))
    assert r.status_code == 201, r.text
    assert r.json()["seats"] == [ROW_A[0], ROW_A[2]]


# --- PostgreSQL: transactions still running ---------------------------------------------------


class _Undo(Exception):
    pass


async def _in_flight(
    runtime: Runtime,
    work: Callable[[UnitOfWork], Awaitable[object]],
    claimed: asyncio.Event,
    end: asyncio.Event,
    *,
    commit: bool = True,
) -> bool:
    """Another transaction doing ``work`` and staying open until ``end``, then committing or
    rolling back. Returns whether it committed."""
    try:
        async with runtime.uow(TEST_ACTOR) as other:
            await work(other)
            claimed.set()
            await end.wait()
            if not commit:
                raise _Undo
    except _Undo:
        return False
    return True


async def _lock_waiters(runtime: Runtime) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return int(
            await uow.session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


# Row locks held by a running transaction: PostgreSQL's (SQLite serialises writers whole).
POSTGRESQL_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@POSTGRESQL_ONLY
async def test_a_seat_another_transaction_is_claiming_is_skipped_without_waiting(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
) -> None:
    sid = await on_sale(admin, clock)
    ((_, bob),) = await customers_with_ids(runtime, 1)

    async def lock_a_seat(uow: UnitOfWork) -> None:
        # What a claim does to a seat, and only that: a buyer's whole hold would also hold
        # the level's quota counter (one slice at this size), which bob's hold waits for.
        await uow.session.execute(
            text(
                "SELECT s.id FROM session_seat s JOIN seat ON seat.id = s.seat_id"
                " WHERE s.session_id = :sid AND seat.key = :key FOR UPDATE OF s"
            ),
            {"sid": sid, "key": ROW_A[1]},
        )

    claimed, end = asyncio.Event(), asyncio.Event()
    other = asyncio.create_task(_in_flight(runtime, lock_a_seat, claimed, end, commit=False))
    await asyncio.wait_for(claimed.wait(), 30)
    try:
        # Bob's chosen pair has a seat locked by a running transaction. Waiting for
        # it would hang here: that transaction ends after bob's hold.
        r = await asyncio.wait_for(client.post(hold_path(sid), headers=bob, json=best(2)), 30)
    finally:
        end.set()
        await other
    assert r.status_code == 201, r.text
    assert r.json()["seats"] == ROW_B[:2]
    assert (await states(client, sid))[:10] == "aaaaa" + "hhaaa"


@pytest.mark.parametrize("ann_commits", [False, True])
@POSTGRESQL_ONLY
async def test_the_last_seats_wait_for_the_transaction_claiming_them(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    ann_commits: bool,
) -> None:
    sid = await on_sale(admin, clock)
    (ann, _), (_, bob), (_, carl), (_, dave) = await customers_with_ids(runtime, 4)
    for who, keys in ((carl, LEVEL_A[:4]), (dave, LEVEL_A[4:8])):
        assert (await client.post(hold_path(sid), headers=who, json={"seats": keys})).is_success
    claimed, end = asyncio.Event(), asyncio.Event()
    ann_req = seats_of(ann, sid, [LEVEL_A[8]])

    async def ann_holds(uow: UnitOfWork) -> None:
        await holds.place_hold(uow, ann_req, now=clock.now())

    ann_hold = asyncio.create_task(_in_flight(runtime, ann_holds, claimed, end, commit=ann_commits))
    await asyncio.wait_for(claimed.wait(), 30)
    bob_hold = asyncio.create_task(client.post(hold_path(sid), headers=bob, json=best(2)))
    try:
        # Two seats are free and one of them is being claimed: bob's claim must wait to know.
        for _ in range(600):
            if await _lock_waiters(runtime) or bob_hold.done():
                break
            await asyncio.sleep(0.05)
        assert not bob_hold.done(), bob_hold.result().text
    finally:
        end.set()
        assert await ann_hold == ann_commits
    r = await asyncio.wait_for(bob_hold, 30)
    if ann_commits:
        assert r.status_code == 409, r.text
        assert r.json()["error"]["details"] == {"level": "A", "available": 1}
    else:
        assert r.status_code == 201, r.text
        assert r.json()["seats"] == LEVEL_A[8:]
    assert sum((await _held_by(runtime)).values()) == (9 if ann_commits else 10)

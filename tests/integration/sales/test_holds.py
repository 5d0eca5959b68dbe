"""Holds (S5, INV0, invariant 1): all or nothing, within window, quota and per-person limit;
lazy expiry and the sweeper; release; concurrent buyers never get the same seat."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    customers_with_tokens,
    on_sale,
    states,
)

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.inventory.claims import SeatsTaken
from admit.sales import holds
from admit.sales.models import BuyerUsage, Hold, WindowQuota


async def _counters(runtime: Runtime) -> tuple[list[int], list[int], int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        quotas = list(
            (
                await uow.session.scalars(
                    select(WindowQuota.held).select_from(WindowQuota).order_by(WindowQuota.id)
                )
            ).all()
        )
        usage = list(
            (await uow.session.scalars(select(BuyerUsage.held).order_by(BuyerUsage.id))).all()
        )
        active = await uow.session.scalar(
            select(func.count()).select_from(Hold).where(Hold.status == "active")
        )
    return quotas, usage, active or 0


async def test_a_hold_takes_the_seats_and_a_second_buyer_gets_409(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob = await customers_with_tokens(runtime, 2)
    held = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_A[:2]}
    )
    assert held.status_code == 201, held.text
    body = held.json()
    assert (body["status"], body["quantity"], body["seats"]) == ("active", 2, ROW_A[:2])
    assert (await states(client, sid))[:5] == "hhaaa"
    before = await _counters(runtime)
    refused = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=bob, json={"seats": [ROW_A[1], ROW_A[2]]}
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "seats_taken",
        "message": "some seats are no longer available",
        "details": {"seats": [ROW_A[1]]},
    }
    assert await _counters(runtime) == before
    assert (await states(client, sid))[:5] == "hhaaa"


async def test_anonymous_visitors_cannot_hold(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    response = await client.post(
        f"/api/v1/sessions/{sid}/holds", json={"seats": ROW_A[:1]}, headers={"Authorization": ""}
    )
    assert response.status_code == 401


async def test_limits_quotas_and_windows(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, quota_a=3, limit=4)
    ann, bob = await customers_with_tokens(runtime, 2)
    too_many = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_B}
    )
    assert too_many.json()["error"]["code"] == "limit_exceeded"
    first = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_A[:3]}
    )
    assert first.status_code == 201
    over_limit = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ["L1-HALL-C-1", "L1-HALL-C-2"]}
    )
    assert over_limit.json()["error"]["code"] == "limit_exceeded"
    sold_out = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=bob, json={"seats": [ROW_B[0]]}
    )
    assert sold_out.status_code == 409
    assert sold_out.json()["error"]["code"] == "sold_out"
    assert await _counters(runtime) == ([3, 0], [3], 1)  # Bob's refusal left no counter
    clock.advance(timedelta(days=6))
    ended = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=bob, json={"seats": ["L1-HALL-C-1"]}
    )
    assert ended.json()["error"]["code"] == "not_on_sale"


async def test_release_gives_everything_back(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    hold = (
        await client.post(f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_A[:2]})
    ).json()
    released = await client.delete(f"/api/v1/holds/{hold['id']}", headers=ann)
    assert released.json()["status"] == "released"
    assert (await states(client, sid))[:5] == "aaaaa"
    assert await _counters(runtime) == ([0, 0], [0], 0)


async def test_an_unpaid_hold_expires_lazily_and_is_swept(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob = await customers_with_tokens(runtime, 2)
    await client.post(f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_A[:2]})
    clock.advance(timedelta(minutes=15))
    assert (await states(client, sid))[:5] == "aaaaa"  # expired holds read as free
    taken = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=bob, json={"seats": ROW_A[1:3]}
    )
    assert taken.status_code == 201
    await run_once(runtime)  # the sweeper expires Ann's hold and gives back her counters
    assert await _counters(runtime) == ([2, 0], [0, 2], 1)
    assert (await states(client, sid))[:5] == "ahhaa"


async def test_a_repeated_idempotency_key_returns_the_same_hold(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    headers = {**ann, "Idempotency-Key": "abc-1"}
    first = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=headers, json={"seats": ROW_A[:1]}
    )
    again = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=headers, json={"seats": ROW_A[:1]}
    )
    assert first.json()["id"] == again.json()["id"]
    assert await _counters(runtime) == ([1, 0], [1], 1)


async def test_concurrent_buyers_never_share_a_seat(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """40 buyers at once, each for two of the same five seats, on separate transactions."""
    sid = await on_sale(admin, clock)
    buyers = [f"customer:{i}" for i in range(40)]
    pairs = [[ROW_A[i % 5], ROW_A[(i + 1) % 5]] for i in range(40)]

    async def attempt(buyer: str, seats: list[str]) -> bool:
        try:
            async with runtime.uow(TEST_ACTOR) as uow:
                await holds.place_hold(
                    uow,
                    holds.HoldRequest(session_id=sid, buyer=buyer, channel="web", seat_keys=seats),
                    now=clock.now(),
                )
        except SeatsTaken:
            return False
        return True

    won = await asyncio.gather(*(attempt(b, p) for b, p in zip(buyers, pairs, strict=True)))
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        active = (await uow.session.scalars(select(Hold).where(Hold.status == "active"))).all()
        held = {h.id: h.quantity for h in active}
        quota_held = await uow.session.scalar(
            select(WindowQuota.held).select_from(WindowQuota).order_by(WindowQuota.id).limit(1)
        )
    assert sum(won) == len(held)
    assert 1 <= sum(won) <= 2  # five seats in pairs: at most two disjoint pairs win
    assert quota_held == 2 * sum(won)
    assert (await states(client, sid))[:5].count("h") == 2 * sum(won)


async def test_best_available_seats_side_by_side(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob = await customers_with_tokens(runtime, 2)
    taken = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": [ROW_A[1], ROW_A[3]]}
    )
    assert taken.status_code == 201
    best = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=bob, json={"best": {"level": "A", "quantity": 2}}
    )
    assert best.status_code == 201, best.text
    assert best.json()["seats"] == ROW_B[:2]  # row A has no two free side by side
    too_many = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=bob, json={"best": {"level": "A", "quantity": 3}}
    )
    assert too_many.json()["error"]["code"] == "limit_exceeded"  # the limit is 4 in all
    unknown = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"best": {"level": "Z", "quantity": 1}}
    )
    assert unknown.status_code == 400

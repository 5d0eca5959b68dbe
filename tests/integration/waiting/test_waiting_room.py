"""The waiting room: signed-in customers join once each, early arrivals are drawn in random
order at the opening, later ones queue behind them, buyers are let in at the set rate, and
holds need an admission issued to the buyer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.waiting import room as waiting_room
from admit.waiting import rules as queue_rules
from tests.integration.sales.addresses import from_address
from tests.integration.sales.sale_factories import ADMIN, ROW_A, customers_with_ids, on_sale

pytestmark = pytest.mark.backends


async def _room(admin: httpx.AsyncClient, sid: int, opens: object, rate: int = 60) -> None:
    answer = await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": opens, "rate_per_minute": rate, "admission_minutes": 20},
    )
    assert answer.status_code == 200, answer.text


async def test_early_arrivals_are_shuffled_and_let_in_at_the_rate(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    opens = clock.now() + timedelta(minutes=10)
    await _room(admin, sid, opens.isoformat())
    buyers = await customers_with_ids(runtime, 41)
    early = []
    for i, (_, auth) in enumerate(buyers[:40]):
        async with from_address(app, f"10.0.1.{i}") as c:
            joined = await c.post(f"/api/v1/sessions/{sid}/queue", headers=auth)
        assert joined.status_code == 201, joined.text
        body = joined.json()
        assert (body["place"], body["admitted"], body["wait_seconds"]) == (None, False, 600)
        early.append((body["token"], auth))

    clock.advance(timedelta(minutes=10, seconds=4.5))  # 5 let in: places 0–4
    places = []
    for token, auth in early:
        seen = await admin.get(
            f"/api/v1/sessions/{sid}/queue", params={"token": token}, headers=auth
        )
        body = seen.json()
        places.append(body["place"])
        assert body["admitted"] == (body["place"] < 5)
        assert (body["admission_token"] is not None) == body["admitted"]
        if not body["admitted"]:
            assert body["ahead"] == body["place"] - 5
            assert body["wait_seconds"] == body["place"] - 4
    assert sorted(places) == list(range(40))
    assert places != list(range(40)), "arriving first must not mean being first"
    late = (await admin.post(f"/api/v1/sessions/{sid}/queue", headers=buyers[40][1])).json()
    assert (late["place"], late["ahead"]) == (40, 35)


async def _admitted(client: httpx.AsyncClient, sid: int, auth: dict[str, str]) -> str:
    joined = await client.post(f"/api/v1/sessions/{sid}/queue", headers=auth)
    assert joined.status_code == 201, joined.text
    token: str = joined.json()["admission_token"]
    assert token
    return token


async def test_a_hold_needs_the_buyers_own_admission(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await _room(admin, sid, clock.now().isoformat(), rate=600)
    (ann, ann_auth), (bob, bob_auth) = await customers_with_ids(runtime, 2)
    client.headers.pop("Authorization", None)
    holds = f"/api/v1/sessions/{sid}/holds"
    body = {"seats": ROW_A[:2]}

    refused = await client.post(holds, json=body, headers=ann_auth)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "admission_required"
    forged = await client.post(
        holds, json=body, headers={**ann_auth, "X-Admission-Token": "a2.1.x.1.9999999999.f"}
    )
    assert forged.json()["error"]["code"] == "admission_required"
    seats = (await client.get(f"/api/v1/sessions/{sid}/availability")).json()["states"]
    assert set(seats) == {"a"}, "nothing was held"

    admission = await _admitted(client, sid, ann_auth)
    passed_on = await client.post(
        holds, json={"seats": ROW_A[3:4]}, headers={**bob_auth, "X-Admission-Token": admission}
    )
    assert passed_on.status_code == 403, "bound to ann when issued, before any use"
    assert passed_on.json()["error"]["code"] == "admission_not_yours"
    seats = (await client.get(f"/api/v1/sessions/{sid}/availability")).json()["states"]
    assert set(seats) == {"a"}, "nothing was held"

    held = await client.post(holds, json=body, headers={**ann_auth, "X-Admission-Token": admission})
    assert held.status_code == 201, held.text
    again = await client.post(
        holds, json={"seats": ROW_A[2:3]}, headers={**ann_auth, "X-Admission-Token": admission}
    )
    assert again.status_code == 201, "the same buyer may use their admission again"
    still = await client.post(
        holds, json={"seats": ROW_A[3:4]}, headers={**bob_auth, "X-Admission-Token": admission}
    )
    assert still.json()["error"]["code"] == "admission_not_yours"
    assert ann != bob


async def test_an_admission_is_for_one_session_and_expires(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    await _room(admin, sid, clock.now().isoformat(), rate=600)
    [(cid, auth)] = await customers_with_ids(runtime, 1)
    admission = await _admitted(client, sid, auth)
    granted = queue_rules.read_admission_token(
        admission, waiting_room.signer(runtime.crypto), now=clock.now()
    )
    assert granted is not None
    assert granted.customer_id == cid
    elsewhere = queue_rules.admission_token(
        queue_rules.Admission(sid + 1, granted.entry, cid, granted.expires_at),
        waiting_room.signer(runtime.crypto),
    )
    holds = f"/api/v1/sessions/{sid}/holds"
    for token in (elsewhere, admission.replace(f"a2.{sid}.", f"a2.{sid + 1}.")):
        wrong = await client.post(
            holds, json={"seats": ROW_A[:1]}, headers={**auth, "X-Admission-Token": token}
        )
        assert wrong.json()["error"]["code"] == "admission_required"
    clock.advance(timedelta(minutes=21))
    expired = await client.post(
        holds, json={"seats": ROW_A[:1]}, headers={**auth, "X-Admission-Token": admission}
    )
    assert expired.json()["error"]["code"] == "admission_required"


async def test_queue_tokens_are_checked_and_the_drawn_opening_stays(
    admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    opens = clock.now() + timedelta(minutes=1)
    await _room(admin, sid, opens.isoformat())
    [(_, auth), (_, other)] = await customers_with_ids(runtime, 2)
    queue = f"/api/v1/sessions/{sid}/queue"
    token = (await admin.post(queue, headers=auth)).json()["token"]
    bad = await admin.get(queue, params={"token": token + "0"}, headers=auth)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "queue_token_invalid"
    elsewhere = await admin.get(
        f"/api/v1/sessions/{sid + 1}/queue", params={"token": token}, headers=auth
    )
    assert elsewhere.json()["error"]["code"] == "queue_token_invalid"
    not_theirs = await admin.get(queue, params={"token": token}, headers=other)
    assert not_theirs.json()["error"]["code"] == "queue_token_invalid"
    assert (await admin.post(f"/api/v1/sessions/{sid + 1}/queue", headers=auth)).status_code == 404

    clock.advance(timedelta(minutes=2))
    seen = (await admin.get(queue, params={"token": token}, headers=auth)).json()
    assert (seen["place"], seen["admitted"]) == (0, True)
    moved = await admin.put(
        f"{ADMIN}/sessions/{sid}/waiting-room",
        json={"opens_at": (opens + timedelta(hours=1)).isoformat(), "rate_per_minute": 60},
    )
    assert moved.status_code == 400
    shown = (await admin.get(f"{ADMIN}/sessions/{sid}/waiting-room")).json()
    assert (shown["drawn"], shown["queued"], shown["opens_at"][:16]) == (
        True,
        1,
        opens.isoformat()[:16],
    )


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_concurrent_arrivals_at_the_opening_get_distinct_places(
    admin: httpx.AsyncClient, app: FastAPI, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock)
    opens = clock.now() + timedelta(seconds=1)
    await _room(admin, sid, opens.isoformat())
    buyers = await customers_with_ids(runtime, 30)
    queue = f"/api/v1/sessions/{sid}/queue"

    async def arrive(i: int) -> httpx.Response:
        async with from_address(app, f"10.0.2.{i}") as c:
            return await c.post(queue, headers=buyers[i][1])

    early = [(await arrive(i)).json()["token"] for i in range(10)]
    clock.advance(timedelta(seconds=2))

    async def late(i: int) -> int:
        return int((await arrive(i)).json()["place"])

    async def look(i: int, token: str) -> int:
        seen = await admin.get(queue, params={"token": token}, headers=buyers[i][1])
        return int(seen.json()["place"])

    places = await asyncio.gather(
        *(late(i) for i in range(10, 30)), *(look(i, t) for i, t in enumerate(early))
    )
    assert sorted(places) == list(range(30))
    assert sorted(places[20:]) == list(range(10)), "the early arrivals are drawn first"

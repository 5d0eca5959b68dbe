"""A seat reserved for a client until a date returns to general sale when the date passes
(INV3; issue 27, item 2's first step), on both databases — the explicit claim (``admit_hold``
on PostgreSQL, migration 0028) and best available alike: before, the map showed such a seat
free and counted it, but every hold of it was refused."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from tests.integration.clients.client_factories import reserve
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    customers_with_tokens,
    on_sale,
    states,
)

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

pytestmark = pytest.mark.backends
LEVEL_A = {"rows": [{"section": "HALL", "row": "A"}, {"section": "HALL", "row": "B"}]}


async def test_a_lapsed_reservation_is_held_by_anyone(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    until = clock.now() + timedelta(hours=1)
    reserved = await reserve(admin, sid, LEVEL_A, until.isoformat())
    assert reserved.status_code == 200, reserved.text
    assert reserved.json() == {"changed": 10}
    ann, bob = await customers_with_tokens(runtime, 2)
    path = f"/api/v1/sessions/{sid}/holds"

    assert (await states(client, sid))[:10] == "r" * 10
    refused = await client.post(path, headers=ann, json={"seats": ROW_A[:1]})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "seat_reserved"
    none_left = await client.post(path, headers=bob, json={"best": {"level": "A", "quantity": 2}})
    assert none_left.status_code == 409, none_left.text

    clock.advance(timedelta(hours=2))  # the reservation has lapsed
    assert (await states(client, sid))[:10] == "a" * 10
    mine = await client.post(path, headers=ann, json={"seats": ROW_A[:1]})
    assert mine.status_code == 201, mine.text
    best = await client.post(path, headers=bob, json={"best": {"level": "A", "quantity": 2}})
    assert best.status_code == 201, best.text
    assert len(best.json()["seats"]) == 2
    assert set(best.json()["seats"]) <= set(ROW_A[1:] + ROW_B)
    assert (await states(client, sid))[:10].count("h") == 3

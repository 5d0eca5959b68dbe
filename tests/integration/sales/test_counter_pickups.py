"""Redemption at the counter by pickup code with an ID check (issue 27, item 7; G18): the
clerk hands a paid order over to the buyer or a ticket holder — never to someone the order does
not name — once, at most N orders per person a local day (also when counters race), and prints
the tickets; another outlet's clerk gets 403."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR, police_population
from tests.integration.sales.collect_world import cash_sale, paid_real_name_order
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import ROW_A, ROW_B, box_office, clerk_of, on_sale

from admit.core.audit import AuditEntry, PendingAudit
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.models import Pickup
from admit.sales.pickups import person_key

pytestmark = pytest.mark.backends
ADMIN = "/api/v1/admin"
PICKUPS = "/api/v1/counter/pickups"
PEOPLE = list(police_population())


def pickup(code: str, number: str, outlet: str = "BO-1") -> dict[str, Any]:
    return {"code": code, "outlet": outlet, "document": {"doc_type": "cn_id", "number": number}}


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


async def _actions(runtime: Runtime, number: str) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        found: list[str] = []
        for model in (PendingAudit, AuditEntry):
            found += (
                await uow.session.scalars(
                    select(model.action).where(
                        model.entity_type == "order", model.entity_id == number
                    )
                )
            ).all()
    return sorted(a for a in found if a.startswith(("order.collected", "tickets.")))


async def test_a_named_person_collects_a_paid_order_once_and_the_clerk_prints_it(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    world = await paid_real_name_order(admin, client, runtime, clock, bank)
    clerk = world.clerk
    wrong_person = await client.post(
        PICKUPS, headers=clerk, json=pickup(world.pickup_code, world.stranger_document)
    )
    refused(wrong_person, 403, "pickup_identity_mismatch")
    refused(
        await client.post(PICKUPS, headers=clerk, json=pickup("ZZZZZZZZZZ", PEOPLE[0])),
        404,
        "not_found",
    )

    collected = await client.post(
        PICKUPS, headers=clerk, json=pickup(world.pickup_code.lower(), world.holder_document)
    )

    assert collected.status_code == 201, collected.text
    body = collected.json()
    assert (body["order"], body["outlet"]) == (world.number, "BO-1")
    assert sorted(t["seat"] for t in body["tickets"]) == sorted(ROW_A[:2])
    again = await client.post(
        PICKUPS, headers=clerk, json=pickup(world.pickup_code, world.buyer_document)
    )
    assert refused(again, 409, "already_collected")["details"]["outlet"] == "BO-1"
    printed = await client.get(f"{PICKUPS}/{body['id']}/tickets.pdf", headers=clerk)
    assert printed.status_code == 200, printed.text
    assert printed.content.startswith(b"%PDF-")
    assert await _actions(runtime, world.number) == ["order.collected", "tickets.printed"]

    other = await admin.post(
        f"{ADMIN}/outlets", json={"channel": "box_office", "code": "BO-2", "name": "Gate B"}
    )
    assert other.status_code == 201, other.text
    stranger = await clerk_of(runtime, "BO-2", "kiosk2")
    refused(
        await client.get(f"{PICKUPS}/{body['id']}/tickets.pdf", headers=stranger), 403, "forbidden"
    )
    at_bo1 = await client.post(
        PICKUPS, headers=stranger, json=pickup(world.pickup_code, world.buyer_document)
    )
    refused(at_bo1, 403, "forbidden")  # BO-2's clerk cannot act for BO-1


async def test_an_order_naming_nobody_is_handed_over_on_its_code_and_recorded(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    number, code = await cash_sale(client, clerk, sid, ROW_B[:1], "nobody-key-1")

    handed = await client.post(PICKUPS, headers=clerk, json=pickup(code, PEOPLE[0]))

    assert handed.status_code == 201, handed.text
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        kept = (await uow.session.scalars(select(Pickup.person_key))).all()
    assert kept == [person_key(runtime.crypto, "cn_id", PEOPLE[0])]  # its hash, no number
    assert await _actions(runtime, number) == ["order.collected"]


async def test_one_person_collects_at_most_the_daily_limit(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"pickups_per_person_day": 2})
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    codes = [
        (await cash_sale(client, clerk, sid, [seat], f"limit-key-{n}"))[1]
        for n, seat in enumerate(ROW_B[:4])
    ]
    for code in codes[:2]:
        assert (
            await client.post(PICKUPS, headers=clerk, json=pickup(code, PEOPLE[0]))
        ).status_code == 201

    third = await client.post(PICKUPS, headers=clerk, json=pickup(codes[2], PEOPLE[0]))

    assert refused(third, 409, "pickup_limit_reached")["details"] == {"limit": 2}
    other_person = await client.post(PICKUPS, headers=clerk, json=pickup(codes[2], PEOPLE[1]))
    assert other_person.status_code == 201, other_person.text
    clock.advance(timedelta(days=1))  # the next local day, and the next shift's clerk
    next_shift = await clerk_of(runtime, "BO-1", "kiosk-next-day")
    tomorrow = await client.post(PICKUPS, headers=next_shift, json=pickup(codes[3], PEOPLE[0]))
    assert tomorrow.status_code == 201, tomorrow.text


async def test_counters_racing_hand_an_order_over_once_and_keep_the_limit(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"pickups_per_person_day": 1})
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    codes = [
        (await cash_sale(client, clerk, sid, [seat], f"race-key-{n}"))[1]
        for n, seat in enumerate(ROW_B[:3])
    ]

    same_order = await asyncio.gather(
        *(client.post(PICKUPS, headers=clerk, json=pickup(codes[0], p)) for p in PEOPLE[:2])
    )
    one_person = await asyncio.gather(
        *(client.post(PICKUPS, headers=clerk, json=pickup(c, PEOPLE[2])) for c in codes[1:])
    )

    for race in (same_order, one_person):
        assert sorted(r.status_code for r in race) == [201, 409], [r.text for r in race]
    (lost,) = [r for r in same_order if r.status_code == 409]
    assert lost.json()["error"]["code"] == "already_collected"
    (over,) = [r for r in one_person if r.status_code == 409]
    assert over.json()["error"]["code"] == "pickup_limit_reached"

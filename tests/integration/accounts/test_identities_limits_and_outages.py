"""Real-name identities' limits and outages: the number of holders follows the policy, and a
public-security outage leaves an identity pending until the worker verifies it."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from admit.accounts.identity_models import Identity
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.integration.accounts.customer_flows import (
    API,
    count,
    error,
    ok,
    police_control,
    police_stats,
    set_policy,
)
from tests.integration.accounts.identity_documents import (
    LI,
    TRAVELLER,
    ZHANG,
    cn_id,
    file_document,
    passport,
)


async def test_the_number_of_holders_follows_the_policy(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    police_app: FastAPI,
) -> None:
    await set_policy(admin, max_holders=2)
    ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)  # not a linked holder
    ok(await file_document(web, customer, holder=True, **cn_id(LI, "李四")), 201)
    ok(await file_document(web, customer, holder=True, **passport("2027-06-22")), 201)
    before = ok(await web.get(f"{API}/me", headers=customer))

    third = passport("2028-01-31", "X98765432", "Marie Curie")
    response = await file_document(web, customer, holder=True, **third)

    body = error(response, 409, "holder_limit")
    assert body["message"] == "at most 2 linked holders"
    assert ok(await web.get(f"{API}/me", headers=customer)) == before
    assert [h["name"] for h in before["holders"]] == ["张三", "李四", TRAVELLER]
    assert await count(runtime, Identity) == 3
    assert await police_stats(police_app) == {"billed": 2, "queries": 2}


async def test_an_outage_leaves_the_identity_pending_until_the_worker_verifies_it(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    police_app: FastAPI,
    clock: FixedClock,
) -> None:
    await police_control(police_app, outage=True)

    body = ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)

    assert body["verified"] is False
    assert body["holders"][0]["status"] == "pending"
    assert body["holders"][0]["method"] == "online"
    assert await police_stats(police_app) == {"billed": 0, "queries": 1}
    # still down: the queued job fails and backs off (2 s after its first attempt)
    assert await run_once(runtime) == 1
    assert await police_stats(police_app) == {"billed": 0, "queries": 2}

    await police_control(police_app, outage=False)
    assert await run_once(runtime) == 0
    clock.advance(timedelta(seconds=2))
    assert await run_once(runtime) == 1

    body = ok(await web.get(f"{API}/me", headers=customer))
    assert body["verified"] is True
    assert body["holders"][0]["status"] == "verified"
    assert await police_stats(police_app) == {"billed": 1, "queries": 3}
    assert await run_once(runtime) == 0

"""The channel booking API (API1): a channel system's key lists the sessions its channel
sells, reads one and what the channel has left, submits orders (seats, or quantities of a
level) sold in its channel's window and quota at its outlet, queries them and their holders,
and names holders — on a real-name session with the order. A key sees only its own orders; an
unbound key, a missing scope and a switched-off outlet are refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.integration.accounts.identity_documents import LI, ZHANG
from tests.integration.accounts.people_factories import (
    ADMIN,
    error,
    make_api_client,
    ok,
    plain_client,
)
from tests.integration.channels.channel_world import (
    CHANNEL,
    bound_key,
    channel_sale,
    set_outlet_enabled,
)
from tests.integration.sales.sale_factories import ROW_A

pytestmark = pytest.mark.backends


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with plain_client(runtime) as c:
        yield c


def _order(sid: int, **more: Any) -> dict[str, Any]:
    return {"session_id": sid, **more}


async def _remaining(http: httpx.AsyncClient, key: dict[str, str], sid: int) -> dict[str, Any]:
    body: dict[str, Any] = ok(await http.get(f"{CHANNEL}/sessions/{sid}/remaining", headers=key))
    return body


async def test_a_channel_system_books_as_the_public_api_does(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    world = await channel_sale(admin, clock)
    key, sid = world.key.headers, world.session_id
    listed = ok(await http.get(f"{CHANNEL}/sessions", headers=key))
    assert [s["session"]["id"] for s in listed] == [sid]
    detail = ok(await http.get(f"{CHANNEL}/sessions/{sid}", headers=key))
    assert {lv["code"] for lv in detail["price_levels"]} == {"A", "B"}
    left = await _remaining(http, key, sid)
    assert (left["channel"], left["state"], left["remaining"]) == ("agent", "on_sale", 5)

    submitted = await http.post(
        f"{CHANNEL}/orders",
        headers={**key, "Idempotency-Key": "agent-order-1"},
        json=_order(sid, seats=ROW_A[:2], customer="c-42"),
    )
    order = ok(submitted, 201)
    assert (order["status"], len(order["lines"])) == ("pending_payment", 2)
    assert [ln["holder"] for ln in order["lines"]] == [None, None]
    level_a = (await _remaining(http, key, sid))["levels"][0]
    assert (level_a["level"], level_a["held"], level_a["remaining"]) == ("A", 2, 3)
    again = await http.post(
        f"{CHANNEL}/orders",
        headers={**key, "Idempotency-Key": "agent-order-1"},
        json=_order(sid, seats=ROW_A[:2], customer="c-42"),
    )
    assert ok(again, 201)["number"] == order["number"]  # a retry: the same order
    assert (await _remaining(http, key, sid))["levels"][0]["held"] == 2

    number = order["number"]
    assert ok(await http.get(f"{CHANNEL}/orders/{number}", headers=key))["number"] == number
    other = await bound_key(admin, name="Another agent", channel="agent", outlet="AG-1")
    error(await http.get(f"{CHANNEL}/orders/{number}", headers=other.headers), 404, "not_found")

    assert ok(await http.get(f"{CHANNEL}/orders/{number}/holders", headers=key)) == [
        {"seat": s, "area": None, "holder": None} for s in ROW_A[:2]
    ]
    holders = [
        {"doc_type": "cn_id", "number": ZHANG, "name": "张三"},
        {"doc_type": "cn_id", "number": LI, "name": "李四"},
    ]
    named = ok(
        await http.post(
            f"{CHANNEL}/orders/{number}/holders", headers=key, json={"holders": holders}
        )
    )
    assert [h["holder"] for h in named] == ["张*", "李*"]
    assert ok(await http.get(f"{CHANNEL}/orders/{number}/holders", headers=key)) == named
    error(
        await http.post(
            f"{CHANNEL}/orders/{number}/holders", headers=key, json={"holders": holders}
        ),
        409,
        "holders_already_named",
    )
    log = ok(await admin.get(f"{ADMIN}/api-clients/{world.key.id}/log", params={"limit": 100}))
    assert {row["path"] for row in log} >= {f"{CHANNEL}/orders", f"{CHANNEL}/sessions"}


async def test_quantities_of_a_level_are_chosen_for_the_system(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    world = await channel_sale(admin, clock, channel="box_office", outlet="KIOSK-9")
    key, sid = world.key.headers, world.session_id
    order = ok(
        await http.post(
            f"{CHANNEL}/orders",
            headers={**key, "Idempotency-Key": "kiosk-best-1"},
            json=_order(sid, best={"level": "A", "quantity": 3}),
        ),
        201,
    )
    assert len({ln["seat"] for ln in order["lines"]}) == 3
    assert (await _remaining(http, key, sid))["levels"][0]["remaining"] == 2
    too_many = await http.post(
        f"{CHANNEL}/orders",
        headers={**key, "Idempotency-Key": "kiosk-best-2"},
        json=_order(sid, best={"level": "A", "quantity": 3}),
    )
    assert too_many.status_code == 409, too_many.text  # the channel's quota of level A is 5
    assert (await _remaining(http, key, sid))["levels"][0]["remaining"] == 2


async def test_a_real_name_session_takes_a_holder_per_ticket_with_the_order(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    world = await channel_sale(admin, clock, real_name=True)
    key, sid = world.key.headers, world.session_id
    nameless = await http.post(
        f"{CHANNEL}/orders",
        headers={**key, "Idempotency-Key": "rn-order-0"},
        json=_order(sid, seats=ROW_A[:2]),
    )
    error(nameless, 409, "real_name_required")
    assert (await _remaining(http, key, sid))["levels"][0]["held"] == 0  # nothing left held
    one_short = await http.post(
        f"{CHANNEL}/orders",
        headers={**key, "Idempotency-Key": "rn-order-1"},
        json=_order(
            sid, seats=ROW_A[:2], holders=[{"doc_type": "cn_id", "number": ZHANG, "name": "张三"}]
        ),
    )
    error(one_short, 400, "invalid_input")
    order = ok(
        await http.post(
            f"{CHANNEL}/orders",
            headers={**key, "Idempotency-Key": "rn-order-2"},
            json=_order(
                sid,
                seats=ROW_A[:2],
                holders=[
                    {"doc_type": "cn_id", "number": ZHANG, "name": "张三"},
                    {"doc_type": "cn_id", "number": LI, "name": "李四"},
                ],
            ),
        ),
        201,
    )
    assert [ln["holder"] for ln in order["lines"]] == ["张*", "李*"]
    wrong_check = ZHANG[:-1] + "0"  # the check character of a real ID is X
    bad = await http.post(
        f"{CHANNEL}/orders",
        headers={**key, "Idempotency-Key": "rn-order-3"},
        json=_order(
            sid,
            seats=ROW_A[2:3],
            holders=[{"doc_type": "cn_id", "number": wrong_check, "name": "王五"}],
        ),
    )
    error(bad, 400, "invalid_document")
    assert (await _remaining(http, key, sid))["levels"][0]["held"] == 2  # only the order's


async def test_unbound_keys_missing_scopes_and_a_switched_off_outlet_are_refused(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    world = await channel_sale(admin, clock)
    sid = world.session_id
    partner = await make_api_client(admin, name="Plain partner", scopes=("catalog.read",))
    error(await http.get(f"{CHANNEL}/sessions", headers=partner.headers), 403, "forbidden")
    error(
        await http.get(f"{CHANNEL}/sessions", headers={"X-Api-Key": "ak_0.x"}), 401, "unauthorized"
    )
    reader = await bound_key(
        admin, name="Reader", channel="agent", outlet="AG-1", scopes=("catalog.read",)
    )
    error(
        await http.post(
            f"{CHANNEL}/orders",
            headers={**reader.headers, "Idempotency-Key": "reader-order"},
            json=_order(sid, seats=ROW_A[:1]),
        ),
        403,
        "forbidden",
    )
    error(
        await admin.put(
            f"{ADMIN}/api-clients/{partner.id}/channel", json={"channel": "agent", "outlet": None}
        ),
        409,
        "agent_outlet_required",
    )
    error(
        await admin.put(
            f"{ADMIN}/api-clients/{partner.id}/channel", json={"channel": "web", "outlet": None}
        ),
        422,
        "invalid_request",
    )

    await set_outlet_enabled(admin, world.outlet_id, False)
    refused = await http.post(
        f"{CHANNEL}/orders",
        headers={**world.key.headers, "Idempotency-Key": "closed-order"},
        json=_order(sid, seats=ROW_A[:1]),
    )
    body = error(refused, 409, "outlet_disabled")
    assert "AG-1" in body["message"]
    assert "switched off" in body["message"]
    assert (await _remaining(http, world.key.headers, sid))["levels"][0]["held"] == 0


async def test_concurrent_orders_of_two_keys_never_pass_the_channel_quota(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock
) -> None:
    world = await channel_sale(admin, clock, quota_a=2)
    other = await bound_key(admin, name="AG-1 second till", channel="agent", outlet="AG-1")
    keys = [world.key.headers, other.headers, world.key.headers]
    answers = await asyncio.gather(
        *(
            http.post(
                f"{CHANNEL}/orders",
                headers={**key, "Idempotency-Key": f"race-order-{i}"},
                json=_order(world.session_id, seats=[ROW_A[i]]),
            )
            for i, key in enumerate(keys)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 201, 409]
    [refused] = [a for a in answers if a.status_code == 409]
    assert refused.json()["error"]["code"] == "sold_out"
    left = await _remaining(http, world.key.headers, world.session_id)
    assert (left["levels"][0]["held"], left["levels"][0]["remaining"]) == (2, 0)

"""Low-stock alerts (G7): a level crossed by a sale raises one alert — an audit entry and a
staff notice — however many worker runs or concurrent sales find it, and re-arms when stock
is back above it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from tests.conftest import ROOT_PASSWORD, TEST_ACTOR
from tests.integration.inventory.stock_alert_steps import (
    ADMIN,
    SEATS,
    alert_entries,
    notices,
    sell,
    sell_each,
    selling_hall,
    set_states,
)
from tests.integration.sales.sale_factories import counter_order

from admit.accounts import staff
from admit.core import staff_notices
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from admit.core.staff_notices import NoticeKind, NoticeSubject
from admit.core.worker import sweep
from admit.inventory import stock_alerts

pytestmark = pytest.mark.backends


def _levels(found: list[stock_alerts.rules.Alert]) -> list[int]:
    return [a.level for a in found]


async def test_a_sale_crossing_the_5_percent_level_raises_exactly_one_alert(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sid, clerk = await selling_hall(admin, runtime)
    assert await stock_alerts.scan(runtime) == []  # 20 of 20 left: nothing crossed
    await set_states(runtime, sid, SEATS[:18], "sold")
    assert _levels(await stock_alerts.scan(runtime)) == [20]  # 2 of 20 left

    # An order holds the seat: stock left counts sales, so a hold alone crosses nothing.
    order = await counter_order(client, clerk, sid, [SEATS[18]], "held-only-order")
    assert await stock_alerts.scan(runtime) == []
    paid = await client.post(
        f"/api/v1/counter/orders/{order['number']}/cash",
        headers=clerk,
        json={"received": order["total"]},
    )
    assert paid.status_code == 200, paid.text

    (alert,) = await stock_alerts.scan(runtime)  # 1 of 20 left: at the 5 % level
    assert (alert.level, alert.stock.left, alert.stock.total) == (5, 1, 20)
    for _ in range(3):  # later runs find it raised
        assert await stock_alerts.scan(runtime) == []
    assert await sweep(runtime, only=frozenset({"inventory.stock_alerts"})) == {
        "inventory.stock_alerts": 0
    }

    entries = await alert_entries(runtime, sid)
    assert [(e["action"], e["level"], e["left"], e["total"]) for e in entries] == [
        ("stock.low", 20, 2, 20),
        ("stock.low", 5, 1, 20),
    ]
    feed = await notices(admin)
    assert [(n["kind"], n["data"]["level"]) for n in feed] == [("stock.low", 5), ("stock.low", 20)]
    assert feed[0]["subject_type"] == "session"
    assert feed[0]["subject_id"] == str(sid)
    assert feed[0]["title"].endswith("Stalls down to 1 of 20 (the 5 % level)")
    shown = (await admin.get(f"{ADMIN}/sessions/{sid}/stock-alerts")).json()
    assert [(r["price_level"], r["level"]) for r in shown["raised"]] == [("A", 20), ("A", 5)]
    scraped = (await client.get("/metrics")).text
    assert 'admit_staff_notices{kind="stock.low"} 2.0' in scraped
    assert 'admit_staff_notices{kind="stock.sold_out"} 0.0' in scraped


async def test_concurrent_sales_and_worker_runs_raise_the_crossing_once(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sid, clerk = await selling_hall(admin, runtime)
    await set_states(runtime, sid, SEATS[:17], "sold")
    assert _levels(await stock_alerts.scan(runtime)) == [20]  # 3 of 20 left

    await sell_each(client, clerk, sid, SEATS[17:19])  # two sales at once: 1 left
    runs = await asyncio.gather(*(stock_alerts.scan(runtime) for _ in range(4)))

    assert sorted(_levels([a for run in runs for a in run])) == [5]
    assert [e["level"] for e in await alert_entries(runtime, sid)] == [20, 5]
    assert [n["data"]["level"] for n in await notices(admin, kind="stock.low")] == [5, 20]


async def test_two_transactions_finding_one_crossing_announce_it_once(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The database keeps *once*: the second transaction reads before the first commits,
    and its insert of the raised level finds the first's (PostgreSQL waits for the first to
    commit and inserts nothing; SQLite lets one writer at a time, so the second runs after)."""
    sid, _ = await selling_hall(admin, runtime)
    await set_states(runtime, sid, SEATS[:19], "sold")
    default = (20, 5, 0)
    first_done, results = asyncio.Event(), {}

    async def first() -> None:
        async with runtime.uow(TEST_ACTOR) as uow:
            results["first"] = await stock_alerts.compare(
                uow, [sid], default=default, now=runtime.clock.now()
            )
            first_done.set()
            await asyncio.sleep(0.3)  # the second is waiting on our row meanwhile

    async def second() -> None:
        await first_done.wait()
        async with runtime.uow(TEST_ACTOR) as uow:
            results["second"] = await stock_alerts.compare(
                uow, [sid], default=default, now=runtime.clock.now()
            )

    if runtime.settings.database_url and runtime.settings.database_url.startswith("postgres"):
        await asyncio.gather(first(), second())
    else:
        await first()
        await second()
    assert _levels(results["first"]) == [5]  # 20 and 5 crossed at once: one alert, the lower
    assert results["first"][0].levels == (20, 5)
    assert results["second"] == []
    assert [e["levels"] for e in await alert_entries(runtime, sid)] == [[20, 5]]


async def test_a_level_re_arms_when_stock_returns_and_alerts_again(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sid, clerk = await selling_hall(admin, runtime)
    put = await admin.put(f"{ADMIN}/sessions/{sid}/stock-alerts", json={"levels": [0]})
    assert put.status_code == 200, put.text
    await set_states(runtime, sid, SEATS[:19], "sold")
    assert await stock_alerts.scan(runtime) == []  # only "sold out" is watched here
    await sell(client, clerk, sid, SEATS[19], "last-seat")
    assert _levels(await stock_alerts.scan(runtime)) == [0]

    await set_states(runtime, sid, SEATS[:1], "available")  # a refund gives a seat back
    assert await stock_alerts.scan(runtime) == []
    shown = (await admin.get(f"{ADMIN}/sessions/{sid}/stock-alerts")).json()
    assert shown["raised"] == []  # re-armed

    await sell(client, clerk, sid, SEATS[0], "resold-seat")
    assert _levels(await stock_alerts.scan(runtime)) == [0]
    assert [n["kind"] for n in await notices(admin)] == ["stock.sold_out", "stock.sold_out"]
    assert [e["action"] for e in await alert_entries(runtime, sid)] == ["stock.sold_out"] * 2


async def test_levels_per_session_and_price_level(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    sid, _ = await selling_hall(admin, runtime)
    default = (await admin.get(f"{ADMIN}/sessions/{sid}/stock-alerts")).json()
    assert default == {
        "session_id": sid,
        "levels": [20, 5, 0],
        "price_levels": {},
        "own": False,
        "raised": [],
    }
    unknown = await admin.put(
        f"{ADMIN}/sessions/{sid}/stock-alerts", json={"levels": [10], "price_levels": {"Z": [1]}}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert (await admin.get(f"{ADMIN}/sessions/{sid}/stock-alerts")).json() == default

    bad = await admin.put(f"{ADMIN}/sessions/{sid}/stock-alerts", json={"levels": [100]})
    assert bad.status_code == 422

    own = await admin.put(
        f"{ADMIN}/sessions/{sid}/stock-alerts",
        json={"levels": [10, 30, 10], "price_levels": {"A": [60]}},
    )
    assert own.status_code == 200, own.text
    assert (own.json()["levels"], own.json()["price_levels"], own.json()["own"]) == (
        [30, 10],
        {"A": [60]},
        True,
    )
    await set_states(runtime, sid, SEATS[:8], "sold")  # 12 of 20 left: the level's own 60 %
    assert _levels(await stock_alerts.scan(runtime)) == [60]

    back = await admin.put(f"{ADMIN}/sessions/{sid}/stock-alerts", json={"levels": None})
    assert back.json()["own"] is False
    assert await stock_alerts.scan(runtime) == []  # 60 % is no level now: it is forgotten
    assert (await admin.get(f"{ADMIN}/sessions/{sid}/stock-alerts")).json()["raised"] == []


async def test_organiser_staff_see_their_organisers_notices_only(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.uow(TEST_ACTOR) as uow:
        await staff_notices.post_many(
            uow,
            [
                staff_notices.Notice(
                    NoticeKind.STOCK_LOW, org, NoticeSubject.SESSION, sid, f"low {sid}", {}
                )
                for org, sid in ((1, 10), (2, 20), (1, 11))
            ],
            now=runtime.clock.now(),
        )
        ops = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(
                username="ops1",
                password=ROOT_PASSWORD,
                grants=[Grant(Role.TICKET_OPS, ScopeKind.ORGANISER, "1")],
            ),
            now=runtime.clock.now(),
        )
        token = await staff.issue_token(
            uow, staff_id=ops.id, now=runtime.clock.now(), lifetime=timedelta(hours=1)
        )
    mine = await client.get(f"{ADMIN}/notices", headers={"Authorization": f"Bearer {token.token}"})
    assert [n["title"] for n in mine.json()] == ["low 11", "low 10"]
    assert [n["title"] for n in await notices(admin)] == ["low 11", "low 20", "low 10"]
    assert [n["title"] for n in await notices(admin, before_id=mine.json()[0]["id"])] == [
        "low 20",
        "low 10",
    ]

"""A small sale history with known figures, made through the real sale path: on Sunday
2026-11-22 a clerk sells two adult seats for cash at box office BO-1, Ann (a web customer
with an address in 北京市) buys an adult and a child seat through the bank, Bob an adult seat
of the back level; on Monday 2026-11-23 the clerk sells one more seat for cash and it is
refunded (handed back over the counter) the same day.

    day         payments  paid   refunds  refunded  net    tickets
    2026-11-22  3         33000  0        0         33000  5
    2026-11-23  1          8000  1        8000          0  1
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from tests.conftest import T0, TEST_ACTOR
from tests.integration.catalog.catalog_factories import make_venue_with_map
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    box_office,
    counter_order,
    customers_with_tokens,
)

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.payments.models import Payment
from admit.sales.refunds import request_refund

ADMIN = "/api/v1/admin"
SUNDAY, MONDAY = "2026-11-22", "2026-11-23"
ROW_C = [f"L1-HALL-C-{n}" for n in range(1, 6)]
BEIJING = {
    "province": "北京市",
    "city": "北京市",
    "district": "海淀区",
    "street": "中关村大街27号",
    "recipient": "韩梅梅",
    "phone": "13512345678",
}


@dataclass(frozen=True)
class History:
    organiser_id: int
    event_id: int
    session_id: int
    clerk: dict[str, str]  # a kiosk clerk's Authorization header (no finance.read)


async def _on_sale_with_child_prices(admin: httpx.AsyncClient, clock: FixedClock) -> tuple:  # type: ignore[type-arg]
    world = await make_venue_with_map(admin, rows=4, seats_per_row=5)
    sid = world.session_id
    await admin.put(
        f"{ADMIN}/sessions/{sid}/price-levels",
        json={
            "levels": [
                {"code": "A", "name": "Front", "prices": {"adult": 8000, "child": 4000}},
                {"code": "B", "name": "Back", "prices": {"adult": 5000}},
            ]
        },
    )
    for level, rows in (("A", ("A", "B")), ("B", ("C", "D"))):
        await admin.post(
            f"{ADMIN}/sessions/{sid}/plan/price-levels",
            json={
                "select": {"rows": [{"section": "HALL", "row": r} for r in rows]},
                "level": level,
            },
        )
    window = await admin.post(
        f"{ADMIN}/sessions/{sid}/sales-windows",
        json={
            "channel": "web",
            "starts_at": (T0 + timedelta(hours=1)).isoformat(),
            "ends_at": (T0 + timedelta(days=5)).isoformat(),
            "per_person_limit": 4,
            "quotas": [{"level": "A", "quota": 10}, {"level": "B", "quota": 10}],
        },
    )
    assert window.status_code == 201, window.text
    clock.advance(timedelta(hours=2))  # Sunday 10:00 UTC
    return world.organiser_id, world.event_id, sid


async def _buy(
    client: httpx.AsyncClient,
    bank: Bank,
    sid: int,
    who: dict[str, str],
    lines: list[dict[str, str]],
    key: str,
) -> None:
    hold = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=who, json={"seats": [ln["seat"] for ln in lines]}
    )
    assert hold.status_code == 201, hold.text
    order = await client.post(
        f"/api/v1/holds/{hold.json()['id']}/order",
        json={"lines": lines},
        headers={**who, "Idempotency-Key": key},
    )
    assert order.status_code == 201, order.text
    started = await client.post(
        f"/api/v1/orders/{order.json()['number']}/payments", headers=who, json={"method": "bank"}
    )
    assert started.status_code == 201, started.text
    await bank.decide(started.json()["pay_url"])
    await bank.settled()


async def _cash(
    client: httpx.AsyncClient, clerk: dict[str, str], sid: int, seats: list[str], key: str
) -> str:
    order = await counter_order(client, clerk, sid, seats, key)
    paid = await client.post(
        f"/api/v1/counter/orders/{order['number']}/cash",
        headers=clerk,
        json={"received": order["total"]},
    )
    assert paid.status_code == 200, paid.text
    return str(order["number"])


async def sale_history(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> History:
    admin_headers = dict(client.headers)
    organiser_id, event_id, sid = await _on_sale_with_child_prices(admin, clock)
    clock.advance(timedelta(hours=10))  # Sunday 20:00: the clerk's 8-hour token lasts till Monday
    clerk = await box_office(admin, runtime, sid)
    await _cash(client, clerk, sid, ROW_B[:2], "report-cash-1")
    ann, bob = await customers_with_tokens(runtime, 2)
    added = await client.post("/api/v1/me/addresses", headers=ann, json=BEIJING)
    assert added.status_code == 201, added.text
    await _buy(
        client,
        bank,
        sid,
        ann,
        [{"seat": ROW_A[0], "ticket_type": "adult"}, {"seat": ROW_A[1], "ticket_type": "child"}],
        "report-ann",
    )
    await _buy(client, bank, sid, bob, [{"seat": ROW_C[0]}], "report-bob")

    clock.advance(timedelta(hours=6))  # Monday 02:00
    number = await _cash(client, clerk, sid, ROW_B[2:3], "report-cash-2")
    async with runtime.uow(TEST_ACTOR) as uow:
        payment = await uow.session.scalar(select(Payment).where(Payment.order_number == number))
        assert payment is not None
        refund = await request_refund(
            uow, payment, amount=payment.amount, reason="buyer", now=clock.now()
        )
        refund_number = refund.number
    done = await client.post(f"/api/v1/counter/refunds/{refund_number}/handed-over", headers=clerk)
    assert done.status_code == 200, done.text
    client.headers.clear()
    client.headers.update(admin_headers)
    return History(organiser_id, event_id, sid, clerk)

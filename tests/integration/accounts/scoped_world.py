"""Two of everything for the scoped permission matrix: a "mine" and an "other" organiser,
venue, map, event, sessions, gate, device, sales window, pass, counter customer and client, so
that a scoped credential can be tried on its own resources and on someone else's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from admit.accounts.models import Customer
from admit.aftersale.models import RefundPolicy, RefundRequest
from admit.core.runtime import Runtime
from admit.sales.models import Hold, Order
from tests.conftest import T0, TEST_ACTOR
from tests.integration.catalog.catalog_factories import (
    ADMIN,
    import_map,
    make_event,
    make_organiser,
    make_venue,
    ok,
    schedule_session,
)

OUTLET, OTHER_OUTLET = "KIOSK-MINE", "KIOSK-OTHER"
DAY = "2026-11-22"


async def _side(admin: httpx.AsyncClient, tag: str) -> dict[str, Any]:
    """One organiser's and one venue's resources; ids by path parameter name."""
    organiser = await make_organiser(admin, code=f"ORG-{tag}", name=f"Organiser {tag}")
    venue = await make_venue(admin, code=f"VEN-{tag}", name=f"Venue {tag}")
    seat_map = (await import_map(admin, venue))["id"]
    event = await make_event(admin, organiser, number=f"EV-{tag}")
    sessions = [
        await schedule_session(
            admin, event_id=event, venue_id=venue, seat_map_id=seat_map, code=f"S{i}-{tag}"
        )
        for i in (1, 2)
    ]
    gate = ok(
        await admin.post(f"{ADMIN}/venues/{venue}/gates", json={"code": "N", "name": "N"}), 201
    )
    device = ok(
        await admin.post(
            f"{ADMIN}/gate-devices",
            json={"number": f"H-{tag}", "device_type": "handheld", "venue_id": venue},
        ),
        201,
    )
    levels = {"levels": [{"code": "A", "name": "Front", "prices": {"adult": 8000}}]}
    ok(await admin.put(f"{ADMIN}/sessions/{sessions[0]}/price-levels", json=levels))
    window = ok(
        await admin.post(
            f"{ADMIN}/sessions/{sessions[0]}/sales-windows",
            json={
                "channel": "web",
                "starts_at": T0.isoformat(),
                "ends_at": (T0 + timedelta(days=5)).isoformat(),
                "quotas": [{"level": "A", "quota": 5}],
            },
        ),
        201,
    )
    product = ok(
        await admin.post(
            f"{ADMIN}/passes",
            json={
                "organiser_id": organiser,
                "code": f"P-{tag}",
                "name": f"Pass {tag}",
                "session_ids": sessions,
                "price": 100,
            },
        ),
        201,
    )
    return {
        "organiser_id": organiser,
        "venue_id": venue,
        "seat_map_id": seat_map,
        "event_id": event,
        "session_id": sessions[0],
        "gate_id": gate["id"],
        "device_id": device["device"]["id"],
        "window_id": window["id"],
        "product_id": product["id"],
    }


async def _customer(runtime: Runtime, outlet: str | None) -> int:
    async with runtime.uow(TEST_ACTOR) as uow:
        customer = Customer(
            source_channel="kiosk",
            registered_by="staff:1",
            registered_outlet=outlet,
            created_at=T0,
        )
        uow.session.add(customer)
        await uow.session.flush()
        return customer.id


async def _order_and_refund_request(
    runtime: Runtime, side: dict[str, Any], tag: str
) -> dict[str, str]:
    """A paid order of the side's session and a refund request for it, as rows (the routes
    that name them only need to find where they lie)."""
    async with runtime.uow(TEST_ACTOR) as uow:
        hold = Hold(
            session_id=side["session_id"],
            window_id=side["window_id"],
            buyer="customer:0",
            channel="web",
            status="sold",
            quantity=0,
            created_at=T0,
            expires_at=T0,
        )
        uow.session.add(hold)
        await uow.session.flush()
        order = Order(
            number=f"A{tag:0>11}",
            hold_id=hold.id,
            session_id=side["session_id"],
            buyer="customer:0",
            channel="web",
            status="paid",
            total=0,
            currency="CNY",
            idempotency_key=f"scoped-{tag}",
            created_at=T0,
            pay_by=T0,
            paid_at=T0,
        )
        policy = RefundPolicy(
            target=f"session:{side['session_id']}",
            session_id=side["session_id"],
            reason="approved",
            paid_before=T0,
            opened_at=T0,
            opened_by="test",
        )
        uow.session.add_all([order, policy])
        await uow.session.flush()
        request = RefundRequest(
            number=f"RR{tag:0>10}",
            order_id=order.id,
            order_number=order.number,
            session_id=side["session_id"],
            buyer="customer:0",
            policy_id=policy.id,
            tickets=0,
            amount=0,
            fee=0,
            refund=0,
            created_at=T0,
        )
        uow.session.add(request)
        return {"order_number": order.number, "request_number": request.number}


async def two_sides(
    admin: httpx.AsyncClient, runtime: Runtime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(mine, other): ids by path parameter name."""
    mine, other = await _side(admin, "MINE"), await _side(admin, "OTHER")
    mine["customer_id"] = await _customer(runtime, OUTLET)
    other["customer_id"] = await _customer(runtime, OTHER_OUTLET)
    for side, tag in ((mine, "MINE"), (other, "OTHER")):  # a contract client's (issue 19)
        made = await admin.post("/api/v1/admin/clients", json={"name": f"Client {tag}"})
        assert made.status_code == 201, made.text
        side["client_id"] = made.json()["id"]
    mine.update(await _order_and_refund_request(runtime, mine, "MINE"))
    other.update(await _order_and_refund_request(runtime, other, "OTHER"))
    return mine, other

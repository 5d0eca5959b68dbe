"""Sessions on sale and signed-in buyers for the sales tests."""

from __future__ import annotations

from datetime import timedelta

import httpx
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR
from tests.integration.catalog.catalog_factories import make_venue_with_map

from admit.accounts import staff
from admit.accounts.customer_phones import phone_columns
from admit.accounts.customers import issue_token
from admit.accounts.models import Customer
from admit.core.clock import FixedClock
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime

ADMIN = "/api/v1/admin"
ROW_A = [f"L1-HALL-A-{n}" for n in range(1, 6)]
ROW_B = [f"L1-HALL-B-{n}" for n in range(1, 6)]


async def on_sale(
    admin: httpx.AsyncClient,
    clock: FixedClock,
    *,
    quota_a: int = 10,
    limit: int = 4,
    real_name: bool = False,
) -> int:
    """A 4×5 hall, level A rows A–B and level B rows C–D, sold on the web from T0 + 1 h."""
    world = await make_venue_with_map(admin, rows=4, seats_per_row=5)
    sid = world.session_id
    await admin.put(
        f"{ADMIN}/sessions/{sid}/price-levels",
        json={
            "levels": [
                {"code": "A", "name": "Front", "prices": {"adult": 8000}},
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
            "per_person_limit": limit,
            "payment_minutes": 15,
            "real_name_required": real_name,
            "quotas": [{"level": "A", "quota": quota_a}, {"level": "B", "quota": 10}],
        },
    )
    assert window.status_code == 201, window.text
    clock.advance(timedelta(hours=2))
    return sid


async def customers_with_tokens(runtime: Runtime, n: int, first: int = 0) -> list[dict[str, str]]:
    return [headers for _, headers in await customers_with_ids(runtime, n, first)]


async def customers_with_ids(
    runtime: Runtime, n: int, first: int = 0
) -> list[tuple[int, dict[str, str]]]:
    """Signed-in customers: (customer id, Authorization header)."""
    out = []
    async with runtime.uow(TEST_ACTOR) as uow:
        for i in range(first, first + n):
            customer = Customer(
                **phone_columns(runtime.crypto, f"1350000{i:04d}"),
                source_channel="web",
                created_at=runtime.clock.now(),
            )
            uow.session.add(customer)
            await uow.session.flush()
            token = await issue_token(uow, customer.id, "test", runtime.clock.now())
            out.append((customer.id, {"Authorization": f"Bearer {token.token}"}))
    return out


async def states(client: httpx.AsyncClient, sid: int) -> str:
    return str((await client.get(f"/api/v1/sessions/{sid}/availability")).json()["states"])


async def box_office(
    admin: httpx.AsyncClient, runtime: Runtime, sid: int, *, quota_a: int = 5
) -> dict[str, str]:
    """A box-office window for the session (``quota_a`` seats of level A), an outlet, and a
    kiosk clerk scoped to it: the clerk's Authorization header."""
    outlet = await admin.post(
        f"{ADMIN}/outlets", json={"channel": "box_office", "code": "BO-1", "name": "Gate A kiosk"}
    )
    assert outlet.status_code == 201, outlet.text
    window = await admin.post(
        f"{ADMIN}/sessions/{sid}/sales-windows",
        json={
            "channel": "box_office",
            "starts_at": T0.isoformat(),
            "ends_at": (T0 + timedelta(days=5)).isoformat(),
            "per_person_limit": 10,
            "quotas": [{"level": "A", "quota": quota_a}],
        },
    )
    assert window.status_code == 201, window.text
    return await clerk_of(runtime, "BO-1", "kiosk1")


async def clerk_of(runtime: Runtime, outlet: str, username: str) -> dict[str, str]:
    """A kiosk clerk whose grant is scoped to ``outlet``."""
    async with runtime.uow(TEST_ACTOR) as uow:
        clerk = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(
                username=username,
                password=ROOT_PASSWORD,
                grants=[Grant(Role.KIOSK_STAFF, ScopeKind.OUTLET, outlet)],
            ),
            now=runtime.clock.now(),
        )
        token = await staff.issue_token(
            uow, staff_id=clerk.id, now=runtime.clock.now(), lifetime=timedelta(hours=8)
        )
    return {"Authorization": f"Bearer {token.token}"}


async def counter_order(
    client: httpx.AsyncClient, clerk: dict[str, str], sid: int, seats: list[str], key: str
) -> dict:  # type: ignore[type-arg]
    """Hold ``seats`` at box office BO-1 (``box_office``) and order them: the order."""
    hold = await client.post(
        f"/api/v1/counter/sessions/{sid}/holds",
        headers=clerk,
        json={"channel": "box_office", "outlet": "BO-1", "seats": seats},
    )
    assert hold.status_code == 201, hold.text
    order = await client.post(
        f"/api/v1/counter/holds/{hold.json()['id']}/order",
        headers={**clerk, "Idempotency-Key": key},
        json={"lines": [{"seat": s} for s in seats]},
    )
    assert order.status_code == 201, order.text
    return order.json()  # type: ignore[no-any-return]

"""A session sold at box office BO-1 (real-name or not) and counter clerks with passwords,
for the counter pages' tests; and signing a clerk in through ``/counter/login``."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from admit.accounts import staff
from admit.core.clock import FixedClock
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR
from tests.integration.sales.sale_factories import on_sale

ADMIN = "/api/v1/admin"


async def counter_session(
    admin: httpx.AsyncClient, clock: FixedClock, *, real_name: bool, outlet: str = "BO-1"
) -> tuple[int, int]:
    """(session id, outlet id): level A sold at box office ``outlet``."""
    sid = await on_sale(admin, clock)
    made = await admin.post(
        f"{ADMIN}/outlets", json={"channel": "box_office", "code": outlet, "name": "Gate A kiosk"}
    )
    assert made.status_code == 201, made.text
    window = await admin.post(
        f"{ADMIN}/sessions/{sid}/sales-windows",
        json={
            "channel": "box_office",
            "starts_at": T0.isoformat(),
            "ends_at": (T0 + timedelta(days=5)).isoformat(),
            "per_person_limit": 10,
            "real_name_required": real_name,
            "quotas": [{"level": "A", "quota": 8}, {"level": "B", "quota": 8}],
        },
    )
    assert window.status_code == 201, window.text
    return sid, int(made.json()["id"])


async def make_clerk(
    runtime: Runtime, username: str, *, outlet: str = "BO-1", role: Role = Role.KIOSK_STAFF
) -> None:
    """A staff member (password ``ROOT_PASSWORD``) with ``role`` scoped to ``outlet``."""
    async with runtime.uow(TEST_ACTOR) as uow:
        await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(
                username=username,
                password=ROOT_PASSWORD,
                grants=[Grant(role, ScopeKind.OUTLET, outlet)],
            ),
            now=runtime.clock.now(),
        )


async def sign_in(web: httpx.AsyncClient, username: str, **extra: str) -> httpx.Response:
    return await web.post(
        "/counter/login",
        data={"username": username, "password": ROOT_PASSWORD, "next": "/counter/", **extra},
    )


def refusal_code(page: httpx.Response) -> str | None:
    found = re.search(r'data-error-code="([a-z_]+)"', page.text)
    return found.group(1) if found else None


def location(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:2000]
    return response.headers["location"]

"""A request naming something that does not exist is a 404 with a code on both databases, never
a 500 from a foreign-key violation; a seat selector too long for one statement is answered the
same on SQLite and PostgreSQL (issue 31, item 1)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from admit.core.runtime import Runtime
from admit.sales.models import Outlet
from admit.waiting.models import WaitingRoom
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.backends
ADMIN = "/api/v1/admin"
UNKNOWN = 987654


async def _count(runtime: Runtime, model: type[object]) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


async def test_a_waiting_room_for_an_unknown_session_is_404(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    answer = await admin.put(
        f"{ADMIN}/sessions/{UNKNOWN}/waiting-room",
        json={"opens_at": "2026-12-01T10:00:00Z", "rate_per_minute": 100},
    )
    _refused(answer, 404, "not_found")
    assert await _count(runtime, WaitingRoom) == 0


async def test_an_outlet_at_an_unknown_venue_is_404(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = await _count(runtime, Outlet)
    answer = await admin.post(
        f"{ADMIN}/outlets",
        json={"channel": "box_office", "code": "NOWHERE", "name": "Nowhere", "venue_id": UNKNOWN},
    )
    _refused(answer, 404, "not_found")
    assert await _count(runtime, Outlet) == before


async def test_an_identity_for_an_unknown_customer_is_404(admin: httpx.AsyncClient) -> None:
    answer = await admin.post(
        f"{ADMIN}/counter/customers/{UNKNOWN}/identity",
        json={"doc_type": "cn_id", "number": "110105194912310021", "name": "张三"},
    )
    _refused(answer, 404, "not_found")

"""Kiosk and agent staff open accounts and file documents for customers at the counter (U1)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from admit.accounts.models import Customer
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.conftest import TEST_ACTOR, police_population
from tests.fakes.sms import RecordingSmsGateway

PASSWORD = "Str0ng pass word!"


async def _staff(admin: httpx.AsyncClient, username: str, role: str) -> dict[str, str]:
    await admin.post(
        "/api/v1/admin/staff",
        json={"username": username, "password": PASSWORD, "grants": [{"role": role}]},
    )
    login = await admin.post(
        "/api/v1/auth/staff/login", json={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {login.json()['token']}"}


async def test_a_kiosk_opens_an_account_and_files_the_id_card(
    admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    kiosk = await _staff(admin, "kiosk.one", "kiosk_staff")
    phone = "13700137000"
    sent = await admin.post(
        "/api/v1/auth/codes",
        json={"login": phone, "purpose": "register"},
        headers={"Authorization": ""},
    )
    assert sent.status_code == 202
    await run_once(runtime)
    code = sms.sent[-1].params["code"]
    opened = await admin.post(
        "/api/v1/admin/counter/customers",
        headers=kiosk,
        json={
            "login": phone,
            "code": code,
            "password": "Cust0mer pass!",
            "source_channel": "kiosk",
        },
    )
    assert opened.status_code == 201, opened.text
    customer_id = opened.json()["customer_id"]
    number, name = next(iter(police_population().items()))
    filed = await admin.post(
        f"/api/v1/admin/counter/customers/{customer_id}/identity",
        headers=kiosk,
        json={"doc_type": "cn_id", "number": number, "name": name},
    )
    assert filed.status_code == 201
    assert filed.json()["status"] == "verified"
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        customer = await uow.session.scalar(select(Customer).where(Customer.id == customer_id))
    assert customer is not None
    assert (customer.source_channel, customer.registered_by) == ("kiosk", "staff:2")
    stats = (await admin.get("/api/v1/admin/customers/stats")).json()
    assert stats == {"by_source_channel": {"kiosk": 1}, "locked": {"by_operator": 0}}


async def test_only_sellers_register_at_the_counter(admin: httpx.AsyncClient) -> None:
    ops = await _staff(admin, "ops.one", "ticket_ops")
    refused = await admin.post(
        "/api/v1/admin/counter/customers",
        headers=ops,
        json={"login": "13700137000", "code": "123456", "password": "x", "source_channel": "agent"},
    )
    assert refused.status_code == 403

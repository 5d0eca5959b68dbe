"""Staff sign-in under the security policy (SEC1), operators' lock and reset (U5), staff batch
import with a per-row report (U4)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from admit.accounts.models import StaffUser
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.people_factories import PASSWORD, create_staff_account


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/staff/login",
        json={"username": username, "password": password},
        headers={"Authorization": ""},
    )


async def test_a_token_from_login_opens_the_admin_api(admin: httpx.AsyncClient) -> None:
    await create_staff_account(admin, "ops")
    response = await _login(admin, "ops", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    venues = await admin.get("/api/v1/admin/venues", headers={"Authorization": f"Bearer {token}"})
    assert venues.status_code == 200
    staff_list = await admin.get(
        "/api/v1/admin/staff", headers={"Authorization": f"Bearer {token}"}
    )
    assert staff_list.status_code == 403
    assert staff_list.json()["error"]["code"] == "forbidden"


async def test_lockout_after_failures_then_cool_down(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    await create_staff_account(admin, "ops")
    for _ in range(4):
        assert (await _login(admin, "ops", "wrong")).status_code == 401
    assert (await _login(admin, "ops", "wrong")).status_code == 401  # the fifth locks
    locked = await _login(admin, "ops", PASSWORD)
    assert locked.status_code == 423
    assert locked.json()["error"]["code"] == "account_locked"
    clock.advance(timedelta(minutes=14))
    assert (await _login(admin, "ops", PASSWORD)).status_code == 423
    clock.advance(timedelta(minutes=1))
    assert (await _login(admin, "ops", PASSWORD)).status_code == 200


async def test_the_policy_sets_the_threshold(admin: httpx.AsyncClient) -> None:
    await create_staff_account(admin, "ops")
    response = await admin.put("/api/v1/admin/security-policy", json={"lockout_threshold": 2})
    assert response.status_code == 200
    assert response.json()["lockout_threshold"] == 2
    assert (await _login(admin, "ops", "wrong")).status_code == 401
    assert (await _login(admin, "ops", "wrong")).status_code == 401
    assert (await _login(admin, "ops", PASSWORD)).status_code == 423
    audit = (await admin.get("/api/v1/admin/audit?entity_type=security_policy")).json()
    assert audit[0]["data"] == {
        "before": {"lockout_threshold": 5},
        "after": {"lockout_threshold": 2},
    }


async def test_an_address_with_many_failures_is_refused(admin: httpx.AsyncClient) -> None:
    await create_staff_account(admin, "ops")
    await admin.put(
        "/api/v1/admin/security-policy", json={"ip_lockout_threshold": 6, "lockout_threshold": 100}
    )
    for i in range(6):
        assert (await _login(admin, f"nobody{i}", "wrong")).status_code == 401
    refused = await _login(admin, "ops", PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert int(refused.headers["retry-after"]) == 15 * 60
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(
            app=admin._transport.app,  # type: ignore[attr-defined]
            client=("10.0.0.2", 5000),
        ),
        base_url="http://admit.test",
    )
    async with other:
        assert (await _login(other, "ops", PASSWORD)).status_code == 200


async def test_passwords_expire_and_are_changed(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    await create_staff_account(admin, "ops")
    clock.advance(timedelta(days=90))
    expired = await _login(admin, "ops", PASSWORD)
    assert expired.status_code == 403
    assert expired.json()["error"]["code"] == "password_expired"
    weak = await admin.post(
        "/api/v1/auth/staff/password",
        json={"username": "ops", "old_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 400
    assert weak.json()["error"]["code"] == "weak_password"
    changed = await admin.post(
        "/api/v1/auth/staff/password",
        json={"username": "ops", "old_password": PASSWORD, "new_password": "An0ther good one"},
    )
    assert changed.status_code == 204
    assert (await _login(admin, "ops", "An0ther good one")).status_code == 200


async def test_operator_lock_revokes_tokens_and_reset_sends_a_password(
    admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    staff_id = await create_staff_account(admin, "ops")
    token = (await _login(admin, "ops", PASSWORD)).json()["token"]
    as_ops = {"Authorization": f"Bearer {token}"}
    assert (await admin.post(f"/api/v1/admin/staff/{staff_id}/lock")).status_code == 204
    assert (await admin.get("/api/v1/admin/venues", headers=as_ops)).status_code == 401
    assert (await _login(admin, "ops", PASSWORD)).status_code == 423
    assert (await admin.post(f"/api/v1/admin/staff/{staff_id}/unlock")).status_code == 204
    reset = await admin.post(f"/api/v1/admin/staff/{staff_id}/reset-password")
    assert reset.status_code == 202
    assert await run_once(runtime) == 1
    message = sms.sent[-1]
    assert (message.phone, message.template) == ("13800138000", "SMS_PASSWORD_RESET")
    new_password = message.params["password"]
    assert (await _login(admin, "ops", PASSWORD)).status_code == 401
    must_change = await _login(admin, "ops", new_password)
    assert must_change.status_code == 403
    assert must_change.json()["error"]["code"] == "password_expired"
    listed = (await admin.get("/api/v1/admin/messages")).json()
    assert listed[0]["to"] == "138****8000"
    assert new_password not in str(listed)


CSV_OK = (
    "username,display_name,phone,roles\n"
    "kiosk.li,Li Kiosk,13900000001,kiosk_staff@outlet:K1\n"
    "ops.wang,Wang,13900000002,ticket_ops@organiser:1;business_manager\n"
)


async def test_batch_import_creates_all_and_sends_initial_passwords(
    admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    dry = await admin.post("/api/v1/admin/staff/import?dry_run=true", content=CSV_OK)
    assert dry.json() == {
        "created": 0,
        "rows": [
            {"line": 2, "username": "kiosk.li", "status": "ok", "problems": []},
            {"line": 3, "username": "ops.wang", "status": "ok", "problems": []},
        ],
    }
    done = await admin.post("/api/v1/admin/staff/import", content=CSV_OK)
    assert done.json()["created"] == 2
    assert [r["status"] for r in done.json()["rows"]] == ["created", "created"]
    assert await run_once(runtime) == 2
    assert sorted(m.phone for m in sms.sent) == ["13900000001", "13900000002"]
    listed = {s["username"]: s for s in (await admin.get("/api/v1/admin/staff")).json()}
    assert listed["ops.wang"]["grants"] == [
        {"role": "ticket_ops", "scope": "organiser", "scope_id": "1"},
        {"role": "business_manager", "scope": "global", "scope_id": None},
    ]


async def test_batch_import_with_a_bad_row_creates_nobody(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    bad = CSV_OK + "x,Too short,123,wizard\nkiosk.li,Again,13900000003,kiosk_staff\n"
    report = (await admin.post("/api/v1/admin/staff/import", content=bad)).json()
    assert report["created"] == 0
    assert [(r["line"], r["status"]) for r in report["rows"]] == [
        (2, "ok"),
        (3, "ok"),
        (4, "error"),
        (5, "error"),
    ]
    assert report["rows"][2]["problems"] == [
        "username: 3-80 of a-z, 0-9, _ . -",
        "phone: an 11-digit mainland mobile number (for the initial password)",
        "roles: unknown role or scope in 'wizard'",
    ]
    assert report["rows"][3]["problems"] == ["username repeats an earlier line"]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        count = await uow.session.scalar(select(func.count()).select_from(StaffUser))
    assert count == 1  # only the test's own administrator

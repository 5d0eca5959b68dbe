"""Staff sign-in answers alike for unknown and known usernames and verifies outside any write
transaction; tokens end on sign-out and on an operator's reset (SEC1, U5; issue 30 items 5
and 11)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from admit.accounts import staff_signin
from admit.accounts.models import LoginFailure, StaffUser
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.people_factories import PASSWORD, create_staff_account

VENUES = "/api/v1/admin/venues"


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/staff/login",
        json={"username": username, "password": password},
        headers={"Authorization": ""},
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_unknown_and_known_usernames_fail_alike(admin: httpx.AsyncClient) -> None:
    await create_staff_account(admin)
    known = await _login(admin, "ops", "wrong")
    unknown = await _login(admin, "nobody", "wrong")
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()
    assert known.json()["error"] == {
        "code": "unauthorized",
        "message": "wrong username or password",
        "details": None,
    }
    assert known.headers["www-authenticate"] == unknown.headers["www-authenticate"]
    change = {"old_password": "wrong", "new_password": "An0ther good one!"}
    known_change = await admin.post(
        "/api/v1/auth/staff/password", json={"username": "ops", **change}
    )
    unknown_change = await admin.post(
        "/api/v1/auth/staff/password", json={"username": "nobody", **change}
    )
    assert known_change.status_code == unknown_change.status_code == 401
    assert known_change.json() == unknown_change.json() == known.json()


async def test_an_unknown_username_is_verified_against_a_decoy_outside_any_transaction(
    admin: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both usernames cost one argon2 verification, run while no unit of work is open: a
    writer commits from inside it (on SQLite it would wait on the write lock otherwise)."""
    await create_staff_account(admin)
    checked: list[bool] = []
    real_check = staff_signin.check_password

    async def recording_check(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash is None)
        async with runtime.uow(TEST_ACTOR) as uow:
            uow.session.add(LoginFailure(ip="192.0.2.1", at=datetime(2026, 1, 1, tzinfo=UTC)))
        return await real_check(password_hash, password)

    monkeypatch.setattr(staff_signin, "check_password", recording_check)
    assert (await _login(admin, "nobody", "wrong")).status_code == 401
    assert (await _login(admin, "ops", "wrong")).status_code == 401
    assert (await _login(admin, "ops", PASSWORD)).status_code == 200
    assert checked == [True, False, False]


async def test_concurrent_wrong_guesses_are_answered_up_to_the_threshold(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Twenty guesses at once: exactly five are counted and answered 401, the rest 423; the
    counters lose no update."""
    await create_staff_account(admin)
    answers = await asyncio.gather(*(_login(admin, "ops", f"guess {i}") for i in range(20)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [401] * 5 + [423] * 15
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        user = await uow.session.scalar(select(StaffUser).where(StaffUser.username == "ops"))
        failures = await uow.session.scalar(select(func.count()).select_from(LoginFailure))
    assert user is not None
    assert (user.failed_logins, user.locked_until is not None) == (0, True)
    assert failures == 5


async def test_concurrent_failures_below_the_threshold_are_all_counted(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    await create_staff_account(admin)
    policy = {"lockout_threshold": 100, "ip_lockout_threshold": 1000}
    assert (await admin.put("/api/v1/admin/security-policy", json=policy)).status_code == 200
    answers = await asyncio.gather(*(_login(admin, "ops", f"guess {i}") for i in range(12)))
    assert [r.status_code for r in answers] == [401] * 12
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        failed = await uow.session.scalar(
            select(StaffUser.failed_logins).where(StaffUser.username == "ops")
        )
    assert failed == 12


async def test_logout_ends_that_token_at_once(admin: httpx.AsyncClient) -> None:
    await create_staff_account(admin)
    first = (await _login(admin, "ops", PASSWORD)).json()["token"]
    second = (await _login(admin, "ops", PASSWORD)).json()["token"]
    out = await admin.post("/api/v1/auth/staff/logout", headers=_bearer(first))
    assert out.status_code == 204
    assert (await admin.get(VENUES, headers=_bearer(first))).status_code == 401
    again = await admin.post("/api/v1/auth/staff/logout", headers=_bearer(first))
    assert again.status_code == 401
    assert (await admin.get(VENUES, headers=_bearer(second))).status_code == 200
    anonymous = await admin.post("/api/v1/auth/staff/logout", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"


async def test_an_operators_reset_ends_every_token_of_the_account(
    admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    staff_id = await create_staff_account(admin)
    tokens = [(await _login(admin, "ops", PASSWORD)).json()["token"] for _ in range(2)]
    assert (await admin.post(f"/api/v1/admin/staff/{staff_id}/reset-password")).status_code == 202
    for token in tokens:
        assert (await admin.get(VENUES, headers=_bearer(token))).status_code == 401
    assert await run_once(runtime) == 1
    new_password = sms.sent[-1].params["password"]
    must_change = await _login(admin, "ops", new_password)
    assert must_change.json()["error"]["code"] == "password_expired"
    # the administrator who reset it is still signed in
    assert (await admin.get(VENUES)).status_code == 200

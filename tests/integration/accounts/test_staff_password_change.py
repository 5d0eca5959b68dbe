"""The staff password change is a sign-in (SEC1; issue 30 items 1 and 5): wrong old passwords
count towards the account's and the address's lockout, a locked account is refused before the
old password is looked at, and a change revokes every token of the account."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from admit.accounts.models import StaffUser
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR
from tests.integration.accounts.people_factories import PASSWORD, create_staff_account

NEW = "An0ther good one!"
CHANGE = "/api/v1/auth/staff/password"


async def _change(
    client: httpx.AsyncClient, old: str, new: str = NEW, username: str = "ops"
) -> httpx.Response:
    return await client.post(
        CHANGE,
        json={"username": username, "old_password": old, "new_password": new},
        headers={"Authorization": ""},
    )


async def _login(client: httpx.AsyncClient, password: str, username: str = "ops") -> httpx.Response:
    return await client.post(
        "/api/v1/auth/staff/login",
        json={"username": username, "password": password},
        headers={"Authorization": ""},
    )


async def _hash(runtime: Runtime, username: str = "ops") -> str:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        found = await uow.session.scalar(
            select(StaffUser.password_hash).where(StaffUser.username == username)
        )
    assert found is not None
    return found


async def test_thirty_wrong_old_passwords_lock_the_account(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    await create_staff_account(admin)
    before = await _hash(runtime)
    answers = [(await _change(admin, f"guess {i}")).status_code for i in range(30)]
    assert answers == [401] * 5 + [423] * 25
    right = await _change(admin, PASSWORD)
    assert right.status_code == 423
    assert right.json()["error"]["code"] == "account_locked"
    assert (await _login(admin, PASSWORD)).status_code == 423
    assert await _hash(runtime) == before


async def test_failed_sign_ins_and_failed_changes_share_one_counter(
    admin: httpx.AsyncClient,
) -> None:
    await create_staff_account(admin)
    for _ in range(3):
        assert (await _login(admin, "wrong")).status_code == 401
    assert (await _change(admin, "wrong")).status_code == 401
    assert (await _change(admin, "wrong")).status_code == 401  # the fifth failure locks
    assert (await _login(admin, PASSWORD)).status_code == 423


async def test_a_locked_account_answers_alike_to_right_and_wrong_old_passwords(
    admin: httpx.AsyncClient,
) -> None:
    staff_id = await create_staff_account(admin)
    assert (await admin.post(f"/api/v1/admin/staff/{staff_id}/lock")).status_code == 204
    wrong = await _change(admin, "wrong")
    right = await _change(admin, PASSWORD)
    right_but_weak = await _change(admin, PASSWORD, new="short")
    for response in (wrong, right, right_but_weak):
        assert response.status_code == 423
        assert response.json() == wrong.json()
    assert wrong.json()["error"]["code"] == "account_locked"


async def test_a_weak_new_password_answers_alike_whatever_the_old_one(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    await create_staff_account(admin)
    before = await _hash(runtime)
    wrong = await _change(admin, "wrong", new="short")
    right = await _change(admin, PASSWORD, new="short")
    assert wrong.status_code == right.status_code == 400
    assert wrong.json() == right.json()
    assert right.json()["error"]["code"] == "weak_password"
    assert await _hash(runtime) == before
    # weak answers evaluated no old password: five wrong ones still lock
    for _ in range(5):
        assert (await _change(admin, "wrong")).status_code == 401
    assert (await _change(admin, PASSWORD)).status_code == 423


async def test_failed_changes_count_towards_the_address_lockout(
    admin: httpx.AsyncClient,
) -> None:
    await create_staff_account(admin)
    await admin.put(
        "/api/v1/admin/security-policy", json={"ip_lockout_threshold": 6, "lockout_threshold": 100}
    )
    for i in range(6):
        assert (await _change(admin, "wrong", username=f"nobody{i}")).status_code == 401
    refused = await _change(admin, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert (await _login(admin, PASSWORD)).status_code == 429


async def test_a_change_revokes_every_token_of_the_account(admin: httpx.AsyncClient) -> None:
    await create_staff_account(admin)
    tokens = [(await _login(admin, PASSWORD)).json()["token"] for _ in range(2)]
    for token in tokens:
        headers = {"Authorization": f"Bearer {token}"}
        assert (await admin.get("/api/v1/admin/venues", headers=headers)).status_code == 200
    assert (await _change(admin, PASSWORD)).status_code == 204
    for token in tokens:
        headers = {"Authorization": f"Bearer {token}"}
        stale = await admin.get("/api/v1/admin/venues", headers=headers)
        assert stale.status_code == 401
    fresh = (await _login(admin, NEW)).json()["token"]
    headers = {"Authorization": f"Bearer {fresh}"}
    assert (await admin.get("/api/v1/admin/venues", headers=headers)).status_code == 200


async def test_the_new_password_must_differ(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    await create_staff_account(admin)
    before = await _hash(runtime)
    same = await _change(admin, PASSWORD, new=PASSWORD)
    assert same.status_code == 400
    assert same.json()["error"]["code"] == "invalid_input"
    assert await _hash(runtime) == before

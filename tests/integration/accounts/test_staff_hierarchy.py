"""The hierarchy on staff account operations (ROLE, U5; issue 30 item 4): nobody locks,
unlocks, resets or regrants an account holding permissions they lack, nor grants what they
lack; nobody locks or demotes themselves; the last active global system_admin stays."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from admit.accounts import staff, staff_import
from admit.accounts.models import StaffGrant, StaffToken, StaffUser
from admit.accounts.staff_hierarchy import (
    BeyondYourGrants,
    LastAdministrator,
    NotOnYourself,
    Operation,
    OutranksYou,
    Target,
    check_may_grant,
    check_operation,
)
from admit.core.permissions import (
    ROLE_PERMISSIONS,
    Grant,
    Permission,
    Principal,
    Role,
    ScopeKind,
)
from admit.core.runtime import Runtime
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR

ADMIN = "/api/v1/admin/staff"


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _member(rt: Runtime, username: str, *grants: Grant) -> Member:
    async with rt.uow(TEST_ACTOR) as uow:
        user = await staff.create_staff(
            uow,
            rt.crypto,
            staff.NewStaff(
                username=username, password=ROOT_PASSWORD, phone="13800138000", grants=grants
            ),
            now=T0,
        )
        issued = await staff.issue_token(uow, staff_id=user.id, lifetime=timedelta(days=1), now=T0)
    return Member(user.id, issued.token)


async def _row(rt: Runtime, staff_id: int) -> tuple[bool, str, list[tuple[str, str]], int]:
    """(operator-locked, password hash, grants, live tokens): what a refusal must not change."""
    async with rt.uow(TEST_ACTOR, readonly=True) as uow:
        user = await uow.session.get(StaffUser, staff_id)
        assert user is not None
        grants = (
            await uow.session.execute(
                select(StaffGrant.role, StaffGrant.scope).where(StaffGrant.staff_id == staff_id)
            )
        ).all()
        live = (
            await uow.session.scalars(
                select(StaffToken.id).where(
                    StaffToken.staff_id == staff_id, StaffToken.revoked_at.is_(None)
                )
            )
        ).all()
    return user.locked_by_operator, user.password_hash, [tuple(g) for g in grants], len(live)


def _grant(role: Role, scope: ScopeKind = ScopeKind.GLOBAL, scope_id: str | None = None) -> Any:
    return {"role": role.value, "scope": scope.value, "scope_id": scope_id}


OPERATIONS: list[tuple[str, str, Permission, int]] = [
    ("lock", "POST", Permission.ACCOUNTS_OPERATE, 204),
    ("unlock", "POST", Permission.ACCOUNTS_OPERATE, 204),
    ("reset-password", "POST", Permission.ACCOUNTS_OPERATE, 202),
    ("grants", "PUT", Permission.STAFF_MANAGE, 204),
]


async def test_every_role_on_an_administrator_and_on_its_own_role(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The matrix: each role × each account operation, on a global system_admin and on another
    account of the actor's own role. Without the permission: 403 ``forbidden``; on an account
    holding permissions the actor lacks: 403 ``outranks_you``; else done."""
    wrong: list[str] = []
    for role in Role:
        actor = await _member(runtime, f"actor-{role.value}".replace("_", "-"), Grant(role))
        targets = {
            "system_admin": (
                await _member(
                    runtime, f"adm-{role.value}".replace("_", "-"), Grant(Role.SYSTEM_ADMIN)
                ),
                Role.SYSTEM_ADMIN,
            ),
            "same role": (
                await _member(runtime, f"peer-{role.value}".replace("_", "-"), Grant(role)),
                role,
            ),
        }
        for label, (target, target_role) in targets.items():
            for op, method, permission, done in OPERATIONS:
                body = {"grants": [_grant(target_role)]} if op == "grants" else None
                response = await client.request(
                    method, f"{ADMIN}/{target.id}/{op}", json=body, headers=actor.headers
                )
                expected: tuple[int, str | None]
                if permission not in ROLE_PERMISSIONS[role]:
                    expected = (403, "forbidden")
                elif not ROLE_PERMISSIONS[target_role] <= ROLE_PERMISSIONS[role]:
                    expected = (403, "outranks_you")
                else:
                    expected = (done, None)
                code = response.json()["error"]["code"] if response.status_code >= 400 else None
                if (response.status_code, code) != expected:
                    wrong.append(f"{role.value} {op} on {label}: {response.status_code} {code}")
    assert wrong == []


async def test_customer_service_cannot_lock_unlock_or_reset_an_administrator(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    clerk = await _member(runtime, "cs", Grant(Role.CUSTOMER_SERVICE))
    boss = await _member(runtime, "boss", Grant(Role.SYSTEM_ADMIN))
    before = await _row(runtime, boss.id)
    for op in ("lock", "unlock", "reset-password"):
        refused = await client.post(f"{ADMIN}/{boss.id}/{op}", headers=clerk.headers)
        assert refused.status_code == 403, op
        error = refused.json()["error"]
        assert error["code"] == "outranks_you"
        lacking = error["details"]["permissions"]
        assert "staff.manage" in lacking
        assert "customers.read" not in lacking  # the clerk holds that one
    assert await _row(runtime, boss.id) == before
    assert (await client.get("/api/v1/admin/venues", headers=boss.headers)).status_code == 200


async def test_a_global_grant_covers_scoped_ones_of_the_same_permissions(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    everywhere = await _member(runtime, "cs-global", Grant(Role.CUSTOMER_SERVICE))
    k1 = await _member(runtime, "cs-k1", Grant(Role.CUSTOMER_SERVICE, ScopeKind.OUTLET, "K1"))
    kiosk = await _member(runtime, "kiosk-k1", Grant(Role.KIOSK_STAFF, ScopeKind.OUTLET, "K1"))
    assert (
        await client.post(f"{ADMIN}/{k1.id}/lock", headers=everywhere.headers)
    ).status_code == 204
    refused = await client.post(f"{ADMIN}/{kiosk.id}/lock", headers=everywhere.headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "outranks_you",
        "message": "this account holds permissions you do not hold",
        "details": {"permissions": ["sales.sell@outlet:K1"]},
    }


def _principal(staff_id: int, *grants: Grant) -> Principal:
    return Principal(staff_id=staff_id, username=f"s{staff_id}", grants=grants)


async def test_a_scoped_grant_covers_the_same_scope_only(runtime: Runtime) -> None:
    """The HTTP layer admits only global grants to staff operations (``admit.http.deps``);
    the rule still holds for a scoped actor, at the service."""
    k1 = Grant(Role.CUSTOMER_SERVICE, ScopeKind.OUTLET, "K1")
    same = await _member(runtime, "cs-k1-b", k1)
    other = await _member(runtime, "cs-k2", Grant(Role.CUSTOMER_SERVICE, ScopeKind.OUTLET, "K2"))
    everywhere = await _member(runtime, "cs-global", Grant(Role.CUSTOMER_SERVICE))
    clerk = _principal(999, k1)
    async with runtime.uow(TEST_ACTOR) as uow:
        await staff.set_locked(uow, actor=clerk, staff_id=same.id, locked=True, now=T0)
    for target, lacking in ((other, "customers.read@outlet:K2"), (everywhere, "customers.read")):
        with pytest.raises(OutranksYou) as refused:
            async with runtime.uow(TEST_ACTOR) as uow:
                await staff.set_locked(uow, actor=clerk, staff_id=target.id, locked=True, now=T0)
        assert lacking in refused.value.details["permissions"]
        assert (await _row(runtime, target.id))[0] is False
    assert (await _row(runtime, same.id))[0] is True


async def test_nobody_grants_what_they_do_not_hold(runtime: Runtime) -> None:
    """Only a global system_admin reaches staff creation over HTTP today (it holds every
    permission), so the rule is shown at the service with an organiser-scoped administrator."""
    org_admin = _principal(999, Grant(Role.SYSTEM_ADMIN, ScopeKind.ORGANISER, "1"))
    ops = await _member(runtime, "ops.one", Grant(Role.TICKET_OPS, ScopeKind.ORGANISER, "1"))
    before = await _row(runtime, ops.id)
    with pytest.raises(BeyondYourGrants) as refused:
        async with runtime.uow(TEST_ACTOR) as uow:
            await staff.set_grants(
                uow, actor=org_admin, staff_id=ops.id, grants=[Grant(Role.TICKET_OPS)], now=T0
            )
    assert "catalog.write" in refused.value.details["permissions"]
    assert await _row(runtime, ops.id) == before
    with pytest.raises(BeyondYourGrants):
        check_may_grant(org_admin, [Grant(Role.SYSTEM_ADMIN)])
    check_may_grant(org_admin, [Grant(Role.TICKET_OPS, ScopeKind.ORGANISER, "1")])
    csv = b"username,display_name,phone,roles\nnew.a,A,13900000001,ticket_ops@organiser:1\n"
    async with runtime.uow(TEST_ACTOR) as uow:
        reports, created = await staff_import.import_staff(
            uow,
            runtime.crypto,
            actor=org_admin,
            data=csv + b"new.b,B,13900000002,ticket_ops\n",
            now=T0,
        )
    assert created == []
    assert [(r.username, r.status) for r in reports] == [("new.a", "ok"), ("new.b", "error")]
    assert reports[1].problems == [
        "roles: beyond your own grants: "
        + ", ".join(sorted(p.value for p in ROLE_PERMISSIONS[Role.TICKET_OPS]))
    ]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        names = set((await uow.session.scalars(select(StaffUser.username))).all())
    assert names == {"ops.one"}


async def test_the_only_administrator_cannot_lock_or_demote_themselves(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    only = await _member(runtime, "only", Grant(Role.SYSTEM_ADMIN))
    before = await _row(runtime, only.id)
    locked = await client.post(f"{ADMIN}/{only.id}/lock", headers=only.headers)
    assert locked.status_code == 409
    assert locked.json()["error"]["code"] == "last_administrator"
    demoted = await client.put(
        f"{ADMIN}/{only.id}/grants",
        json={"grants": [{"role": "ticket_ops"}]},
        headers=only.headers,
    )
    assert demoted.status_code == 409
    assert demoted.json()["error"]["code"] == "last_administrator"
    scoped = await client.put(
        f"{ADMIN}/{only.id}/grants",
        json={"grants": [{"role": "system_admin", "scope": "venue", "scope_id": "1"}]},
        headers=only.headers,
    )
    assert scoped.json()["error"]["code"] == "last_administrator"
    assert await _row(runtime, only.id) == before


async def test_an_administrator_locked_by_an_operator_does_not_count(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    first = await _member(runtime, "first", Grant(Role.SYSTEM_ADMIN))
    second = await _member(runtime, "second", Grant(Role.SYSTEM_ADMIN))
    assert (
        await client.post(f"{ADMIN}/{second.id}/lock", headers=first.headers)
    ).status_code == 204
    refused = await client.put(
        f"{ADMIN}/{first.id}/grants",
        json={"grants": [{"role": "customer_service"}]},
        headers=first.headers,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "last_administrator"
    # once the other is unlocked, demoting the other is fine (the actor remains)
    assert (
        await client.post(f"{ADMIN}/{second.id}/unlock", headers=first.headers)
    ).status_code == 204
    demoted = await client.put(
        f"{ADMIN}/{second.id}/grants",
        json={"grants": [{"role": "customer_service"}]},
        headers=first.headers,
    )
    assert demoted.status_code == 204


async def test_nobody_locks_or_demotes_themselves(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me = await _member(runtime, "me", Grant(Role.SYSTEM_ADMIN))
    await _member(runtime, "colleague", Grant(Role.SYSTEM_ADMIN))
    clerk = await _member(runtime, "clerk", Grant(Role.CUSTOMER_SERVICE))
    before = await _row(runtime, me.id)
    for who, response in (
        (me, await client.post(f"{ADMIN}/{me.id}/lock", headers=me.headers)),
        (
            me,
            await client.put(
                f"{ADMIN}/{me.id}/grants",
                json={"grants": [{"role": "ticket_ops"}]},
                headers=me.headers,
            ),
        ),
        (clerk, await client.post(f"{ADMIN}/{clerk.id}/lock", headers=clerk.headers)),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "not_on_yourself"
        still_in = await client.get("/api/v1/admin/venues", headers=who.headers)
        assert still_in.status_code == 200
    assert await _row(runtime, me.id) == before
    same = await client.put(
        f"{ADMIN}/{me.id}/grants", json={"grants": [{"role": "system_admin"}]}, headers=me.headers
    )
    assert same.status_code == 204  # the same grants again take nothing away


async def test_two_administrators_locking_each_other_at_once_leave_one(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    a = await _member(runtime, "admin-a", Grant(Role.SYSTEM_ADMIN))
    b = await _member(runtime, "admin-b", Grant(Role.SYSTEM_ADMIN))
    answers = await asyncio.gather(
        client.post(f"{ADMIN}/{b.id}/lock", headers=a.headers),
        client.post(f"{ADMIN}/{a.id}/lock", headers=b.headers),
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses[0] == 204
    assert statuses[1] in (401, 409)  # the loser's token revoked, or the last administrator
    locked = [(await _row(runtime, m.id))[0] for m in (a, b)]
    assert sorted(locked) == [False, True]


@pytest.mark.parametrize("others", [0, 1])
def test_removing_an_account_follows_the_same_rules(others: int) -> None:
    """No route removes a staff account yet; the rule it must call is ready."""
    admin = Grant(Role.SYSTEM_ADMIN)
    me = _principal(1, admin)
    target = Target(
        staff_id=1, grants=(admin,), active_and_unlocked=True, other_administrators=others
    )
    expected = LastAdministrator if others == 0 else NotOnYourself
    with pytest.raises(expected):
        check_operation(me, target, Operation.REMOVE)
    colleague = Target(
        staff_id=2, grants=(admin,), active_and_unlocked=True, other_administrators=1
    )
    check_operation(me, colleague, Operation.REMOVE)

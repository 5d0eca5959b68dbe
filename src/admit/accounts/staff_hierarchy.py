"""Who may act on which staff account (ROLE, U5): nobody locks, unlocks, resets or regrants an
account holding permissions they lack, nor grants what they lack; nobody locks or demotes
themselves; the last active global ``system_admin`` stays one. Pure: grants and counts come in.

Scopes: a global grant of a permission covers that permission in every scope; a scoped grant
covers it in exactly the same scope (kind and id) and nowhere else. Scopes are not nested (an
organiser grant does not cover a venue grant), because nothing records which venue belongs to
which organiser's staff."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from admit.core.errors import Conflict, Forbidden
from admit.core.permissions import (
    ROLE_PERMISSIONS,
    Grant,
    Permission,
    Principal,
    Role,
    ScopeKind,
)

Reach = tuple[Permission, ScopeKind, str | None]


class OutranksYou(Forbidden):
    """The target account holds permissions (or scopes) the actor lacks."""

    code = "outranks_you"


class BeyondYourGrants(Forbidden):
    """The grants to give carry permissions (or scopes) the actor lacks."""

    code = "beyond_your_grants"


class NotOnYourself(Forbidden):
    """Locking oneself, or taking permissions away from oneself."""

    code = "not_on_yourself"


class LastAdministrator(Conflict):
    """The operation would leave no active, unlocked, global ``system_admin``."""

    code = "last_administrator"


class Operation(enum.StrEnum):
    LOCK = "lock"
    UNLOCK = "unlock"
    RESET_PASSWORD = "reset_password"
    SET_GRANTS = "set_grants"
    REMOVE = "remove"


REMOVES_ADMINISTRATOR = {Operation.LOCK, Operation.REMOVE}


@dataclass(frozen=True, slots=True)
class Target:
    """The account acted on, as read under its row lock, and how many *other* accounts are
    active, unlocked global administrators."""

    staff_id: int
    grants: tuple[Grant, ...]
    active_and_unlocked: bool
    other_administrators: int


def reach(grants: Iterable[Grant]) -> frozenset[Reach]:
    """Every (permission, scope kind, scope id) the grants carry."""
    return frozenset(
        (p, g.scope, None if g.scope is ScopeKind.GLOBAL else g.scope_id)
        for g in grants
        for p in ROLE_PERMISSIONS[g.role]
    )


def missing(holder: Iterable[Grant], wanted: Iterable[Grant]) -> list[str]:
    """What of ``wanted`` ``holder`` lacks, sorted: ``"customers.read"`` for a global
    permission, ``"sales.sell@outlet:K1"`` for a scoped one. Empty when covered."""
    have = reach(holder)
    lacking = {
        perm.value if scope is ScopeKind.GLOBAL else f"{perm.value}@{scope.value}:{scope_id}"
        for perm, scope, scope_id in reach(wanted)
        if (perm, ScopeKind.GLOBAL, None) not in have and (perm, scope, scope_id) not in have
    }
    return sorted(lacking)


def is_administrator(grants: Iterable[Grant]) -> bool:
    """Holds ``system_admin`` globally: the grant that keeps the platform administrable."""
    return any(g.role is Role.SYSTEM_ADMIN and g.scope is ScopeKind.GLOBAL for g in grants)


def check_may_grant(actor: Principal, grants: Sequence[Grant]) -> None:
    """Refuse giving (on creation, import or regrant) what the actor does not hold.
    Raises ``BeyondYourGrants`` naming the permissions."""
    lacking = missing(actor.grants, grants)
    if lacking:
        raise BeyondYourGrants(
            "you cannot grant permissions you do not hold", details={"permissions": lacking}
        )


def check_operation(
    actor: Principal,
    target: Target,
    operation: Operation,
    new_grants: Sequence[Grant] = (),
) -> None:
    """Whether ``actor`` may perform ``operation`` on ``target`` (``new_grants`` for
    ``SET_GRANTS``). Checked in this order, so that each refusal has one stable code:
    ``OutranksYou``, ``BeyondYourGrants``, ``LastAdministrator``, ``NotOnYourself``."""
    lacking = missing(actor.grants, target.grants)
    if lacking:
        raise OutranksYou(
            "this account holds permissions you do not hold", details={"permissions": lacking}
        )
    if operation is Operation.SET_GRANTS:
        check_may_grant(actor, new_grants)
    if _removes_last_administrator(target, operation, new_grants):
        raise LastAdministrator(
            "this is the last active system administrator: appoint another one first"
        )
    if target.staff_id == actor.staff_id:
        _check_on_oneself(target, operation, new_grants)


def _removes_last_administrator(
    target: Target, operation: Operation, new_grants: Sequence[Grant]
) -> bool:
    if not (target.active_and_unlocked and is_administrator(target.grants)):
        return False
    if target.other_administrators > 0:
        return False
    if operation is Operation.SET_GRANTS:
        return not is_administrator(new_grants)
    return operation in REMOVES_ADMINISTRATOR


def _check_on_oneself(target: Target, operation: Operation, new_grants: Sequence[Grant]) -> None:
    if operation in (Operation.LOCK, Operation.REMOVE):
        raise NotOnYourself(f"you cannot {operation.value} your own account")
    if operation is Operation.SET_GRANTS and missing(new_grants, target.grants):
        raise NotOnYourself(
            "you cannot take permissions away from yourself: ask another administrator",
            details={"permissions": missing(new_grants, target.grants)},
        )

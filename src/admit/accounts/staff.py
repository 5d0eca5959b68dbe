"""Staff accounts (U4, U5): created only by administrators, one by one or from CSV, with roles
scoped to an organiser, venue, channel or outlet; locked, unlocked and reset by operators, each
within the hierarchy of ``staff_hierarchy``. Sign-in and password change: ``staff_signin``."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from admit.accounts.models import StaffGrant, StaffToken, StaffUser
from admit.accounts.passwords import hash_password_off_loop
from admit.accounts.security import check_strength, get_policy
from admit.accounts.staff_hierarchy import Operation, Target, check_operation
from admit.accounts.tokens import IssuedToken, digest, new_token
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import InvalidInput, NotFound, Unauthorized
from admit.core.lookups import ensure_unique
from admit.core.permissions import Grant, Principal, Role, ScopeKind
from admit.core.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class NewStaff:
    username: str
    password: str
    grants: Sequence[Grant]
    display_name: str = ""
    phone: str | None = None


def phone_of(crypto: FieldCrypto, user: StaffUser) -> str | None:
    """The staff member's phone number in clear, or ``None``."""
    return crypto.decrypt(user.phone_enc) if user.phone_enc else None


async def create_staff(
    uow: UnitOfWork, crypto: FieldCrypto, cmd: NewStaff, *, now: datetime
) -> StaffUser:
    """Create a staff account with its grants, the phone encrypted under the field keys.
    Raises ``AlreadyExists``, ``WeakPassword``."""
    policy = await get_policy(uow)
    check_strength(cmd.password, policy, login=cmd.username)
    await ensure_unique(
        uow, StaffUser.username, cmd.username, f"staff user {cmd.username!r} already exists"
    )
    user = StaffUser(
        username=cmd.username,
        display_name=cmd.display_name or cmd.username,
        phone_enc=crypto.encrypt(cmd.phone) if cmd.phone else None,
        password_hash=await hash_password_off_loop(cmd.password),
        password_changed_at=now,
        created_at=now,
    )
    uow.session.add(user)
    await uow.session.flush()
    await _write_grants(uow, user.id, cmd.grants)
    await audit.record(
        uow,
        action="staff.created",
        entity_type="staff_user",
        entity_id=user.id,
        now=now,
        data={"username": cmd.username, "grants": [_grant_data(g) for g in cmd.grants]},
    )
    return user


def _grant_data(g: Grant) -> dict[str, str | None]:
    return {"role": g.role.value, "scope": g.scope.value, "scope_id": g.scope_id}


async def _write_grants(uow: UnitOfWork, staff_id: int, grants: Sequence[Grant]) -> None:
    for g in grants:
        if (g.scope is ScopeKind.GLOBAL) != (g.scope_id is None):
            raise InvalidInput("a scoped grant names its scope id; a global one does not")
        uow.session.add(
            StaffGrant(
                staff_id=staff_id, role=g.role.value, scope=g.scope.value, scope_id=g.scope_id
            )
        )
    await uow.session.flush()


async def set_grants(
    uow: UnitOfWork, *, actor: Principal, staff_id: int, grants: Sequence[Grant], now: datetime
) -> None:
    """Replace an account's grants. Raises ``NotFound`` and the hierarchy's refusals
    (``OutranksYou``, ``BeyondYourGrants``, ``LastAdministrator``, ``NotOnYourself``)."""
    await acquire_target(
        uow, actor=actor, staff_id=staff_id, operation=Operation.SET_GRANTS, new_grants=grants
    )
    await uow.session.execute(delete(StaffGrant).where(StaffGrant.staff_id == staff_id))
    await _write_grants(uow, staff_id, grants)
    await audit.record(
        uow,
        action="staff.grants_set",
        entity_type="staff_user",
        entity_id=staff_id,
        now=now,
        data={"grants": [_grant_data(g) for g in grants]},
    )


async def grants_of(uow: UnitOfWork, staff_id: int) -> tuple[Grant, ...]:
    rows = await uow.session.scalars(
        select(StaffGrant).where(StaffGrant.staff_id == staff_id).order_by(StaffGrant.id)
    )
    return tuple(Grant(Role(g.role), ScopeKind(g.scope), g.scope_id) for g in rows)


async def acquire_target(
    uow: UnitOfWork,
    *,
    actor: Principal,
    staff_id: int,
    operation: Operation,
    new_grants: Sequence[Grant] = (),
) -> StaffUser:
    """The account ``actor`` may perform ``operation`` on, with its row locked.

    The target's row and every global administrator's are locked in id order in one statement
    (two operations on administrators never deadlock, and two administrators locking each
    other at once cannot both succeed); every change of grants takes the same row lock first,
    so the grants read here stay true until commit. On SQLite the writing transaction's
    ``BEGIN IMMEDIATE`` serialises the same way. Raises ``NotFound`` and the refusals of
    ``staff_hierarchy.check_operation``."""
    administrators = select(StaffGrant.staff_id).where(
        StaffGrant.role == Role.SYSTEM_ADMIN.value, StaffGrant.scope == ScopeKind.GLOBAL.value
    )
    rows = (
        await uow.session.scalars(
            select(StaffUser)
            .where(or_(StaffUser.id == staff_id, StaffUser.id.in_(administrators)))
            .order_by(StaffUser.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    user = next((row for row in rows if row.id == staff_id), None)
    if user is None:
        raise NotFound(f"staff user {staff_id} does not exist")
    target = Target(
        staff_id=staff_id,
        grants=await grants_of(uow, staff_id),
        active_and_unlocked=user.is_active and not user.locked_by_operator,
        other_administrators=sum(
            1 for row in rows if row.id != staff_id and row.is_active and not row.locked_by_operator
        ),
    )
    check_operation(actor, target, operation, new_grants)
    return user


async def revoke_tokens(uow: UnitOfWork, *, staff_id: int, now: datetime) -> None:
    """Every live token of the account stops working (checked on every request: no cache)."""
    await uow.session.execute(
        update(StaffToken)
        .where(StaffToken.staff_id == staff_id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def principal_for_token(uow: UnitOfWork, *, token: str, now: datetime) -> Principal:
    """The staff member behind a live token with their grants. Raises ``Unauthorized``."""
    row = (
        await uow.session.execute(
            select(StaffUser, StaffToken)
            .join(StaffToken, StaffToken.staff_id == StaffUser.id)
            .where(StaffToken.token_hash == digest(token))
        )
    ).first()
    if row is None:
        raise Unauthorized("unknown token")
    user, tok = row
    if tok.revoked_at is not None or tok.expires_at <= now:
        raise Unauthorized("the token has expired or was revoked")
    if not user.is_active or user.locked_by_operator:
        raise Unauthorized("the account is disabled")
    return Principal(staff_id=user.id, username=user.username, grants=await grants_of(uow, user.id))


async def issue_token(
    uow: UnitOfWork, *, staff_id: int, lifetime: timedelta, now: datetime
) -> IssuedToken:
    token, token_hash = new_token()
    expires = now + lifetime
    uow.session.add(
        StaffToken(staff_id=staff_id, token_hash=token_hash, created_at=now, expires_at=expires)
    )
    await uow.session.flush()
    return IssuedToken(token=token, expires_at=expires, subject_id=staff_id)


async def set_locked(
    uow: UnitOfWork, *, actor: Principal, staff_id: int, locked: bool, now: datetime
) -> None:
    """An operator locks (or unlocks) an account (U5); locking revokes its tokens. Raises
    ``NotFound`` and the hierarchy's refusals."""
    operation = Operation.LOCK if locked else Operation.UNLOCK
    user = await acquire_target(uow, actor=actor, staff_id=staff_id, operation=operation)
    user.locked_by_operator = locked
    user.failed_logins, user.locked_until = 0, None
    if locked:
        await revoke_tokens(uow, staff_id=staff_id, now=now)
    await uow.session.flush()
    await audit.record(
        uow,
        action="staff.locked" if locked else "staff.unlocked",
        entity_type="staff_user",
        entity_id=staff_id,
        data={},
        now=now,
    )


async def reset_password(
    uow: UnitOfWork, crypto: FieldCrypto, *, actor: Principal, staff_id: int, now: datetime
) -> tuple[str, str]:
    """A new random password that must be changed at the next login, every live token of the
    account revoked; returns the password and the phone to send it to. Raises ``NotFound``,
    the hierarchy's refusals, and ``InvalidInput`` without a phone."""
    password = secrets.token_urlsafe(9) + "a1!"
    password_hash = await hash_password_off_loop(password)  # before any row is locked
    user = await acquire_target(
        uow, actor=actor, staff_id=staff_id, operation=Operation.RESET_PASSWORD
    )
    phone = phone_of(crypto, user)
    if not phone:
        raise InvalidInput("the account has no phone to send the new password to")
    user.password_hash = password_hash
    user.password_changed_at = now
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    await revoke_tokens(uow, staff_id=staff_id, now=now)
    await uow.session.flush()
    await audit.record(
        uow,
        action="staff.password_reset",
        entity_type="staff_user",
        entity_id=staff_id,
        data={},
        now=now,
    )
    return password, phone

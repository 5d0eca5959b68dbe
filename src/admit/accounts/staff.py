"""Staff accounts (U4, U5): created only by administrators, one by one or from CSV, with roles
scoped to an organiser, venue, channel or outlet; locked, unlocked and reset by operators."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from admit.accounts.models import StaffGrant, StaffToken, StaffUser
from admit.accounts.password_rules import after_failure, is_locked, password_expired
from admit.accounts.passwords import hash_password, verify_password
from admit.accounts.permissions import Grant, Principal, Role, ScopeKind
from admit.accounts.security import (
    AccountLocked,
    PasswordExpired,
    check_strength,
    get_policy,
    guard_address,
    record_address_failure,
)
from admit.accounts.tokens import Attempt, IssuedToken, digest, new_token
from admit.core import audit
from admit.core.errors import AdmitError, InvalidInput, Unauthorized
from admit.core.lookups import ensure_unique, get_or_404
from admit.core.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class NewStaff:
    username: str
    password: str
    grants: Sequence[Grant]
    display_name: str = ""
    phone: str | None = None


async def create_staff(uow: UnitOfWork, cmd: NewStaff, *, now: datetime) -> StaffUser:
    """Create a staff account with its grants. Raises ``AlreadyExists``, ``WeakPassword``."""
    policy = await get_policy(uow)
    check_strength(cmd.password, policy, login=cmd.username)
    await ensure_unique(
        uow, StaffUser.username, cmd.username, f"staff user {cmd.username!r} already exists"
    )
    user = StaffUser(
        username=cmd.username,
        display_name=cmd.display_name or cmd.username,
        phone=cmd.phone,
        password_hash=hash_password(cmd.password),
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
    uow: UnitOfWork, *, staff_id: int, grants: Sequence[Grant], now: datetime
) -> None:
    await get_or_404(uow, StaffUser, staff_id, "staff user")
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
    grants = (
        await uow.session.scalars(
            select(StaffGrant).where(StaffGrant.staff_id == user.id).order_by(StaffGrant.id)
        )
    ).all()
    return Principal(
        staff_id=user.id,
        username=user.username,
        grants=tuple(Grant(Role(g.role), ScopeKind(g.scope), g.scope_id) for g in grants),
    )


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


async def log_in(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    ip: str,
    lifetime: timedelta,
    now: datetime,
) -> Attempt:
    policy = await get_policy(uow)
    try:
        await guard_address(uow, ip=ip, policy=policy, now=now)
    except AdmitError as refusal:
        return Attempt(refusal=refusal)
    user = await uow.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is not None and (user.locked_by_operator or is_locked(user.locked_until, now)):
        return Attempt(refusal=AccountLocked("the account is locked"))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        await record_address_failure(uow, ip=ip, now=now)
        if user is not None:
            user.failed_logins, user.locked_until = after_failure(
                user.failed_logins, policy.lockout, now
            )
            await uow.session.flush()
        return Attempt(refusal=Unauthorized("wrong username or password"))
    user.failed_logins = 0
    if user.must_change_password or password_expired(
        user.password_changed_at, policy.staff_rotation_days, now
    ):
        return Attempt(
            refusal=PasswordExpired("the password has expired: change it with the old one first")
        )
    return Attempt(token=await issue_token(uow, staff_id=user.id, lifetime=lifetime, now=now))


async def change_password(
    uow: UnitOfWork, *, username: str, old: str, new: str, now: datetime
) -> None:
    """Change one's own password (also the way out of an expired one)."""
    user = await uow.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not verify_password(user.password_hash, old):
        raise Unauthorized("wrong username or password")
    if is_locked(user.locked_until, now) or user.locked_by_operator:
        raise AccountLocked("the account is locked")
    check_strength(new, await get_policy(uow), login=username)
    if verify_password(user.password_hash, new):
        raise InvalidInput("the new password must differ from the old one")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.must_change_password = False
    await uow.session.flush()
    await audit.record(
        uow,
        action="staff.password_changed",
        entity_type="staff_user",
        entity_id=user.id,
        data={},
        now=now,
    )


async def set_locked(uow: UnitOfWork, *, staff_id: int, locked: bool, now: datetime) -> None:
    """An operator locks (or unlocks) an account (U5); locking revokes its tokens."""
    user = await get_or_404(uow, StaffUser, staff_id, "staff user")
    user.locked_by_operator = locked
    user.failed_logins, user.locked_until = 0, None
    if locked:
        await uow.session.execute(
            update(StaffToken)
            .where(StaffToken.staff_id == staff_id, StaffToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    await uow.session.flush()
    await audit.record(
        uow,
        action="staff.locked" if locked else "staff.unlocked",
        entity_type="staff_user",
        entity_id=staff_id,
        data={},
        now=now,
    )


async def reset_password(uow: UnitOfWork, *, staff_id: int, now: datetime) -> tuple[str, str]:
    """A new random password that must be changed at the next login; returns the password and
    the phone to send it to. Raises ``InvalidInput`` without a phone."""
    user = await get_or_404(uow, StaffUser, staff_id, "staff user")
    if not user.phone:
        raise InvalidInput("the account has no phone to send the new password to")
    password = secrets.token_urlsafe(9) + "a1!"
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    await uow.session.flush()
    await audit.record(
        uow,
        action="staff.password_reset",
        entity_type="staff_user",
        entity_id=staff_id,
        data={},
        now=now,
    )
    return password, user.phone

"""Staff accounts and bearer tokens (the bootstrap administrator; roles come later)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from admit.accounts.models import StaffToken, StaffUser
from admit.accounts.passwords import hash_password, verify_password
from admit.core import audit
from admit.core.errors import InvalidInput, Unauthorized
from admit.core.lookups import ensure_unique
from admit.core.uow import UnitOfWork

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    staff_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_staff(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    is_admin: bool,
    now: datetime,
    display_name: str = "",
) -> StaffUser:
    """Create a staff account. Raises ``AlreadyExists`` or ``InvalidInput``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    await ensure_unique(
        uow, StaffUser.username, username, f"staff user {username!r} already exists"
    )
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        is_admin=is_admin,
        created_at=now,
    )
    uow.session.add(user)
    await uow.session.flush()
    await audit.record(
        uow,
        action="staff.created",
        entity_type="staff_user",
        entity_id=user.id,
        data={"username": username, "is_admin": is_admin},
        now=now,
    )
    return user


async def issue_token(
    uow: UnitOfWork, *, staff_id: int, lifetime: timedelta, now: datetime
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires = now + lifetime
    uow.session.add(
        StaffToken(staff_id=staff_id, token_hash=_digest(token), created_at=now, expires_at=expires)
    )
    await uow.session.flush()
    return IssuedToken(token=token, expires_at=expires, staff_id=staff_id)


async def log_in(
    uow: UnitOfWork, *, username: str, password: str, lifetime: timedelta, now: datetime
) -> IssuedToken:
    """Exchange a username and password for a bearer token. Raises ``Unauthorized``."""
    user = await uow.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise Unauthorized("wrong username or password")
    return await issue_token(uow, staff_id=user.id, lifetime=lifetime, now=now)


async def authenticate(uow: UnitOfWork, *, token: str, now: datetime) -> StaffUser:
    """The active staff user behind a live token. Raises ``Unauthorized``."""
    row = (
        await uow.session.execute(
            select(StaffUser, StaffToken)
            .join(StaffToken, StaffToken.staff_id == StaffUser.id)
            .where(StaffToken.token_hash == _digest(token))
        )
    ).first()
    if row is None:
        raise Unauthorized("unknown token")
    user, tok = row
    if tok.revoked_at is not None or tok.expires_at <= now or not user.is_active:
        raise Unauthorized("the token has expired or was revoked")
    return user

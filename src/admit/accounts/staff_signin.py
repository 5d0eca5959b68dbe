"""Staff sign-in, password change and sign-out (SEC1, U5).

The argon2 verification runs between two units of work, never inside one: the account is read
in a reading unit, the password verified in a worker thread (against a decoy hash for an
unknown or disabled username, so that both take as long and answer alike), and the outcome
recorded in a short writing unit that locks the account's row. The failure counter and the
lockout stay exact under any concurrency, and on SQLite no write lock is held during the
~20 ms of argon2. These flows therefore take the unit-of-work factory, not a unit of work.

A password change is a sign-in too: its failures count towards the account's and the
address's lockout, and a locked account is refused before the old password is looked at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from admit.accounts.models import StaffToken, StaffUser
from admit.accounts.password_rules import after_failure, is_locked, password_expired
from admit.accounts.passwords import check_password, hash_password_off_loop
from admit.accounts.security import (
    AccountLocked,
    PasswordExpired,
    PolicyView,
    check_strength,
    get_policy,
    guard_address,
    record_address_failure,
)
from admit.accounts.staff import issue_token, revoke_tokens
from admit.accounts.tokens import Attempt, digest
from admit.core import audit
from admit.core.audit_context import ANONYMOUS
from admit.core.errors import AdmitError, InvalidInput, Unauthorized
from admit.core.uow import UnitOfWork, UnitOfWorkFactory

WRONG = "wrong username or password"


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the reading unit found: the account and the hash the password is checked against
    (``None`` for an unknown or disabled username: a decoy is verified instead)."""

    policy: PolicyView
    staff_id: int | None
    password_hash: str | None


def _refuse_if_locked(user: StaffUser, now: datetime) -> None:
    if user.locked_by_operator or is_locked(user.locked_until, now):
        raise AccountLocked("the account is locked")


async def _look(uow: UnitOfWork, *, username: str, ip: str, now: datetime) -> _Seen:
    """Raises ``TooManyAttempts`` for a refused address and ``AccountLocked`` for a locked
    account: before any password is checked, so a locked account answers alike to all."""
    policy = await get_policy(uow)
    await guard_address(uow, ip=ip, policy=policy, now=now)
    user = await uow.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        return _Seen(policy, None, None)
    _refuse_if_locked(user, now)
    return _Seen(policy, user.id, user.password_hash if user.is_active else None)


async def _settle(
    uow: UnitOfWork, seen: _Seen, *, right: bool, ip: str, now: datetime
) -> StaffUser | AdmitError:
    """Record one verified attempt under the account's row lock: the signed-in account, or
    the refusal to answer. A lock taken since the read refuses a right password too, and
    uncounted, so concurrent guesses learn nothing past the threshold."""
    try:
        await guard_address(uow, ip=ip, policy=seen.policy, now=now)
    except AdmitError as refusal:
        return refusal
    user = None
    if seen.staff_id is not None:
        user = await uow.session.scalar(
            select(StaffUser)
            .where(StaffUser.id == seen.staff_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if user is not None:
        try:
            _refuse_if_locked(user, now)
        except AccountLocked as refusal:
            return refusal
        # a password changed (or an account disabled) since the read: the check is stale
        right = right and user.is_active and user.password_hash == seen.password_hash
    if user is None or not right:
        await record_address_failure(uow, ip=ip, now=now)
        if user is not None:
            user.failed_logins, user.locked_until = after_failure(
                user.failed_logins, seen.policy.lockout, now
            )
            await uow.session.flush()
        return Unauthorized(WRONG)
    user.failed_logins = 0
    return user


async def log_in(
    units: UnitOfWorkFactory,
    *,
    username: str,
    password: str,
    ip: str,
    lifetime: timedelta,
    now: datetime,
) -> Attempt:
    """A bearer token, or the refusal to answer (recorded failures are committed). Unknown
    and known usernames with a wrong password get the same answer after the same work."""
    async with units(ANONYMOUS, readonly=True) as uow:
        try:
            seen = await _look(uow, username=username, ip=ip, now=now)
        except AdmitError as refusal:
            return Attempt(refusal=refusal)
    right = await check_password(seen.password_hash, password)
    async with units(ANONYMOUS) as uow:
        outcome = await _settle(uow, seen, right=right, ip=ip, now=now)
        if isinstance(outcome, AdmitError):
            return Attempt(refusal=outcome)
        if outcome.must_change_password or password_expired(
            outcome.password_changed_at, seen.policy.staff_rotation_days, now
        ):
            return Attempt(
                refusal=PasswordExpired(
                    "the password has expired: change it with the old one first"
                )
            )
        return Attempt(
            token=await issue_token(uow, staff_id=outcome.id, lifetime=lifetime, now=now)
        )


async def change_password(
    units: UnitOfWorkFactory,
    *,
    username: str,
    old: str,
    new: str,
    ip: str,
    now: datetime,
) -> AdmitError | None:
    """Change one's own password (also the way out of an expired one) and revoke every live
    token of the account; ``None`` on success, else the refusal to answer (recorded failures
    are committed). The address and the account lock are checked first, then the new
    password's strength (an answer that does not depend on the old password), then the old
    password, whose failures count as failed sign-ins."""
    async with units(ANONYMOUS, readonly=True) as uow:
        try:
            seen = await _look(uow, username=username, ip=ip, now=now)
            check_strength(new, seen.policy, login=username)
            if new == old:
                raise InvalidInput("the new password must differ from the old one")
        except AdmitError as refusal:
            return refusal
    right = await check_password(seen.password_hash, old)
    new_hash = await hash_password_off_loop(new) if right else ""
    async with units(ANONYMOUS) as uow:
        outcome = await _settle(uow, seen, right=right, ip=ip, now=now)
        if isinstance(outcome, AdmitError):
            return outcome
        outcome.password_hash = new_hash
        outcome.password_changed_at = now
        outcome.must_change_password = False
        await revoke_tokens(uow, staff_id=outcome.id, now=now)
        await uow.session.flush()
        await audit.record(
            uow,
            action="staff.password_changed",
            entity_type="staff_user",
            entity_id=outcome.id,
            data={},
            now=now,
        )
    return None


async def log_out(uow: UnitOfWork, *, token: str, now: datetime) -> None:
    """Revoke this token: the next request with it is refused (tokens are checked on every
    request, with no cache)."""
    await uow.session.execute(
        update(StaffToken)
        .where(StaffToken.token_hash == digest(token), StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )

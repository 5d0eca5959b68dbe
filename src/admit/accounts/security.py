"""The security policy (SEC1) and the login guard that applies it: strength, rotation, account
and address lockout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from admit.accounts.models import LoginFailure, SecurityPolicy
from admit.accounts.password_rules import Lockout, Strength, password_problems
from admit.core import audit
from admit.core.errors import AdmitError, InvalidInput
from admit.core.uow import UnitOfWork

POLICY_FIELDS = (
    "min_length",
    "min_classes",
    "staff_rotation_days",
    "customer_rotation_days",
    "lockout_threshold",
    "lockout_minutes",
    "ip_lockout_threshold",
    "ip_lockout_minutes",
    "max_devices",
    "max_holders",
)


class AccountLocked(AdmitError):
    code = "account_locked"
    status = 423


class TooManyAttempts(AdmitError):
    code = "too_many_attempts"
    status = 429


class PasswordExpired(AdmitError):
    code = "password_expired"
    status = 403


class WeakPassword(InvalidInput):
    code = "weak_password"


@dataclass(frozen=True, slots=True)
class PolicyView:
    min_length: int
    min_classes: int
    staff_rotation_days: int
    customer_rotation_days: int
    lockout_threshold: int
    lockout_minutes: int
    ip_lockout_threshold: int
    ip_lockout_minutes: int
    max_devices: int
    max_holders: int

    @property
    def strength(self) -> Strength:
        return Strength(self.min_length, self.min_classes)

    @property
    def lockout(self) -> Lockout:
        return Lockout(self.lockout_threshold, self.lockout_minutes)


async def _row(uow: UnitOfWork) -> SecurityPolicy:
    row = await uow.session.get(SecurityPolicy, 1)
    if row is None:
        row = SecurityPolicy(id=1)
        uow.session.add(row)
        await uow.session.flush()
    return row


async def get_policy(uow: UnitOfWork) -> PolicyView:
    row = await uow.session.get(SecurityPolicy, 1)
    row = row or SecurityPolicy(id=1, **_defaults())
    return PolicyView(**{f: getattr(row, f) for f in POLICY_FIELDS})


def _defaults() -> dict[str, Any]:
    return {
        name: column.default.arg
        for name, column in SecurityPolicy.__table__.columns.items()
        if name in POLICY_FIELDS
    }


async def update_policy(uow: UnitOfWork, *, changes: dict[str, int], now: datetime) -> PolicyView:
    """Change policy values (administrators); every change is audited with old and new."""
    if changes.get("min_length", 8) < 8 or changes.get("lockout_threshold", 1) < 1:
        raise InvalidInput("passwords need at least 8 characters and lockout at least 1 attempt")
    row = await _row(uow)
    row.updated_at = now
    await audit.record_update(
        uow,
        row,
        changes,
        action="security_policy.updated",
        entity_type="security_policy",
        entity_id=1,
        now=now,
    )
    return await get_policy(uow)


def check_strength(password: str, policy: PolicyView, *, login: str = "") -> None:
    problems = password_problems(password, policy.strength, login=login)
    if problems:
        raise WeakPassword(
            "the password is too weak: " + "; ".join(problems), details={"problems": problems}
        )


async def guard_address(uow: UnitOfWork, *, ip: str, policy: PolicyView, now: datetime) -> None:
    """Refuse logins from an address with too many recent failures (TooManyAttempts, 429)."""
    window = now - timedelta(minutes=policy.ip_lockout_minutes)
    failures = await uow.session.scalar(
        select(func.count()).where(LoginFailure.ip == ip, LoginFailure.at > window)
    )
    if (failures or 0) >= policy.ip_lockout_threshold:
        raise TooManyAttempts(
            "too many failed logins from this address; try again later",
            details={"retry_after": policy.ip_lockout_minutes * 60},
        )


async def record_address_failure(uow: UnitOfWork, *, ip: str, now: datetime) -> None:
    uow.session.add(LoginFailure(ip=ip, at=now))
    await uow.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    await uow.session.flush()

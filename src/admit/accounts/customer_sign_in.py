"""Customers signing in (G2, C7, SEC1): by password, by a one-time code, or resetting the
password with a code.

The answers and the work are the same for a login without an account: a wrong password is
checked against a decoy hash, and codes are only ever sent where they can be used
(``codes``). argon2 runs in a worker thread outside every transaction. The account lockout
(wrong passwords) applies to password sign-in only: a code proves the phone or email, so a
stranger's five wrong passwords cannot keep the owner out — code sign-in and reset work on
such an account, and a reset lifts the lock. An operator's lock refuses all three."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update

from admit.accounts.codes import WrongCode, consume_code, normalise_login
from admit.accounts.customer_phones import login_matches
from admit.accounts.customers import issue_token
from admit.accounts.models import Customer, CustomerToken
from admit.accounts.password_rules import is_locked, password_expired
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
from admit.accounts.tokens import Attempt
from admit.core import audit
from admit.core.audit_context import ANONYMOUS
from admit.core.crypto import FieldCrypto
from admit.core.errors import AdmitError, Unauthorized
from admit.core.runtime import Runtime
from admit.core.short_cache import TOKENS, forget_on_commit
from admit.core.uow import UnitOfWork

LOCKED = "the account is locked"


async def _guarded_login(
    uow: UnitOfWork, *, login: str, ip: str, now: datetime
) -> tuple[PolicyView, str, str] | AdmitError:
    """(the policy, channel, normalised login), or the refusal of the address lockout or of a
    login that is neither a mobile number nor an email."""
    policy = await get_policy(uow)
    try:
        await guard_address(uow, ip=ip, policy=policy, now=now)
        channel, target = normalise_login(login)
    except AdmitError as refusal:
        return refusal
    return policy, channel, target


async def log_in_password(
    rt: Runtime, *, login: str, password: str, ip: str, device: str, now: datetime
) -> Attempt:
    """Sign in with the password, in two short units of work around argon2: a read (address
    lockout, the account and its locks), the hash check in a worker thread, then a write that
    counts a failure (address, and account with one atomic ``UPDATE`` that locks it at the
    threshold) or, re-checking the locks and the hash, signs the device in."""
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        guarded = await _guarded_login(uow, login=login, ip=ip, now=now)
        if isinstance(guarded, AdmitError):
            return Attempt(refusal=guarded)
        policy, channel, target = guarded
        found = (
            await uow.session.execute(
                select(
                    Customer.id,
                    Customer.password_hash,
                    Customer.password_changed_at,
                    Customer.locked_by_operator,
                    Customer.locked_until,
                ).where(login_matches(rt.crypto, channel, target))
            )
        ).first()
    if found is not None and (found.locked_by_operator or is_locked(found.locked_until, now)):
        return Attempt(refusal=AccountLocked(LOCKED))
    right = await check_password(found.password_hash if found else None, password)
    async with rt.uow(ANONYMOUS) as uow:
        if found is None or not right:
            await record_address_failure(uow, ip=ip, now=now)
            if found is not None:
                await _count_failure(uow, found.id, policy, now)
            return Attempt(refusal=Unauthorized("wrong login or password"))
        still = await uow.session.scalar(
            update(Customer)
            .where(
                Customer.id == found.id,
                Customer.password_hash == found.password_hash,
                ~Customer.locked_by_operator,
                or_(Customer.locked_until.is_(None), Customer.locked_until <= now),
            )
            .values(failed_logins=0)
            .returning(Customer.id)
            .execution_options(synchronize_session=False)
        )
        if still is None:
            return Attempt(refusal=AccountLocked(LOCKED))
        if password_expired(found.password_changed_at, policy.customer_rotation_days, now):
            return Attempt(
                refusal=PasswordExpired(
                    "the password has expired: reset it with a code sent to your phone or email"
                )
            )
        return Attempt(token=await issue_token(uow, found.id, device, now))


async def _count_failure(
    uow: UnitOfWork, customer_id: int, policy: PolicyView, now: datetime
) -> None:
    """One more wrong password, counted in the row itself so that concurrent failures all
    count: the threshold-th locks the account for the cool-down and starts the count again."""
    reached = Customer.failed_logins + 1 >= policy.lockout_threshold
    until = now + timedelta(minutes=policy.lockout_minutes)
    await uow.session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(
            failed_logins=case((reached, 0), else_=Customer.failed_logins + 1),
            locked_until=case((reached, until), else_=Customer.locked_until),
        )
        .execution_options(synchronize_session=False)
    )


async def _code_checked(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    login: str,
    code: str,
    purpose: str,
    ip: str,
    now: datetime,
) -> tuple[Customer, str] | AdmitError:
    """The account and normalised login once ``code`` is right for them, or the refusal. A
    wrong code counts as a failure of the address."""
    guarded = await _guarded_login(uow, login=login, ip=ip, now=now)
    if isinstance(guarded, AdmitError):
        return guarded
    _, channel, target = guarded
    wrong = await consume_code(uow, crypto, target=target, purpose=purpose, code=code, now=now)
    customer = await uow.session.scalar(
        select(Customer).where(login_matches(crypto, channel, target))
    )
    if wrong is not None or customer is None:
        await record_address_failure(uow, ip=ip, now=now)
        # No code is sent to a login without an account, so a right one cannot come for it.
        return wrong or WrongCode("the code has expired or was used up: ask for a new one")
    if customer.locked_by_operator:
        return AccountLocked(LOCKED)
    return customer, target


async def log_in_code(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    login: str,
    code: str,
    ip: str,
    device: str,
    now: datetime,
) -> Attempt:
    """Sign in with a code sent to the phone (or email) — no password needed, and a password
    lockout does not stand in the way (an operator's lock does)."""
    checked = await _code_checked(
        uow, crypto, login=login, code=code, purpose="login", ip=ip, now=now
    )
    if isinstance(checked, AdmitError):
        return Attempt(refusal=checked)
    customer, _ = checked
    return Attempt(token=await issue_token(uow, customer.id, device, now))


async def reset_password(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    login: str,
    code: str,
    new_password: str,
    ip: str,
    now: datetime,
) -> AdmitError | None:
    """Set a new password with a code (purpose ``reset``) sent to the account's phone or
    email; every device is signed out and a password lockout lifted. The new password is
    hashed before the unit of work's first statement. Raises ``WeakPassword``; returns the
    other refusals."""
    new_hash = await hash_password_off_loop(new_password)
    policy = await get_policy(uow)
    check_strength(new_password, policy, login=normalise_login(login)[1])
    checked = await _code_checked(
        uow, crypto, login=login, code=code, purpose="reset", ip=ip, now=now
    )
    if isinstance(checked, AdmitError):
        return checked
    customer, _ = checked
    customer.password_hash, customer.password_changed_at = new_hash, now
    customer.failed_logins, customer.locked_until = 0, None
    await uow.session.execute(
        update(CustomerToken)
        .where(CustomerToken.customer_id == customer.id, CustomerToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason="password_reset")
    )
    forget_on_commit(uow, TOKENS)
    await audit.record(
        uow,
        action="customer.password_reset",
        entity_type="customer",
        entity_id=customer.id,
        data={},
        now=now,
    )
    return None

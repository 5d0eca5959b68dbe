"""Public accounts (U1, G2, C7): registration by phone or email with a one-time code, sign-in
by password or by SMS code, revocable device tokens with a per-account device limit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from admit.accounts.models import Customer, CustomerToken, VerificationCode
from admit.accounts.password_rules import after_failure, is_locked, password_expired
from admit.accounts.passwords import hash_password, verify_password
from admit.accounts.security import (
    AccountLocked,
    PasswordExpired,
    TooManyAttempts,
    check_strength,
    get_policy,
    guard_address,
    record_address_failure,
)
from admit.accounts.tokens import Attempt, IssuedToken, digest, new_token
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import AdmitError, AlreadyExists, InvalidInput, Unauthorized
from admit.core.short_cache import TOKENS, forget_on_commit
from admit.core.uow import UnitOfWork
from admit.messaging.dispatch import queue_message

CODE_TTL = timedelta(minutes=10)
CODE_INTERVAL = timedelta(seconds=60)
CODE_ATTEMPTS = 5
TOKEN_LIFETIME = timedelta(days=30)
PHONE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CHANNELS = ("web", "mobile", "kiosk", "agent")
PURPOSES = ("register", "login", "reset")


class WrongCode(AdmitError):
    code = "wrong_code"
    status = 400


def normalise_login(login: str) -> tuple[str, str]:
    """``("sms", "13812345678")`` or ``("email", "ana@example.com")``; raises ``InvalidInput``."""
    login = login.strip()
    phone = PHONE.match(login.replace(" ", "").replace("-", ""))
    if phone:
        return "sms", phone.group(1)
    if EMAIL.match(login):
        return "email", login.casefold()
    raise InvalidInput("give a mainland mobile number or an email address")


async def request_code(
    uow: UnitOfWork, crypto: FieldCrypto, *, login: str, purpose: str, now: datetime
) -> None:
    """Send a six-digit code to a phone or email; at most one a minute per address."""
    if purpose not in PURPOSES:
        raise InvalidInput(f"purpose is one of {', '.join(PURPOSES)}")
    channel, target = normalise_login(login)
    last = await uow.session.scalar(
        select(func.max(VerificationCode.created_at)).where(VerificationCode.target == target)
    )
    if last is not None and now - last < CODE_INTERVAL:
        wait = int((CODE_INTERVAL - (now - last)).total_seconds()) + 1
        raise TooManyAttempts(
            "a code was sent less than a minute ago", details={"retry_after": wait}
        )
    code = f"{secrets.randbelow(10**6):06d}"
    uow.session.add(
        VerificationCode(
            target=target,
            purpose=purpose,
            code_hash=crypto.lookup("code", target, purpose, code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    minutes = str(int(CODE_TTL.total_seconds() // 60))
    template = "SMS_VERIFY_CODE" if channel == "sms" else "EMAIL_VERIFY_CODE"
    await queue_message(
        uow,
        crypto,
        channel=channel,
        to=target,
        template=template,
        params={"code": code, "minutes": minutes},
        now=now,
    )


async def _consume_code(
    uow: UnitOfWork, crypto: FieldCrypto, *, target: str, purpose: str, code: str, now: datetime
) -> AdmitError | None:
    """Use the newest live code; a wrong one spends an attempt. Returns the refusal, if any."""
    row = await uow.session.scalar(
        select(VerificationCode)
        .where(
            VerificationCode.target == target,
            VerificationCode.purpose == purpose,
            VerificationCode.consumed_at.is_(None),
        )
        .order_by(VerificationCode.created_at.desc())
        .limit(1)
    )
    if row is None or row.expires_at <= now or row.attempts >= CODE_ATTEMPTS:
        return WrongCode("the code has expired or was used up: ask for a new one")
    if not secrets.compare_digest(row.code_hash, crypto.lookup("code", target, purpose, code)):
        row.attempts += 1
        await uow.session.flush()
        return WrongCode("wrong code")
    row.consumed_at = now
    await uow.session.flush()
    return None


@dataclass(frozen=True, slots=True)
class Registration:
    login: str
    code: str
    password: str
    source_channel: str = "web"
    device: str = ""


async def register(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    cmd: Registration,
    *,
    now: datetime,
    registered_by: str | None = None,
) -> Attempt:
    """Open an account after the code sent to its phone or email is confirmed; signs it in."""
    if cmd.source_channel not in CHANNELS:
        raise InvalidInput(f"source channel is one of {', '.join(CHANNELS)}")
    channel, target = normalise_login(cmd.login)
    column = Customer.phone if channel == "sms" else Customer.email
    if await uow.session.scalar(select(Customer.id).where(column == target)):
        raise AlreadyExists("an account with this phone or email exists: sign in instead")
    check_strength(cmd.password, await get_policy(uow), login=target)
    refusal = await _consume_code(
        uow, crypto, target=target, purpose="register", code=cmd.code, now=now
    )
    if refusal is not None:
        return Attempt(refusal=refusal)
    customer = Customer(
        phone=target if channel == "sms" else None,
        email=target if channel == "email" else None,
        password_hash=hash_password(cmd.password),
        password_changed_at=now,
        source_channel=cmd.source_channel,
        registered_by=registered_by,
        created_at=now,
    )
    uow.session.add(customer)
    await uow.session.flush()
    await audit.record(
        uow,
        action="customer.registered",
        entity_type="customer",
        entity_id=customer.id,
        now=now,
        data={"channel": channel, "source": cmd.source_channel},
    )
    return Attempt(token=await issue_token(uow, customer.id, cmd.device, now))


async def issue_token(uow: UnitOfWork, customer_id: int, device: str, now: datetime) -> IssuedToken:
    """A token for a new device; beyond the policy's device limit the oldest are signed out."""
    policy = await get_policy(uow)
    token, token_hash = new_token()
    live = (
        await uow.session.scalars(
            select(CustomerToken)
            .where(
                CustomerToken.customer_id == customer_id,
                CustomerToken.revoked_at.is_(None),
                CustomerToken.expires_at > now,
            )
            .order_by(CustomerToken.created_at, CustomerToken.id)
        )
    ).all()
    for old in live[: max(len(live) - policy.max_devices + 1, 0)]:
        old.revoked_at, old.revoked_reason = now, "device_limit"
        forget_on_commit(uow, TOKENS)
    uow.session.add(
        CustomerToken(
            customer_id=customer_id,
            token_hash=token_hash,
            device=device[:200],
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    await uow.session.flush()
    return IssuedToken(token=token, expires_at=now + TOKEN_LIFETIME, subject_id=customer_id)


async def _account_for_login(
    uow: UnitOfWork, *, login: str, ip: str, now: datetime
) -> tuple[Customer | None, str, AdmitError | None]:
    """(the account, the normalised login, a refusal) after the address and lock checks."""
    try:
        await guard_address(uow, ip=ip, policy=await get_policy(uow), now=now)
        channel, target = normalise_login(login)
    except AdmitError as refusal:
        return None, "", refusal
    column = Customer.phone if channel == "sms" else Customer.email
    customer = await uow.session.scalar(select(Customer).where(column == target))
    if customer is not None and (
        customer.locked_by_operator or is_locked(customer.locked_until, now)
    ):
        return customer, target, AccountLocked("the account is locked")
    return customer, target, None


async def log_in_password(
    uow: UnitOfWork, *, login: str, password: str, ip: str, device: str, now: datetime
) -> Attempt:
    customer, _, refusal = await _account_for_login(uow, login=login, ip=ip, now=now)
    if refusal is not None:
        return Attempt(refusal=refusal)
    policy = await get_policy(uow)
    if (
        customer is None
        or customer.password_hash is None
        or not verify_password(customer.password_hash, password)
    ):
        await record_address_failure(uow, ip=ip, now=now)
        if customer is not None:
            customer.failed_logins, customer.locked_until = after_failure(
                customer.failed_logins, policy.lockout, now
            )
        return Attempt(refusal=Unauthorized("wrong login or password"))
    customer.failed_logins = 0
    if password_expired(customer.password_changed_at, policy.customer_rotation_days, now):
        return Attempt(
            refusal=PasswordExpired(
                "the password has expired: reset it with a code sent to your phone or email"
            )
        )
    return Attempt(token=await issue_token(uow, customer.id, device, now))


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
    """Sign in with a code sent to the phone (or email) — no password needed."""
    customer, target, refusal = await _account_for_login(uow, login=login, ip=ip, now=now)
    if refusal is not None:
        return Attempt(refusal=refusal)
    wrong = await _consume_code(uow, crypto, target=target, purpose="login", code=code, now=now)
    if wrong is not None or customer is None:
        await record_address_failure(uow, ip=ip, now=now)
        return Attempt(refusal=wrong or Unauthorized("no account with this login"))
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
    email; every device is signed out. Returns the refusal, if any."""
    customer, target, refusal = await _account_for_login(uow, login=login, ip=ip, now=now)
    if refusal is not None:
        return refusal
    check_strength(new_password, await get_policy(uow), login=target)
    wrong = await _consume_code(uow, crypto, target=target, purpose="reset", code=code, now=now)
    if wrong is not None or customer is None:
        await record_address_failure(uow, ip=ip, now=now)
        return wrong or Unauthorized("no account with this login")
    customer.password_hash, customer.password_changed_at = hash_password(new_password), now
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


async def authenticate(uow: UnitOfWork, *, token: str, now: datetime) -> tuple[Customer, datetime]:
    """The customer behind a live device token, and when the token expires. Raises
    ``Unauthorized``."""
    row = (
        await uow.session.execute(
            select(Customer, CustomerToken)
            .join(CustomerToken, CustomerToken.customer_id == Customer.id)
            .where(CustomerToken.token_hash == digest(token))
        )
    ).first()
    if row is None:
        raise Unauthorized("sign in first")
    customer, tok = row
    if tok.revoked_at is not None or tok.expires_at <= now:
        raise Unauthorized(
            "this device was signed out; sign in again",
            details={"reason": tok.revoked_reason or "expired"},
        )
    if customer.locked_by_operator:
        raise Unauthorized("the account is locked")
    return customer, tok.expires_at


async def log_out(uow: UnitOfWork, *, token: str, now: datetime) -> None:
    await uow.session.execute(
        update(CustomerToken)
        .where(CustomerToken.token_hash == digest(token), CustomerToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason="logout")
    )
    forget_on_commit(uow, TOKENS)


async def set_locked(uow: UnitOfWork, *, customer_id: int, locked: bool, now: datetime) -> None:
    """An operator locks or unlocks a customer (U5); locking signs out every device."""
    customer = await uow.session.get(Customer, customer_id)
    if customer is None:
        raise InvalidInput(f"customer {customer_id} does not exist")
    customer.locked_by_operator = locked
    customer.failed_logins, customer.locked_until = 0, None
    forget_on_commit(uow, TOKENS)
    if locked:
        await uow.session.execute(
            update(CustomerToken)
            .where(CustomerToken.customer_id == customer_id, CustomerToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason="locked")
        )
    await audit.record(
        uow,
        action="customer.locked" if locked else "customer.unlocked",
        entity_type="customer",
        entity_id=customer_id,
        data={},
        now=now,
    )


async def statistics(uow: UnitOfWork) -> dict[str, dict[str, int]]:
    """Operators' user statistics (U5): accounts by source channel, locked accounts."""
    by_channel = await uow.session.execute(
        select(Customer.source_channel, func.count()).group_by(Customer.source_channel)
    )
    locked = await uow.session.scalar(
        select(func.count()).select_from(Customer).where(Customer.locked_by_operator)
    )
    return {
        "by_source_channel": {str(channel): int(count) for channel, count in by_channel},
        "locked": {"by_operator": locked or 0},
    }


async def contact_of(uow: UnitOfWork, customer_id: int) -> tuple[str | None, str | None]:
    """Where a customer's confirmations go: (phone, email), either may be missing."""
    row = (
        await uow.session.execute(
            select(Customer.phone, Customer.email).where(Customer.id == customer_id)
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)

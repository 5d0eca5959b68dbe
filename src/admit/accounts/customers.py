"""Public accounts (U1, G2, C7): registration by phone or email with a one-time code, revocable
device tokens with a per-account device limit, operators' locks and statistics. Codes are in
``codes``, signing in in ``customer_sign_in``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import func, select, update

from admit.accounts.codes import consume_code, has_account, normalise_login
from admit.accounts.customer_phones import phone_columns
from admit.accounts.models import Customer, CustomerToken
from admit.accounts.passwords import hash_password_off_loop
from admit.accounts.security import (
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

TOKEN_LIFETIME = timedelta(days=30)
# Where a customer registered.
SourceChannel = Literal["web", "mobile", "kiosk", "agent"]
CHANNELS: tuple[SourceChannel, ...] = get_args(SourceChannel)


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
    ip: str | None = None,
    registered_by: str | None = None,
) -> Attempt:
    """Open an account after the code sent to its phone or email is confirmed; signs it in.

    The answer does not tell whether the login has an account: a registration code is never
    sent to one (``codes``), so any code is a ``wrong_code`` there as anywhere. The password is
    hashed first, in a worker thread and before the unit of work's first statement, so argon2
    holds no transaction (on SQLite, no write lock). From an address (``ip``; ``None`` for staff
    at a counter, who are signed in and audited) the address lockout applies and a wrong code
    counts as a failure towards it. Raises ``InvalidInput`` and ``WeakPassword`` (nothing spent);
    returns the other refusals."""
    if cmd.source_channel not in CHANNELS:
        raise InvalidInput(f"source channel is one of {', '.join(CHANNELS)}")
    channel, target = normalise_login(cmd.login)
    password_hash = await hash_password_off_loop(cmd.password)
    policy = await get_policy(uow)
    check_strength(cmd.password, policy, login=target)
    if ip is not None:
        try:
            await guard_address(uow, ip=ip, policy=policy, now=now)
        except AdmitError as locked_out:
            return Attempt(refusal=locked_out)
    refusal = await consume_code(
        uow, crypto, target=target, purpose="register", code=cmd.code, now=now
    )
    if refusal is not None:
        if ip is not None:
            await record_address_failure(uow, ip=ip, now=now)
        return Attempt(refusal=refusal)
    if await has_account(uow, crypto, channel, target):
        # Only the owner of the phone or email gets here: a code sent to them before the
        # account was opened with another one.
        return Attempt(refusal=AlreadyExists("an account with this login exists: sign in"))
    customer = Customer(
        **phone_columns(crypto, target if channel == "sms" else None),
        email=target if channel == "email" else None,
        password_hash=password_hash,
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


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """Who a live device token signs in, as the token check needs it."""

    customer_id: int
    phone_enc: str | None
    email: str | None
    expires_at: datetime  # the token's


async def authenticate(uow: UnitOfWork, *, token: str, now: datetime) -> TokenOwner:
    """The customer behind a live device token, and when the token expires: one statement
    reading only the columns the check needs (a buyer's first request to a process pays
    it). Raises ``Unauthorized``."""
    row = (
        await uow.session.execute(
            select(
                Customer.id,
                Customer.phone_enc,
                Customer.email,
                Customer.locked_by_operator,
                CustomerToken.expires_at,
                CustomerToken.revoked_at,
                CustomerToken.revoked_reason,
            )
            .join(CustomerToken, CustomerToken.customer_id == Customer.id)
            .where(CustomerToken.token_hash == digest(token))
        )
    ).first()
    if row is None:
        raise Unauthorized("sign in first")
    if row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized(
            "this device was signed out; sign in again",
            details={"reason": row.revoked_reason or "expired"},
        )
    if row.locked_by_operator:
        raise Unauthorized("the account is locked")
    return TokenOwner(row.id, row.phone_enc, row.email, row.expires_at)


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


async def contact_of(
    uow: UnitOfWork, crypto: FieldCrypto, customer_id: int
) -> tuple[str | None, str | None]:
    """Where a customer's confirmations go: (phone, email), either may be missing."""
    return (await contacts_of(uow, crypto, [customer_id])).get(customer_id, (None, None))


async def contacts_of(
    uow: UnitOfWork, crypto: FieldCrypto, customer_ids: Sequence[int]
) -> dict[int, tuple[str | None, str | None]]:
    """``contact_of`` for several customers in one statement (those that exist)."""
    rows = await uow.session.execute(
        select(Customer.id, Customer.phone_enc, Customer.email).where(
            Customer.id.in_(list(customer_ids))
        )
    )
    return {cid: ((crypto.decrypt(phone) if phone else None), email) for cid, phone, email in rows}

"""One-time codes (U1, G2, C7): six digits sent by SMS or email, kept as a keyed hash for ten
minutes and five attempts, under a keyed hash of the address they were sent to.

A code is sent only where it can be used — a registration code to a phone or email without an
account, a sign-in or reset code to one with an account — yet every request is recorded and
answered alike, so the answer does not tell who has an account: where nothing is sent, the row
holds a hash no code matches. Attempts are claimed with one conditional ``UPDATE`` before the
code is compared, so five guesses are evaluated however many arrive at once."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from admit.accounts.customer_phones import login_matches
from admit.accounts.mobile_numbers import MOBILE
from admit.accounts.models import Customer, VerificationCode
from admit.accounts.security import TooManyAttempts
from admit.core.crypto import FieldCrypto
from admit.core.errors import AdmitError, InvalidInput
from admit.core.uow import UnitOfWork
from admit.messaging.dispatch import MessageChannel, queue_message

CODE_TTL = timedelta(minutes=10)
CODE_INTERVAL = timedelta(seconds=60)
CODE_ATTEMPTS = 5
PHONE = re.compile(rf"^(?:\+?86)?({MOBILE})$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PURPOSES = ("register", "login", "reset")
# Stored in place of a code's hash when nothing was sent: no code's HMAC (hex) equals it.
UNSENDABLE = "-"


class WrongCode(AdmitError):
    code = "wrong_code"
    status = 400


def normalise_login(login: str) -> tuple[MessageChannel, str]:
    """``("sms", "13812345678")`` or ``("email", "ana@example.com")``; raises ``InvalidInput``."""
    login = login.strip()
    phone = PHONE.match(login.replace(" ", "").replace("-", ""))
    if phone:
        return "sms", phone.group(1)
    if EMAIL.match(login):
        return "email", login.casefold()
    raise InvalidInput("give a mainland mobile number or an email address")


def target_key(crypto: FieldCrypto, target: str) -> str:
    """What codes are filed under (and limits counted by): a keyed hash of the address."""
    return crypto.lookup("code-target", target)


async def has_account(uow: UnitOfWork, crypto: FieldCrypto, channel: str, target: str) -> bool:
    found = await uow.session.scalar(
        select(Customer.id).where(login_matches(crypto, channel, target))
    )
    return found is not None


async def request_code(
    uow: UnitOfWork, crypto: FieldCrypto, *, login: str, purpose: str, now: datetime
) -> None:
    """Record a six-digit code for a phone or email, at most one a minute per address, and
    queue it where it can be used (see the module). Raises ``InvalidInput`` and
    ``TooManyAttempts`` (with ``retry_after``) the same way whether or not it is sent."""
    if purpose not in PURPOSES:
        raise InvalidInput(f"purpose is one of {', '.join(PURPOSES)}")
    channel, target = normalise_login(login)
    key = target_key(crypto, target)
    last = await uow.session.scalar(
        select(func.max(VerificationCode.created_at)).where(VerificationCode.target == key)
    )
    if last is not None and now - last < CODE_INTERVAL:
        wait = int((CODE_INTERVAL - (now - last)).total_seconds()) + 1
        raise TooManyAttempts(
            "a code was sent less than a minute ago", details={"retry_after": wait}
        )
    exists = await has_account(uow, crypto, channel, target)
    send = exists != (purpose == "register")
    code = f"{secrets.randbelow(10**6):06d}"
    uow.session.add(
        VerificationCode(
            target=key,
            purpose=purpose,
            code_hash=crypto.lookup("code", target, purpose, code) if send else UNSENDABLE,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    await uow.session.flush()
    if not send:
        return
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


async def consume_code(
    uow: UnitOfWork, crypto: FieldCrypto, *, target: str, purpose: str, code: str, now: datetime
) -> AdmitError | None:
    """Use the newest live code of ``target`` (normalised) for ``purpose``. Each guess first
    claims one of the code's attempts (``attempts = attempts + 1 … WHERE attempts < 5``):
    when none is left the guess is refused unseen. Returns the refusal (``WrongCode``), if any."""
    row = (
        await uow.session.execute(
            select(VerificationCode.id, VerificationCode.code_hash, VerificationCode.expires_at)
            .where(
                VerificationCode.target == target_key(crypto, target),
                VerificationCode.purpose == purpose,
                VerificationCode.consumed_at.is_(None),
            )
            .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
            .limit(1)
        )
    ).first()
    used_up = WrongCode("the code has expired or was used up: ask for a new one")
    if row is None or row.expires_at <= now:
        return used_up
    live = (VerificationCode.id == row.id, VerificationCode.consumed_at.is_(None))
    claimed = await uow.session.scalar(
        update(VerificationCode)
        .where(*live, VerificationCode.attempts < CODE_ATTEMPTS)
        .values(attempts=VerificationCode.attempts + 1)
        .returning(VerificationCode.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return used_up
    if not secrets.compare_digest(row.code_hash, crypto.lookup("code", target, purpose, code)):
        return WrongCode("wrong code")
    consumed = await uow.session.scalar(
        update(VerificationCode)
        .where(*live)
        .values(consumed_at=now)
        .returning(VerificationCode.id)
        .execution_options(synchronize_session=False)
    )
    return None if consumed is not None else used_up

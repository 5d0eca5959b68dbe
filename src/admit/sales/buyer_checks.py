"""What a customer must pass before holding seats on the public channels (S5): an account
old enough (``ADMIT_NEW_ACCOUNT_HOLD_DELAY_SECONDS``: accounts opened in a burst cannot hold at
once), and, for a session behind a waiting room, an admission issued to them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from admit.accounts import eligibility
from admit.accounts.models import Customer
from admit.core.errors import Forbidden
from admit.core.uow import UnitOfWork
from admit.sales.sale_gate import sale_config
from admit.waiting import room as waiting_room
from admit.waiting.rules import Signer


class AccountTooNew(Forbidden):
    code = "account_too_new"


@dataclass(frozen=True, slots=True)
class Buyer:
    """The customer about to hold, and the admission they show (``None``: none)."""

    customer_id: int
    session_id: int
    channel: str
    admission: str | None


async def check_account_age(
    uow: UnitOfWork, *, customer_id: int, delay: timedelta, now: datetime
) -> None:
    """Raise ``AccountTooNew`` (403, ``retry_after`` in its details) for an account opened
    less than ``delay`` ago. Sends no statement when ``delay`` is zero."""
    if delay <= timedelta(0):
        return
    opened = await uow.session.scalar(select(Customer.created_at).where(Customer.id == customer_id))
    if opened is None or now - opened >= delay:
        return
    wait = math.ceil((opened + delay - now).total_seconds())
    raise AccountTooNew(
        "a new account may hold seats a little while after it was opened",
        details={"retry_after": max(1, wait)},
    )


async def check_buyer(
    uow: UnitOfWork, sign: Signer, buyer: Buyer, *, delay: timedelta, now: datetime
) -> None:
    """Both checks, account age first. Raises ``AccountTooNew``,
    ``waiting_room.AdmissionRequired`` or ``waiting_room.AdmissionNotYours``."""
    await check_account_age(uow, customer_id=buyer.customer_id, delay=delay, now=now)
    if (await sale_config(uow, buyer.session_id, buyer.channel)).waiting_room:
        waiting_room.check_admission(
            sign,
            session_id=buyer.session_id,
            customer_id=buyer.customer_id,
            token=buyer.admission,
            now=now,
        )


async def own_identity_missing(
    uow: UnitOfWork, *, session_id: int, customer_id: int, channel: str
) -> bool:
    """A real-name window of the channel, and the buyer's own identity not yet verified: the
    storefront sends the buyer to verify it before anything is held, so the check never eats
    into the time to pay. One cached read when the window is not real-name."""
    config = await sale_config(uow, session_id, channel)
    if config.window is None or not config.window.real_name_required:
        return False
    return not await eligibility.has_verified_self(uow, customer_id=customer_id)

"""The payment inbox (``PaymentInbox``): a verified notification is recorded in one statement
and answered at once; settlers take the pending ones in batches. Recording is idempotent by
the gateway's trade and status, so a notification delivered five times is one row that says
five deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.core.db import table
from admit.core.uow import UnitOfWork
from admit.payments.gateway import Notification
from admit.payments.models import PaymentInbox

MAX_ATTEMPTS = 8  # then it waits for an operator (``admit check`` shows it)


@dataclass(frozen=True, slots=True)
class Pending:
    """A recorded notification not yet settled."""

    id: int
    method: str
    payment_number: str
    status: str
    amount: int


async def record(
    uow: UnitOfWork,
    *,
    method: str,
    notice: Notification,
    remote: str | None,
    body: str,
    now: datetime,
) -> None:
    """Record a verified notification, or count one more delivery of it."""
    inbox = table(PaymentInbox)
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    statement = upsert(inbox).values(
        method=method,
        payment_number=notice.out_trade_no,
        trade_no=notice.trade_no,
        status=notice.status,
        amount=notice.amount,
        currency=notice.currency,
        notify_id=notice.notify_id,
        received_at=now,
        deliveries=1,
        remote_addr=remote,
        body=body,
        attempts=0,
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["method", "trade_no", "status"],
            set_={"deliveries": inbox.c.deliveries + 1},
        )
    )


def _pending(inbox: Table) -> Select[Any]:
    """What a settler reads of a notification (``Pending``'s fields, in order)."""
    return select(
        inbox.c.id, inbox.c.method, inbox.c.payment_number, inbox.c.status, inbox.c.amount
    )


async def claim(uow: UnitOfWork, *, now: datetime, limit: int) -> list[Pending]:
    """Up to ``limit`` pending notifications, oldest first, locked for this transaction:
    another settler skips them (``SKIP LOCKED`` on PostgreSQL; SQLite has one writer)."""
    inbox = table(PaymentInbox)
    due = (
        _pending(inbox)
        .where(
            inbox.c.settled_at.is_(None),
            inbox.c.attempts < MAX_ATTEMPTS,
            or_(inbox.c.retry_after.is_(None), inbox.c.retry_after <= now),
        )
        .order_by(inbox.c.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return [Pending(*row) for row in await uow.session.execute(due)]


async def claim_one(uow: UnitOfWork, entry_id: int) -> Pending | None:
    """One notification, locked, if it is still pending and nobody else holds it."""
    inbox = table(PaymentInbox)
    one = _pending(inbox).where(inbox.c.id == entry_id, inbox.c.settled_at.is_(None))
    if uow.dialect == "postgresql":
        one = one.with_for_update(skip_locked=True)
    row = (await uow.session.execute(one)).first()
    return Pending(*row) if row is not None else None


async def mark_settled(uow: UnitOfWork, outcomes: dict[int, str], *, now: datetime) -> None:
    """Each entry settled, with what came of it (``paid``, ``duplicate``, ``late``, …)."""
    if not outcomes:
        return
    inbox = table(PaymentInbox)
    await uow.session.execute(
        update(inbox)
        .where(inbox.c.id == bindparam("e_id"))
        .values(settled_at=now, outcome=bindparam("e_outcome"), last_error=None),
        [{"e_id": i, "e_outcome": outcome} for i, outcome in sorted(outcomes.items())],
    )


async def mark_failed(uow: UnitOfWork, entry_id: int, *, error: str, now: datetime) -> None:
    """Settling it failed: try again after a back-off (2, 4, 8 … seconds)."""
    inbox = table(PaymentInbox)
    attempts = await uow.session.scalar(
        update(inbox)
        .where(inbox.c.id == entry_id)
        .values(attempts=inbox.c.attempts + 1, last_error=error[:400])
        .returning(inbox.c.attempts)
    )
    if attempts is not None:
        await uow.session.execute(
            update(inbox)
            .where(inbox.c.id == entry_id)
            .values(retry_after=now + timedelta(seconds=min(2**attempts, 600)))
        )


async def stuck(uow: UnitOfWork) -> Sequence[str]:
    """Notifications that failed every attempt to settle them (for ``admit check``)."""
    inbox = table(PaymentInbox)
    rows = await uow.session.scalars(
        select(inbox.c.payment_number).where(
            inbox.c.settled_at.is_(None), inbox.c.attempts >= MAX_ATTEMPTS
        )
    )
    return list(rows.all())

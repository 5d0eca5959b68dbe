"""Capturing a batch of paid notifications with set-based statements (issue 17, item 3).

The common case — the payment is open and its amount is right, its order is waiting for it,
the hold is live, the session is the platform's own and the order names no ticket holders —
is settled here for the whole batch in a fixed number of statements: lock the payments, lock
the holds and orders, capture the payments, post their ledger entries, sell (``sell_many``),
audit. Every other notification (a decline, a duplicate, a late or mismatched payment, a
partner cinema's order, real-name holders whose limits need counting) is left to the
one-by-one rules of ``checkout.apply_state``, in a transaction of its own.

Lock order, as everywhere: payments → holds → orders → buyer counters → seats → counters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, exists, select, update

from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.db import table
from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.payments.inbox import Pending
from admit.payments.models import Payment
from admit.sales.hold_endings import OPEN_PAYMENTS
from admit.sales.models import Hold, Order, OrderLine
from admit.sales.outside_inventory import sold_outside
from admit.sales.selling import Sale, sell_many
from admit.sales.settlement import capture_entry


async def capture_batch(
    uow: UnitOfWork, crypto: FieldCrypto, entries: Sequence[Pending], now: datetime
) -> dict[int, str]:
    """Settle the common cases among ``entries`` (in the caller's transaction); returns
    entry id → ``paid`` for those settled here. The others are untouched."""
    wanted = {e.payment_number: e for e in entries if e.status == "paid"}
    if not wanted:
        return {}
    payments = await _lock_payments(uow, sorted(wanted))
    open_ = {
        p.order_number: p
        for p in payments
        if p.status in OPEN_PAYMENTS
        and p.method == wanted[p.number].method
        and p.amount == wanted[p.number].amount
    }
    if not open_:
        return {}
    sales = [
        Sale(
            o.order_id,
            o.number,
            o.session_id,
            o.buyer,
            o.hold_id,
            o.quantity,
            open_[o.number].number,
        )
        for o in await _lock_orders(uow, sorted(open_))
        if o.order_status == "pending_payment"
        and o.hold_status == "active"
        and o.expires_at > now
        and not o.named  # orders naming holders go the one-by-one way (limits counted there)
        and o.exchanged_from is None  # so do exchanges (the old tickets are voided there)
        and not await sold_outside(uow, o.session_id)
    ]
    if not sales:
        return {}
    captured = [open_[s.order_number] for s in sales]
    pay = table(Payment)
    await uow.session.execute(
        update(pay)
        .where(pay.c.id.in_([p.id for p in captured]))
        .values(status="captured", captured_at=now, ended_at=now)
    )
    await ledger.post_many(uow, [capture_entry(p, now) for p in captured])
    await sell_many(uow, crypto, sales, now)
    await audit.record_many(
        uow,
        [
            audit.Event(
                "payment.captured",
                "payment",
                p.number,
                {
                    "order": p.order_number,
                    "amount": p.amount,
                    "method": p.method,
                    "outcome": "paid",
                },
            )
            for p in captured
        ],
        now=now,
    )
    return {wanted[p.number].id: "paid" for p in captured}


async def _lock_payments(uow: UnitOfWork, numbers: list[str]) -> Sequence[Row[*tuple[Any, ...]]]:
    pay = table(Payment)
    return (
        await uow.session.execute(
            select(
                pay.c.id,
                pay.c.number,
                pay.c.order_number,
                pay.c.organiser_id,
                pay.c.method,
                pay.c.outlet,
                pay.c.amount,
                pay.c.currency,
                pay.c.status,
            )
            .where(pay.c.number.in_(numbers))
            .order_by(pay.c.id)
            .with_for_update()
        )
    ).all()


async def _lock_orders(uow: UnitOfWork, numbers: list[str]) -> Sequence[Row[*tuple[Any, ...]]]:
    """The orders and their holds, locked hold by hold (a hold's row, then its order's), and
    whether each order names ticket holders."""
    hold, order, lines = table(Hold), table(Order), table(OrderLine)
    named = (
        exists()
        .where(lines.c.order_id == order.c.id, lines.c.holder_key.is_not(None))
        .label("named")
    )
    return (
        await uow.session.execute(
            select(
                order.c.id.label("order_id"),
                order.c.number,
                order.c.status.label("order_status"),
                hold.c.buyer,
                hold.c.id.label("hold_id"),
                hold.c.session_id,
                hold.c.status.label("hold_status"),
                hold.c.expires_at,
                hold.c.quantity,
                order.c.exchanged_from,
                named,
            )
            .join(order, order.c.hold_id == hold.c.id)
            .where(order.c.number.in_(numbers))
            .order_by(hold.c.id)
            .with_for_update()
        )
    ).all()

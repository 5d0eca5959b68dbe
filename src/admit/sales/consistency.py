"""The selling invariants, checked against the data (architecture invariants 1–3, 5): every
counter equals what the holds and orders behind it add up to, no seat is sold twice, every
captured payment ends as a paid order or a refund, and the ledger balances.

Used by the tests after races, crashes and random sequences, and by operators
(``admit check``) after an incident. An empty list means consistent."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from admit.core.outbox import OutboxJob
from admit.core.platform_mode import reconciling
from admit.core.uow import UnitOfWork
from admit.finance.models import LedgerEntry, LedgerLine
from admit.inventory.models import SessionGA, SessionGASlice, SessionSeat
from admit.payments import inbox
from admit.payments.models import Payment, Refund
from admit.sales.models import (
    SOLD_ORDER,
    BuyerUsage,
    Hold,
    HoldCount,
    HolderUsage,
    Order,
    OrderLine,
    WindowQuota,
    WindowQuotaSlice,
)
from admit.sales.outside_inventory import outside
from admit.sales.settlement import LATE_JOB
from admit.ticketing.models import Ticket

# A sold order's tickets stay (refunded ones marked so); seats not given back stay sold to it.
LIVE_ORDER = ("pending_payment", "confirm_pending", *SOLD_ORDER)
SPENT_TICKET = ("refunded", "void")  # no longer counts against a seat or a holder
# A hold whose payment was captured keeps its seats while an outside system (a cinema)
# confirms.
HOLDING = ("active", "confirming")


async def problems(uow: UnitOfWork) -> list[str]:
    found: list[str] = []
    if (mode := await reconciling(uow)) is not None:
        backup = mode.backup_at.isoformat() if mode.backup_at else "unknown"
        found.append(
            f"reconciling since {mode.since.isoformat()}: payments made since the backup of "
            f"{backup} are not reconciled with the bank yet (`admit reconcile`)"
        )
    found += await _seats(uow)
    found += await _counters(uow)
    found += await _orders(uow)
    found += await _payments(uow)
    found += [
        f"the notification of payment {number} failed every attempt to settle it"
        for number in await inbox.stuck(uow)
    ]
    found += await outside().problems(uow)  # e.g. orders against a cinema's locks
    return found


async def _seats(uow: UnitOfWork) -> list[str]:
    out = []
    holds: dict[int | None, str] = dict(
        (await uow.session.execute(select(Hold.id, Hold.status))).all()
    )
    orders: dict[int | None, str] = dict(
        (await uow.session.execute(select(Order.id, Order.status))).all()
    )
    rows = (
        await uow.session.execute(
            select(SessionSeat.id, SessionSeat.status, SessionSeat.hold_id, SessionSeat.order_id)
        )
    ).all()
    for seat_id, status, hold_id, order_id in rows:
        if status == "held" and holds.get(hold_id) not in HOLDING:
            out.append(f"seat row {seat_id} is held by hold {hold_id} ({holds.get(hold_id)})")
        if status == "sold" and orders.get(order_id) not in SOLD_ORDER:
            out.append(f"seat row {seat_id} is sold to order {order_id} ({orders.get(order_id)})")
    paid_seats = Counter(
        (
            await uow.session.execute(
                select(Order.session_id, OrderLine.seat_key)
                .join(Order, Order.id == OrderLine.order_id)
                .outerjoin(Ticket, Ticket.line_id == OrderLine.id)
                .where(
                    Order.status.in_(SOLD_ORDER),
                    OrderLine.seat_key.is_not(None),
                    or_(Ticket.status.is_(None), Ticket.status.not_in(SPENT_TICKET)),
                )
            )
        ).all()
    )
    out += [
        f"seat {key} of session {sid} is in {n} paid orders"
        for (sid, key), n in paid_seats.items()
        if n > 1
    ]
    return out


async def _sums(
    uow: UnitOfWork, column: InstrumentedAttribute[int | None], *status: str
) -> Counter[tuple[int, int]]:
    """What holds in these states took, per (counter, slice)."""
    rows = await uow.session.execute(
        select(column, HoldCount.slice, func.sum(HoldCount.quantity))
        .join(Hold, Hold.id == HoldCount.hold_id)
        .where(Hold.status.in_(status), column.is_not(None))
        .group_by(column, HoldCount.slice)
    )
    return Counter({(key, sl): int(n) for key, sl, n in rows if key is not None})


async def _counters(uow: UnitOfWork) -> list[str]:
    """Each slice of a counter equals what its holds took and sold, stays within its capacity,
    and the slices' capacities add up to the counter's total."""
    out = []
    for model, slices, column, limit in (
        (SessionGA, SessionGASlice, HoldCount.session_ga_id, SessionGA.capacity),
        (WindowQuota, WindowQuotaSlice, HoldCount.quota_id, WindowQuota.quota),
    ):
        name = slices.__tablename__
        held = await _sums(uow, column, *HOLDING)
        sold = await _sums(uow, column, "sold")
        totals = dict((await uow.session.execute(select(model.id, limit))).all())
        spread: Counter[int] = Counter()
        seen = set()
        for row_id, sl, cap, h, s in (
            await uow.session.execute(
                select(slices.counter_id, slices.slice, slices.capacity, slices.held, slices.sold)
            )
        ).all():
            spread[row_id] += cap
            key = (row_id, sl)
            seen.add(key)
            if (h, s) != (held[key], sold[key]):
                out.append(
                    f"{name} {row_id}/{sl}: held/sold {h}/{s}, holds say {held[key]}/{sold[key]}"
                )
            if h + s > cap or h < 0 or s < 0:
                out.append(f"{name} {row_id}/{sl}: {h}+{s} against {cap}")
        out.extend(
            f"{name} {key}: holds count on a slice that does not exist"
            for key in (held + sold).keys() - seen
        )
        out.extend(
            f"{model.__tablename__} {row_id}: slices add up to {spread[row_id]}, not {total}"
            for row_id, total in totals.items()
            if spread[row_id] != total
        )
    return out + await _people(uow)


async def _people(uow: UnitOfWork) -> list[str]:
    """The per-person counters: buyers' accounts and real-name holders' documents."""
    out = []
    per_buyer: dict[tuple[int, str], list[int]] = {}
    for sid, buyer, status, qty in (
        await uow.session.execute(select(Hold.session_id, Hold.buyer, Hold.status, Hold.quantity))
    ).all():
        pair = per_buyer.setdefault((sid, buyer), [0, 0])
        if status in HOLDING:
            pair[0] += qty
        elif status == "sold":
            pair[1] += qty
    for sid, buyer, h, b in (
        await uow.session.execute(
            select(BuyerUsage.session_id, BuyerUsage.buyer, BuyerUsage.held, BuyerUsage.bought)
        )
    ).all():
        if [h, b] != per_buyer.get((sid, buyer), [0, 0]):
            out.append(
                f"buyer {buyer} in session {sid}: {h}/{b}, holds say {per_buyer.get((sid, buyer))}"
            )
    holders: Counter[tuple[int, str]] = Counter(
        (sid, key)
        for sid, key in (
            await uow.session.execute(
                select(Order.session_id, OrderLine.holder_key)
                .join(Order, Order.id == OrderLine.order_id)
                .outerjoin(Ticket, Ticket.line_id == OrderLine.id)
                .where(
                    Order.status.in_(LIVE_ORDER),
                    OrderLine.holder_key.is_not(None),
                    or_(Ticket.status.is_(None), Ticket.status.not_in(SPENT_TICKET)),
                )
            )
        ).all()
        if key is not None
    )
    for sid, key, n in (
        await uow.session.execute(
            select(HolderUsage.session_id, HolderUsage.holder_key, HolderUsage.tickets)
        )
    ).all():
        if n != holders[(sid, key)]:
            out.append(
                f"holder {key[:8]}… in session {sid}: {n} counted, orders say {holders[(sid, key)]}"
            )
    return out


async def _orders(uow: UnitOfWork) -> list[str]:
    out = []
    lines = Counter((await uow.session.scalars(select(OrderLine.order_id))).all())
    tickets = Counter((await uow.session.scalars(select(Ticket.order_number))).all())
    rows = (
        await uow.session.execute(
            select(Order.id, Order.number, Order.status, Order.paid_by, Hold.status).join(
                Hold, Hold.id == Order.hold_id
            )
        )
    ).all()
    for order_id, number, status, paid_by, hold_status in rows:
        if status in SOLD_ORDER and (hold_status != "sold" or not paid_by):
            out.append(f"order {number} is paid but its hold is {hold_status} (paid by {paid_by})")
        if status in SOLD_ORDER and tickets[number] != lines[order_id]:
            out.append(f"order {number}: {lines[order_id]} lines, {tickets[number]} tickets")
        if status not in SOLD_ORDER and tickets[number]:
            out.append(f"order {number} is {status} but has {tickets[number]} tickets")
        if status == "pending_payment" and hold_status != "active":
            out.append(f"order {number} awaits payment but its hold is {hold_status}")
        if (status == "confirm_pending") != (hold_status == "confirming"):
            out.append(f"order {number} is {status} but its hold is {hold_status}")
    return out


async def _payments(uow: UnitOfWork) -> list[str]:
    out = []
    paid_by = set((await uow.session.scalars(select(Order.paid_by))).all())
    refunds: Counter[int] = Counter()
    for payment_id, amount in (
        await uow.session.execute(select(Refund.payment_id, Refund.amount))
    ).all():
        refunds[payment_id] += amount
    captures = set(
        (
            await uow.session.scalars(select(LedgerEntry.ref).where(LedgerEntry.kind == "capture"))
        ).all()
    )
    settling = await _being_settled(uow) | await outside().settling_payments(uow)
    for p in (await uow.session.scalars(select(Payment).where(Payment.status == "captured"))).all():
        if p.number not in paid_by and refunds[p.id] != p.amount and p.number not in settling:
            out.append(f"payment {p.number} was captured but paid no order and was not refunded")
        if p.number not in captures:
            out.append(f"payment {p.number} was captured but is not in the ledger")
    unbalanced = (
        await uow.session.scalars(
            select(LedgerLine.entry_id)
            .group_by(LedgerLine.entry_id)
            .having(func.sum(LedgerLine.amount) != 0)
        )
    ).all()
    out += [f"ledger entry {e} does not balance" for e in unbalanced]
    return out


async def _being_settled(uow: UnitOfWork) -> set[str]:
    """Late payments whose settlement (honour or refund) is queued and not yet run."""
    payloads = await uow.session.scalars(
        select(OutboxJob.payload).where(
            OutboxJob.kind == LATE_JOB, OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None)
        )
    )
    return {str(payload.get("payment")) for payload in payloads}

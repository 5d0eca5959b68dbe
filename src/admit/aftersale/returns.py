"""Refunded tickets leave their order (S11, G11): they are marked refunded (the next gate
manifest refuses them), stop counting against their buyer's and holders' limits, and — where
the session still sells — their seats and places go back on sale.

What a hold took is what its counts say (``HoldCount``) and what its buyer's counter holds
(``hold.quantity``): a return takes the same off both, so the consistency checker's sums stay
exact. Lock order, as everywhere: hold (locked by the caller) → order (locked by the caller)
→ buyer counter → seats → GA areas → quotas → holder documents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased

from admit.aftersale.models import Exchange, ExchangeTicket
from admit.core import sliced_counters
from admit.core.db import table
from admit.core.uow import UnitOfWork
from admit.inventory.claims import ga_areas, return_sold_seats
from admit.inventory.models import SessionGASlice
from admit.sales.models import (
    BuyerUsage,
    Hold,
    HoldCount,
    HolderUsage,
    Order,
    WindowQuota,
    WindowQuotaSlice,
)
from admit.ticketing.issue import set_tickets_status
from admit.ticketing.models import Ticket, TicketStatus


async def in_live_exchange(uow: UnitOfWork, order_id: int) -> set[int]:
    """The order's tickets that an exchange waiting for its payment gives up (an exchange
    whose new order expired or was cancelled holds none)."""
    new_order = aliased(Order)
    rows = await uow.session.scalars(
        select(ExchangeTicket.ticket_id)
        .join(Exchange, Exchange.id == ExchangeTicket.exchange_id)
        .join(new_order, new_order.id == Exchange.new_order_id)
        .where(
            Exchange.old_order_id == order_id,
            Exchange.status == "pending_payment",
            new_order.status == "pending_payment",
        )
    )
    return set(rows.all())


@dataclass(frozen=True, slots=True)
class Returned:
    """One ticket leaving its order, with what its line took."""

    ticket_id: int
    seat_key: str | None
    area_code: str | None
    price_level_id: int | None
    holder_key: str | None


async def return_tickets(
    uow: UnitOfWork,
    order: Order,
    hold: Hold,
    tickets: Sequence[Returned],
    *,
    resell: bool,
    now: datetime,
    status: TicketStatus = "refunded",
) -> None:
    """The tickets (of ``order``, whose hold and order rows the caller locked) are refunded
    (or voided: ``status``, an exchange's); with ``resell`` their seats and places are on
    sale again. An order left without a valid ticket is ``refunded`` (``exchanged`` when the
    last went by exchange); one with some left stays as it is after an exchange and is
    ``partially_refunded`` after a refund."""
    n = len(tickets)
    if not n:
        return
    hold.quantity -= n
    valid_left = await uow.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.order_number == order.number, Ticket.status == "valid")
    )
    if int(valid_left or 0) <= n:
        order.status = "refunded" if status == "refunded" else "exchanged"
    elif status == "refunded":
        order.status = "partially_refunded"
    usage = table(BuyerUsage)
    await uow.session.execute(
        update(usage)
        .where(usage.c.session_id == hold.session_id, usage.c.buyer == hold.buyer)
        .values(bought=usage.c.bought - n)
    )
    await set_tickets_status(uow, [t.ticket_id for t in tickets], status)
    if resell:
        await return_sold_seats(
            uow,
            session_id=order.session_id,
            order_id=order.id,
            seat_keys=[t.seat_key for t in tickets if t.seat_key],
            now=now,
        )
        await _give_back_counts(uow, hold.id, tickets)
    per_holder = Counter(t.holder_key for t in tickets if t.holder_key)
    if per_holder:
        holders = table(HolderUsage)
        await uow.session.execute(
            update(holders)
            .where(
                holders.c.session_id == bindparam("u_session"),
                holders.c.holder_key == bindparam("u_key"),
            )
            .values(tickets=holders.c.tickets - bindparam("u_n")),
            [
                {"u_session": order.session_id, "u_key": key, "u_n": k}
                for key, k in sorted(per_holder.items())
            ],
        )
    await uow.session.flush()


async def _give_back_counts(uow: UnitOfWork, hold_id: int, tickets: Sequence[Returned]) -> None:
    """Take the tickets off the hold's counts and the counters' sold places, slice by slice:
    GA areas by area code, quotas by price level."""
    counts = (
        await uow.session.scalars(
            select(HoldCount).where(HoldCount.hold_id == hold_id).order_by(HoldCount.id)
        )
    ).all()
    areas = await ga_areas(uow, [c.session_ga_id for c in counts if c.session_ga_id])
    quota_ids = [c.quota_id for c in counts if c.quota_id]
    levels = dict(
        (
            await uow.session.execute(
                select(WindowQuota.id, WindowQuota.price_level_id).where(
                    WindowQuota.id.in_(quota_ids)
                )
            )
        ).all()
    )
    # What to take off, by counter: a GA ticket's area and every ticket's price level.
    want: Counter[tuple[str, object]] = Counter()
    for t in tickets:
        if t.area_code:
            want["ga", t.area_code] += 1
        if t.price_level_id:
            want["quota", t.price_level_id] += 1
    moves: list[sliced_counters.Move] = []

    def order(c: HoldCount) -> tuple[bool, int, int]:  # GA areas, then quotas, by id and slice
        return c.session_ga_id is None, c.session_ga_id or c.quota_id or 0, c.slice

    for c in sorted(counts, key=order):
        if c.session_ga_id is not None:
            key: tuple[str, object] = ("ga", areas[c.session_ga_id][0])
            model: type[sliced_counters.CounterSlice] = SessionGASlice
        elif c.quota_id is not None:
            key, model = ("quota", levels.get(c.quota_id)), WindowQuotaSlice
        else:
            continue
        take = min(c.quantity, want[key])
        if take <= 0:
            continue
        want[key] -= take
        c.quantity -= take
        moves.append(sliced_counters.Move(model, order(c)[1], c.slice, 0, -take))
    await uow.session.flush()
    await sliced_counters.move_many(uow, moves)

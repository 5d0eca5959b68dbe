"""A captured payment settles its order (C2, G6, invariants 2 and 3): the order turns paid and
its tickets are issued in the transaction that records the capture. A payment that finds its
order gone (expired, cancelled) is honoured if its seats can still be had, otherwise refunded;
a second payment for a paid order is refunded. Money is never lost.

Lock order, the same as holds and releases: payment → hold → order → buyer counter → seats →
GA areas → quotas → holder documents."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from admit.catalog.models import Session, SessionStatus
from admit.clients.keys import buyer_keys
from admit.core import audit, outbox
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.inventory.claims import (
    claim_seats,
    ga_areas,
    take_places,
)
from admit.payments.models import Payment, Refund
from admit.sales import pass_sales
from admit.sales.after_sale import after_sale
from admit.sales.hold_endings import give_back
from admit.sales.holds import take_quota_counter
from admit.sales.limits import holders_fit, take_buyer_usage, take_holder_usage
from admit.sales.models import (
    SOLD_ORDER,
    Hold,
    HoldCount,
    Order,
    OrderLine,
    SalesWindow,
)
from admit.sales.order_locks import order_and_hold
from admit.sales.outside_inventory import outside
from admit.sales.refunds import request_refund
from admit.sales.selling import sell

LATE_JOB = "sales.settle_late"


async def lock_payment(uow: UnitOfWork, number: str) -> Payment | None:
    return await uow.session.scalar(
        select(Payment).where(Payment.number == number).with_for_update()
    )


class Captured(Protocol):
    """What a capture's ledger entry needs of its payment (a ``Payment`` or a row of it)."""

    @property
    def number(self) -> str: ...
    @property
    def order_number(self) -> str: ...
    @property
    def organiser_id(self) -> int: ...
    @property
    def method(self) -> str: ...
    @property
    def outlet(self) -> str | None: ...
    @property
    def amount(self) -> int: ...
    @property
    def currency(self) -> str: ...


def capture_entry(payment: Captured, now: datetime) -> ledger.Entry:
    """The money a captured payment brought in: from the gateway (or the counter's drawer) to
    what the platform owes the organiser."""
    return ledger.moved(
        kind="capture",
        ref=payment.number,
        organiser_id=payment.organiser_id,
        currency=payment.currency,
        debit=ledger.money_account(payment.method, payment.outlet),
        credit=ledger.payable_account(payment.organiser_id),
        amount=payment.amount,
        at=now,
        memo=f"order {payment.order_number}",
    )


async def capture(uow: UnitOfWork, crypto: FieldCrypto, payment: Payment, now: datetime) -> str:
    """Record that ``payment`` (locked by the caller) was paid, post it to the ledger and
    settle its order. Returns what happened: ``duplicate`` (already captured), ``paid``,
    ``late`` (honoured or refunded by a job), ``refunding`` (the order was paid already)."""
    if payment.status == "captured":
        return "duplicate"
    # Rows first (hold → order → counters), the audit log's lock last: the order in which
    # every transaction that touches a hold takes them, so a capture and a cancellation
    # cannot deadlock.
    order, hold = await order_and_hold(uow, payment.order_number)
    payment.status, payment.captured_at, payment.ended_at = "captured", now, now
    await ledger.post_many(uow, [capture_entry(payment, now)])
    outcome = await _settle(uow, crypto, payment, order, hold, now)
    await audit.record(
        uow,
        action="payment.captured",
        entity_type="payment",
        entity_id=payment.number,
        data={
            "order": payment.order_number,
            "amount": payment.amount,
            "method": payment.method,
            "outcome": outcome,
        },
        now=now,
    )
    return outcome


async def _settle(
    uow: UnitOfWork, crypto: FieldCrypto, payment: Payment, order: Order, hold: Hold, now: datetime
) -> str:
    if order.status in SOLD_ORDER:  # paid already: this payment goes back
        await request_refund(uow, payment, amount=payment.amount, reason="duplicate", now=now)
        return "refunding"
    if order.status == "pending_payment" and hold.status == "active":
        # A holder's limit counted others' paid tickets only: if some were paid since, the
        # payment goes the late way (taken again within the limit, or refunded).
        if hold.expires_at > now and await holders_fit(uow, order, hold.window_id):
            if await outside().hand_over(
                uow, order=order, hold=hold, payment=payment.number, now=now
            ):
                return "confirming"  # e.g. the cinema confirms first (partners.confirm)
            await sell(uow, crypto, order, hold, payment.number, now)
            if order.exchanged_from is not None:  # an exchange: the old tickets go now
                await after_sale().order_sold(uow, order, now)
            return "paid"
        ended = "expired" if hold.expires_at <= now else "released"
        await give_back(uow, hold, ended, now)  # its seats may be someone else's now
    await outbox.enqueue(uow, kind=LATE_JOB, payload={"payment": payment.number}, now=now)
    return "late"


async def honour_late(uow: UnitOfWork, crypto: FieldCrypto, number: str, now: datetime) -> str:
    """A payment captured after its hold ended: take the same seats and places again (within
    quotas and limits, but whatever the sale window says — the buyer has paid) and sell them.
    Raises ``Conflict`` when they cannot be had; the caller then refunds."""
    payment = await lock_payment(uow, number)
    if payment is None or payment.status != "captured" or await _settled(uow, payment):
        return "settled"
    order, hold = await order_and_hold(uow, payment.order_number)
    if order.status in SOLD_ORDER:  # paid already: this payment goes back
        await request_refund(uow, payment, amount=payment.amount, reason="duplicate", now=now)
        return "refunding"
    await outside().refuse_late(uow, hold.id)  # a cinema's lapsed lock is not taken again
    status = await uow.session.scalar(select(Session.status).where(Session.id == hold.session_id))
    if status == SessionStatus.CANCELLED:
        raise Conflict("the session was cancelled")  # refunded by the caller
    await _take_again(uow, order, hold, now)
    await sell(uow, crypto, order, hold, payment.number, now)
    if order.exchanged_from is not None:  # Conflict when the old tickets went meanwhile
        await after_sale().order_sold(uow, order, now)
    return "paid"


async def _settled(uow: UnitOfWork, payment: Payment) -> bool:
    if await uow.session.scalar(select(Order.id).where(Order.paid_by == payment.number)):
        return True
    return bool(await uow.session.scalar(select(Refund.id).where(Refund.payment_id == payment.id)))


async def _take_again(uow: UnitOfWork, order: Order, hold: Hold, now: datetime) -> None:
    if hold.product_id is not None:  # a pass: its seat in every session, or its stock
        await pass_sales.take_again(uow, hold, now)
        hold.status, hold.ended_at = "active", None
        order.status = "pending_payment"
        return
    window = await uow.session.get(SalesWindow, hold.window_id)
    assert window is not None
    lines = (
        await uow.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    ).all()
    await take_buyer_usage(uow, hold.session_id, hold.buyer, hold.quantity, window.per_person_limit)
    seat_keys = [ln.seat_key for ln in lines if ln.seat_key]
    if seat_keys:
        await claim_seats(
            uow,
            session_id=hold.session_id,
            seat_keys=seat_keys,
            hold_id=hold.id,
            expires_at=now,
            allowed_levels=sorted({ln.price_level_id for ln in lines if ln.price_level_id}),
            now=now,
            keys=await buyer_keys(uow, hold.buyer),  # a client's reserved seat is theirs again
        )
    counts = (
        await uow.session.scalars(select(HoldCount).where(HoldCount.hold_id == hold.id))
    ).all()
    # The hold's counts say what it took from which counter: the same again (on whichever
    # slice has room now; the count records it). GA areas, then quotas, each by id.
    areas = await ga_areas(uow, [c.session_ga_id for c in counts if c.session_ga_id is not None])
    for c in sorted((c for c in counts if c.session_ga_id), key=lambda c: c.session_ga_id or 0):
        ga_id = c.session_ga_id or 0
        c.slice = await take_places(
            uow, session_ga_id=ga_id, home=c.slice, area_code=areas[ga_id][0], quantity=c.quantity
        )
    for c in sorted((c for c in counts if c.quota_id), key=lambda c: c.quota_id or 0):
        slice_ = await take_quota_counter(uow, c.quota_id or 0, c.slice, c.quantity)
        if slice_ is None:
            raise Conflict("the quota of this price level is used up")
        c.slice = slice_
    await take_holder_usage(
        uow,
        hold.session_id,
        Counter(ln.holder_key for ln in lines if ln.holder_key),
        window.per_person_limit,
        buyer=order.buyer,
        order_id=order.id,
    )
    hold.status, hold.ended_at = "active", None
    order.status = "pending_payment"


@outbox.handler(LATE_JOB)
async def _settle_late(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    crypto = ctx.runtime.crypto
    try:
        async with ctx.unit() as uow:
            await honour_late(uow, crypto, payload["payment"], ctx.now)
        return
    except Conflict as exc:
        reason = exc.code
    async with ctx.unit() as uow:
        payment = await lock_payment(uow, payload["payment"])
        if payment is None or await _settled(uow, payment):
            return
        await request_refund(uow, payment, amount=payment.amount, reason="late", now=ctx.now)
        await audit.record(
            uow,
            action="payment.late_refused",
            entity_type="payment",
            entity_id=payment.number,
            data={"why": reason},
            now=ctx.now,
        )

"""Paying for an order through a gateway (C6, G6): open a payment, create the gateway's trade
outside any transaction, then let the verified notification — or a query, when it is late or
lost — decide. The browser's return is never proof of payment. An unanswered payment is
queried at a short back-off from its opening (``sales.query_payment``) until it is final or
its time runs out, so a lost notification costs the buyer a minute, not the whole window."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update

from admit.core import audit, outbox
from admit.core.audit_context import SYSTEM, Actor
from admit.core.crypto import FieldCrypto
from admit.core.db import table
from admit.core.errors import Conflict, InvalidInput
from admit.core.platform_mode import refuse_while_reconciling
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.payments.directory import Gateways
from admit.payments.gateway import GatewayRefused, TradeNotFound
from admit.payments.models import IN_PERSON_METHODS, Payment
from admit.sales.hold_endings import CLOSE_PAYMENTS_JOB, OPEN_PAYMENTS, give_back
from admit.sales.models import Hold, Order
from admit.sales.orders import HoldExpired, get_order
from admit.sales.payment_statement import fits, open_once
from admit.sales.payment_views import PaymentView
from admit.sales.selling import organiser_of
from admit.sales.settlement import capture, lock_payment

log = structlog.get_logger(__name__)
OPEN = OPEN_PAYMENTS
NOTIFY_PATH = "/api/v1/payments/notify/{method}"
RETURN_PATH = "/api/v1/payments/return/{method}"
QUERY_JOB = "sales.query_payment"
# Gaps between queries of an unanswered payment: at 30 s, 1, 2, 3 and 5 minutes after its
# opening (most payers pay within three minutes: a lost notification costs them under a
# minute), then every 5 minutes until the payment is final or its time is up — past that the
# close of its trades when the hold ends (``sales.close_payments``) decides.
QUERY_GAPS = (30, 30, 60, 60, 120)
QUERY_EVERY = 300


def query_gap(step: int) -> timedelta:
    """How long after query ``step - 1`` (or the opening, for step 0) query ``step`` runs."""
    return timedelta(seconds=QUERY_GAPS[step] if step < len(QUERY_GAPS) else QUERY_EVERY)


class NotPayable(Conflict):
    code = "not_payable"


async def open_payment(
    uow: UnitOfWork, *, order_number: str, buyer: str, method: str, now: datetime, **extra: Any
) -> Payment:
    """The order's open payment by this method, or a new one for its total (none while a
    restore is being reconciled: ``Reconciling``, 503)."""
    await refuse_while_reconciling(uow)
    order = await get_order(uow, number=order_number, buyer=buyer)
    if order.status != "pending_payment":
        raise NotPayable(f"the order is {order.status}")
    if order.pay_by <= now:
        raise HoldExpired("the time to pay has run out: hold the seats again")
    payments = (
        await uow.session.scalars(select(Payment).where(Payment.order_number == order.number))
    ).all()
    for p in payments:
        if p.method == method and p.status in OPEN:
            return p
    payment = await add_payment(
        uow, order, number=f"{order.number}P{len(payments) + 1}", method=method, now=now, **extra
    )
    await uow.session.flush()
    if method not in IN_PERSON_METHODS:  # taken in person: captured on the spot; a gateway's
        # trade may go unanswered
        await _queue_query(uow, payment.number, step=0, now=now)
    return payment


async def add_payment(
    uow: UnitOfWork, order: Order, *, number: str, method: str, now: datetime, **extra: Any
) -> Payment:
    """A payment of the order's total (less an exchange's credit), payable until the order's
    time runs out (added to the unit of work): what ``open_payment`` opens and a
    reconciliation gives back."""
    payment = Payment(
        number=number,
        order_number=order.number,
        organiser_id=await organiser_of(uow, order.session_id),
        method=method,
        amount=order.total - order.credit,
        currency=order.currency,
        created_at=now,
        expires_at=order.pay_by,
        **extra,
    )
    uow.session.add(payment)
    return payment


async def _queue_query(uow: UnitOfWork, number: str, *, step: int, now: datetime) -> None:
    await outbox.enqueue(
        uow,
        kind=QUERY_JOB,
        payload={"payment": number, "step": step},
        now=now,
        delay=query_gap(step),
    )


async def start_payment(
    rt: Runtime,
    actor: Actor,
    *,
    order_number: str,
    buyer: str,
    method: str,
    return_url: str | None = None,
) -> PaymentView:
    """Open a payment and its gateway trade; returns where the payer goes. A gateway that
    times out leaves the payment ``created``: calling again asks the gateway again with the
    same merchant number, which cannot make a second trade. ``return_url`` is where the
    payer's browser comes back to (the website's own page; the API's return by default)."""
    rt.adapter(Gateways).get(method)  # an unknown method is refused before anything is written
    async with rt.uow(actor) as uow:
        view = await open_payment_view(
            uow, order_number=order_number, buyer=buyer, method=method, now=rt.clock.now()
        )
    return await create_trade(rt, actor, view, return_url=return_url)


async def open_payment_view(
    uow: UnitOfWork, *, order_number: str, buyer: str, method: str, now: datetime
) -> PaymentView:
    """``open_payment``, answered as the buyer sees the payment: on PostgreSQL, for a
    gateway's payment, in one statement (``sales.payment_statement``); whatever that statement
    refuses by ``open_payment``'s statements, which raise its errors."""
    if fits(uow, method):
        await refuse_while_reconciling(uow)
        view = await open_once(
            uow,
            order_number=order_number,
            buyer=buyer,
            method=method,
            now=now,
            query_job=QUERY_JOB,
            query_after=query_gap(0),
        )
        if view is not None:
            return view
    payment = await open_payment(
        uow, order_number=order_number, buyer=buyer, method=method, now=now
    )
    return PaymentView.of(payment)


async def create_trade(
    rt: Runtime, actor: Actor, view: PaymentView, *, return_url: str | None = None
) -> PaymentView:
    """The gateway's trade for a payment opened (and committed) before, created with no
    transaction open; the payment turns ``pending`` with its pay URL. A payment that has its
    trade already is returned as it is."""
    if view.pay_url:
        return view
    method = view.method
    base = rt.settings.base_url
    created = (
        await rt.adapter(Gateways)
        .get(method)
        .create(
            out_trade_no=view.number,
            amount=view.amount,
            currency=view.currency,
            subject=f"Admit order {view.order_number}",
            notify_url=base + NOTIFY_PATH.format(method=method),
            return_url=return_url or base + RETURN_PATH.format(method=method),
            expires_at=view.expires_at,
        )
    )
    payments = table(Payment)
    shown = [payments.c[f.name] for f in fields(PaymentView)]
    async with rt.uow(actor) as uow:
        # One statement, no ORM object: a notification or a retry that got there first
        # (the payment no longer ``created``) is left as it is, and read.
        row = (
            await uow.session.execute(
                update(payments)
                .where(payments.c.number == view.number, payments.c.status == "created")
                .values(status="pending", trade_no=created.trade_no, pay_url=created.pay_url)
                .returning(*shown)
            )
        ).one_or_none()
        if row is None:
            row = (
                await uow.session.execute(select(*shown).where(payments.c.number == view.number))
            ).one()
        return PaymentView(*row)


async def apply_state(
    uow: UnitOfWork, crypto: FieldCrypto, *, number: str, status: str, amount: int, now: datetime
) -> str:
    """What the gateway says of a trade, applied once however often it says it."""
    payment = await lock_payment(uow, number)
    if payment is None:
        return "unknown_payment"
    if amount != payment.amount and status == "paid":
        log.error("payment_amount_mismatch", payment=number, paid=amount, due=payment.amount)
        return "amount_mismatch"
    if status == "paid":
        return await capture(uow, crypto, payment, now)
    if payment.status not in OPEN:
        return "unchanged"
    if status in ("declined", "closed"):
        payment.status, payment.ended_at = status, now
        if status == "declined":
            await _release_order(uow, payment.order_number, now)
        await audit.record(
            uow,
            action=f"payment.{status}",
            entity_type="payment",
            entity_id=number,
            data={"order": payment.order_number},
            now=now,
        )
        return status
    return "unchanged"


async def _release_order(uow: UnitOfWork, order_number: str, now: datetime) -> None:
    """A declined payment gives the seats back at once (the buyer starts again)."""
    hold_id = await uow.session.scalar(select(Order.hold_id).where(Order.number == order_number))
    hold = await uow.session.scalar(select(Hold).where(Hold.id == hold_id).with_for_update())
    if hold is not None and hold.status == "active":
        await give_back(uow, hold, "released", now)


async def refresh_payment(rt: Runtime, *, number: str) -> str:
    """Ask the gateway how a payment stands and apply it (the recovery path for a late or
    lost notification, and what the payer's return triggers)."""
    async with rt.uow(SYSTEM, readonly=True) as uow:
        method = await uow.session.scalar(select(Payment.method).where(Payment.number == number))
    if method is None or method in IN_PERSON_METHODS:
        return "unknown_payment"
    try:
        state = await rt.adapter(Gateways).get(method).query(number)
    except TradeNotFound:
        return "no_trade"
    async with rt.uow(SYSTEM) as uow:
        return await apply_state(
            uow,
            rt.crypto,
            number=number,
            status=state.status,
            amount=state.amount,
            now=rt.clock.now(),
        )


@outbox.handler(QUERY_JOB)
async def _query_payment(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """Ask the gateway about a payment still open and apply the answer (under the payment's
    lock, so a notification that comes as well is applied once: ``capture`` sees it done);
    while it stays open and has time left, queue the next query. A job run twice may queue
    the next query twice: each asks, and only the first answer changes anything."""
    number, step = str(payload["payment"]), int(payload["step"])
    if await _open_until(ctx.runtime, number) is None:
        return  # final already: the notification (or an earlier query) told us
    await refresh_payment(ctx.runtime, number=number)  # unavailable → the job is retried
    expires_at = await _open_until(ctx.runtime, number)
    now = ctx.runtime.clock.now()
    if expires_at is not None and now + query_gap(step + 1) < expires_at:
        async with ctx.unit() as uow:
            await _queue_query(uow, number, step=step + 1, now=now)


async def _open_until(rt: Runtime, number: str) -> datetime | None:
    """When the payment's time runs out, while it is open; ``None`` once it is final."""
    async with rt.uow(SYSTEM, readonly=True) as uow:
        row = (
            await uow.session.execute(
                select(Payment.status, Payment.expires_at).where(Payment.number == number)
            )
        ).one_or_none()
    return row.expires_at if row is not None and row.status in OPEN else None


@outbox.handler(CLOSE_PAYMENTS_JOB)
async def _close_payments(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """The order ended unpaid: close its open trades so they can no longer be paid; a trade
    that was paid meanwhile is found and settled (honoured or refunded)."""
    async with ctx.unit() as uow:
        rows = (
            await uow.session.execute(
                select(Payment.number, Payment.method).where(
                    Payment.order_number == payload["order"], Payment.status.in_(OPEN)
                )
            )
        ).all()
    for number, method in rows:
        if method in IN_PERSON_METHODS:
            continue
        gateway = ctx.runtime.adapter(Gateways).get(method)
        try:
            state = await gateway.close(number)
        except GatewayRefused:  # paid after all
            await refresh_payment(ctx.runtime, number=number)
            continue
        except TradeNotFound:
            state = None
        async with ctx.unit() as uow:
            await apply_state(
                uow,
                ctx.runtime.crypto,
                number=number,
                status=state.status if state else "closed",
                amount=state.amount if state else 0,
                now=ctx.now,
            )


async def pay_cash(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    order_number: str,
    buyer: str,
    staff: str,
    outlet: str,
    received: int,
    now: datetime,
) -> tuple[Payment, int]:
    """Cash over the counter: captured at once, recorded with the staff member and outlet;
    returns the payment and the change to hand back."""
    payment = await open_payment(
        uow,
        order_number=order_number,
        buyer=buyer,
        method="cash",
        now=now,
        staff=staff,
        outlet=outlet,
    )
    if received < payment.amount:
        raise InvalidInput(
            f"{received} received; {payment.amount} is due", details={"due": payment.amount}
        )
    await capture(uow, crypto, payment, now)
    return payment, received - payment.amount

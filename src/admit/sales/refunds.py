"""Refunds of captured payments: decided in a transaction (a row and a job), sent to the
gateway by the job — idempotent by the refund number, so a retry after a timeout cannot pay
twice — and posted to the ledger when the gateway agrees. A cash refund waits for a clerk of
its outlet to record that the money was handed back; only then is it posted. The buyer is
told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select

from admit.accounts.customers import contact_of
from admit.core import audit, outbox
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, NotFound
from admit.core.money import Money
from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.messaging.dispatch import MessageChannel, queue_message
from admit.payments.directory import Gateways
from admit.payments.models import IN_PERSON_METHODS, Payment, Refund
from admit.sales.after_sale import after_sale
from admit.sales.models import Order

JOB = "sales.refund"
log = structlog.get_logger(__name__)
REASONS = {
    "late": "the seats were gone when the payment arrived",
    "duplicate": "the order was already paid",
    "buyer": "you asked for it",
    "partner_refused": "the cinema could not confirm seats",  # carriers allow 35 characters
    "session_cancelled": "the session was cancelled",
    "session_postponed": "the session was postponed",
    "refund_approved": "your refund was approved",
}


class AlreadyHandedOver(Conflict):
    code = "refund_already_handed_over"


async def request_refund(
    uow: UnitOfWork, payment: Payment, *, amount: int, reason: str, now: datetime
) -> Refund:
    """Decide a refund of ``amount`` (at most what is left of the payment)."""
    asked, count = (
        await uow.session.execute(
            select(func.coalesce(func.sum(Refund.amount), 0), func.count()).where(
                Refund.payment_id == payment.id
            )
        )
    ).one()
    if amount < 1 or int(asked) + amount > payment.amount:
        raise Conflict("a refund cannot exceed what was paid")
    refund = Refund(
        number=f"{payment.number}R{int(count) + 1}",
        payment_id=payment.id,
        amount=amount,
        reason=reason,
        created_at=now,
    )
    uow.session.add(refund)
    await uow.session.flush()
    if payment.method not in IN_PERSON_METHODS:  # handed back in person: ``record_handover``
        await outbox.enqueue(uow, kind=JOB, payload={"refund": refund.number}, now=now)
    await audit.record(
        uow,
        action="refund.requested",
        entity_type="payment",
        entity_id=payment.number,
        data={"refund": refund.number, "amount": amount, "reason": reason},
        now=now,
    )
    return refund


async def complete_refund(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    refund: Refund,
    payment: Payment,
    *,
    refund_no: str | None,
    now: datetime,
) -> None:
    """The money went back: record it, post it, and tell the buyer."""
    refund.status, refund.refund_no, refund.done_at = "done", refund_no, now
    payment.refunded += refund.amount
    refunded = ledger.moved(
        kind="refund",
        ref=refund.number,
        organiser_id=payment.organiser_id,
        currency=payment.currency,
        debit=ledger.payable_account(payment.organiser_id),
        credit=ledger.money_account(payment.method, payment.outlet),
        amount=refund.amount,
        at=now,
        memo=f"order {payment.order_number}: {refund.reason}",
    )
    await ledger.post_many(uow, [refunded])
    await after_sale().refund_done(uow, refund.number, now)  # a refund request behind it
    await uow.session.flush()
    buyer = await uow.session.scalar(
        select(Order.buyer).where(Order.number == payment.order_number)
    )
    kind, _, ident = (buyer or "").partition(":")
    if kind != "customer":
        return
    phone, email = await contact_of(uow, crypto, int(ident))
    params = {
        "order": payment.order_number,
        "amount": Money(refund.amount, payment.currency).format(),
        "reason": REASONS.get(refund.reason, refund.reason)[:35],
    }
    sends: tuple[tuple[MessageChannel, str | None, str], ...] = (
        ("sms", phone, "SMS_PAYMENT_REFUNDED"),
        ("email", email, "EMAIL_PAYMENT_REFUNDED"),
    )
    for channel, to, template in sends:
        if to:
            await queue_message(
                uow,
                crypto,
                channel=channel,
                to=to,
                template=template,
                params=params,
                now=now,
            )


async def cash_refund_outlet(uow: UnitOfWork, number: str) -> str:
    """The outlet whose drawer owes a cash refund (``NotFound`` for any other refund)."""
    outlet = await uow.session.scalar(
        select(Payment.outlet)
        .join(Refund, Refund.payment_id == Payment.id)
        .where(Refund.number == number, Payment.method.in_(IN_PERSON_METHODS))
    )
    if outlet is None:
        raise NotFound(f"cash refund {number} does not exist")
    return outlet


async def record_handover(
    uow: UnitOfWork, crypto: FieldCrypto, *, number: str, staff: str, now: datetime
) -> tuple[Refund, Payment]:
    """A clerk handed a cash refund's money back: the refund is done, posted to the ledger
    (``cash:<outlet>`` → payable) and audited, once. Raises ``NotFound`` for a refund that is
    not a cash one and ``AlreadyHandedOver`` when it was recorded before (so that nobody
    hands the money over twice). Locks the refund, then its payment."""
    refund = await uow.session.scalar(
        select(Refund).where(Refund.number == number).with_for_update()
    )
    payment = None
    if refund is not None:
        payment = await uow.session.scalar(
            select(Payment).where(Payment.id == refund.payment_id).with_for_update()
        )
    if refund is None or payment is None or payment.method not in IN_PERSON_METHODS:
        raise NotFound(f"cash refund {number} does not exist")
    if refund.status == "done":
        raise AlreadyHandedOver(
            f"cash refund {number} was handed over already",
            details={"done_at": refund.done_at.isoformat() if refund.done_at else None},
        )
    refund.handed_by = staff
    await complete_refund(uow, crypto, refund, payment, refund_no=None, now=now)
    await audit.record(
        uow,
        action="refund.handed_over",
        entity_type="payment",
        entity_id=payment.number,
        data={
            "refund": refund.number,
            "amount": refund.amount,
            "outlet": payment.outlet,
            "staff": staff,
        },
        now=now,
    )
    return refund, payment


@outbox.handler(JOB)
async def _send_refund(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """Send a refund to its gateway. The time of each call is recorded first: a run that
    finds one recorded does not know whether that call took effect (a timeout, or a crash
    after the gateway's answer), so it asks the gateway for the refund before sending it
    again — and the gateway refunds a number once in any case."""
    async with ctx.unit() as uow:
        refund = await uow.session.scalar(
            select(Refund).where(Refund.number == payload["refund"]).with_for_update()
        )
        if refund is None or refund.status == "done":
            return
        payment = await uow.session.get(Payment, refund.payment_id)
        assert payment is not None
        if payment.method in IN_PERSON_METHODS:
            return  # handed back over the counter and recorded by a clerk (``record_handover``)
        method, out_trade_no = payment.method, payment.number
        number, amount, reason = refund.number, refund.amount, refund.reason
        sent_before, refund.sent_at = refund.sent_at is not None, ctx.now
    gateway = ctx.runtime.adapter(Gateways).get(method)
    result = None
    if sent_before:
        result = await gateway.refund_query(out_trade_no=out_trade_no, out_refund_no=number)
        if result is not None:
            log.info("refund recovered by query", refund=number, refund_no=result.refund_no)
    if result is None:  # unavailable → the job is retried; the same number cannot refund twice
        result = await gateway.refund(
            out_trade_no=out_trade_no, out_refund_no=number, amount=amount, reason=reason
        )
    async with ctx.unit() as uow:
        refund = await uow.session.scalar(
            select(Refund).where(Refund.number == number).with_for_update()
        )
        payment = await uow.session.scalar(
            select(Payment).where(Payment.number == out_trade_no).with_for_update()
        )
        assert refund is not None
        assert payment is not None
        if refund.status != "done":
            await complete_refund(
                uow, ctx.runtime.crypto, refund, payment, refund_no=result.refund_no, now=ctx.now
            )

"""Confirming a paid partner order at the cinema (C2): a job submits the order (idempotent
by our order number) and, when the answer does not come, polls the cinema for it — confirm
pending is a state, not an error. Confirmed: the order turns paid with its tickets, and the
buyer's message carries the cinema's print number, verify code and seats. Refused (the lock
lapsed, the seats are gone, the cinema says no): the payment is refunded automatically and
the buyer told. Past the confirm window the job keeps asking hourly and the lock is flagged
for staff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select

from admit.accounts.customers import contact_of
from admit.core import audit, outbox
from admit.core.audit_context import SYSTEM as _ACTOR
from admit.core.crypto import FieldCrypto
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.partners import locks
from admit.partners.box_office import (
    BoxOfficeRefused,
    BoxOffices,
    BoxOfficeUnavailable,
    Confirmation,
    ExternalBoxOffice,
    PartnerOrderNotFound,
)
from admit.partners.handover import CONFIRM_JOB, enqueue_unlock
from admit.partners.models import PartnerCinema, PartnerLock
from admit.sales.hold_endings import give_back
from admit.sales.limits import give_back_holder_usage
from admit.sales.models import Hold, Order
from admit.sales.order_locks import order_and_hold
from admit.sales.refunds import request_refund
from admit.sales.selling import Notice, sell
from admit.sales.settlement import lock_payment

log = structlog.get_logger(__name__)
POLL_DELAYS = (2, 5, 15, 30, 60, 120)
OVERDUE_POLL = timedelta(hours=1)


@outbox.handler(CONFIRM_JOB)
async def _confirm(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    rt, hold_id = ctx.runtime, int(payload["hold"])
    async with ctx.unit() as uow:
        found = await _what_to_confirm(uow, rt.crypto, hold_id)
    if found is None:
        return  # confirmed or refused already: a repeated job does nothing
    lock, cinema, phone = found
    office = rt.adapter(BoxOffices).get(cinema.system)
    try:
        confirmation = await _submit_or_find(office, cinema.code, lock, phone)
    except BoxOfficeRefused as exc:
        await _refused(rt, hold_id, exc.reason)
        return
    except BoxOfficeUnavailable as exc:
        await _later(rt, hold_id, int(payload.get("attempt", 0)), exc.message)
        return
    await _confirmed(rt, hold_id, confirmation)


async def _what_to_confirm(
    uow: UnitOfWork, crypto: FieldCrypto, hold_id: int
) -> tuple[PartnerLock, PartnerCinema, str] | None:
    lock = await locks.lock_of_hold(uow, hold_id)
    if lock is None or lock.status != "confirming":
        return None
    cinema = await uow.session.get(PartnerCinema, lock.cinema_id)
    assert cinema is not None
    buyer = await uow.session.scalar(select(Order.buyer).where(Order.hold_id == hold_id))
    kind, _, ident = (buyer or "").partition(":")
    phone = (await contact_of(uow, crypto, int(ident)))[0] if kind == "customer" else None
    return lock, cinema, phone or ""


async def _submit_or_find(
    office: ExternalBoxOffice, cinema: str, lock: PartnerLock, phone: str
) -> Confirmation:
    """Submit (the same order number cannot sell twice); when the answer is lost, ask the
    cinema whether the order exists. Unknown still → ``BoxOfficeUnavailable``."""
    assert lock.order_number is not None
    assert lock.amount is not None
    try:
        return await office.confirm(
            cinema, ref=lock.ref, order_no=lock.order_number, amount=lock.amount, phone=phone
        )
    except BoxOfficeUnavailable as lost:
        try:
            state = await office.query_order(cinema, order_no=lock.order_number)
        except PartnerOrderNotFound:
            raise lost from None  # not made yet: submit again on the next attempt
        return Confirmation(
            state.order_no,
            state.order_code,
            state.print_no,
            state.verify_code,
            state.seats,
            state.amount,
        )


async def _locked_rows(
    uow: UnitOfWork, hold_id: int
) -> tuple[PartnerLock, Order, Hold, str] | None:
    """Payment → hold → order → lock, the settlement's lock order; None when not pending."""
    lock = await locks.lock_of_hold(uow, hold_id)
    if lock is None or lock.status != "confirming" or lock.payment_number is None:
        return None
    payment = await lock_payment(uow, lock.payment_number)
    assert payment is not None
    order, hold = await order_and_hold(uow, payment.order_number)
    lock = await locks.lock_of_hold(uow, hold_id, for_update=True)
    if lock is None or lock.status != "confirming":
        return None
    return lock, order, hold, payment.number


async def _confirmed(rt: Runtime, hold_id: int, confirmation: Confirmation) -> None:
    async with rt.uow(_ACTOR) as uow:
        rows = await _locked_rows(uow, hold_id)
        if rows is None:
            return
        lock, order, hold, payment = rows
        now = rt.clock.now()
        cinema = await uow.session.get(PartnerCinema, lock.cinema_id)
        await locks.mark_confirmed(uow, lock, confirmation, now)
        notice = Notice(
            sms_template="SMS_PARTNER_CONFIRMED",
            email_template="EMAIL_PARTNER_CONFIRMED",
            params={
                "cinema": (cinema.name if cinema else "the cinema")[:35],
                "print_no": confirmation.print_no,
                "verify": confirmation.verify_code,
            },
        )
        await sell(uow, rt.crypto, order, hold, payment, now, notice=notice)


async def _refused(rt: Runtime, hold_id: int, reason: str) -> None:
    """The cinema will not confirm: refund the payment, give the seats back, tell the buyer
    (the refund's message says why), and make sure the lock is released there."""
    async with rt.uow(_ACTOR) as uow:
        rows = await _locked_rows(uow, hold_id)
        if rows is None:
            return
        lock, order, hold, payment_number = rows
        now = rt.clock.now()
        payment = await lock_payment(uow, payment_number)
        assert payment is not None
        await locks.mark_refused(uow, lock, reason, now)
        await request_refund(uow, payment, amount=payment.amount, reason="partner_refused", now=now)
        await give_back(uow, hold, "released", now)
        await give_back_holder_usage(uow, [(order.id, order.session_id)])
        order.status, order.ended_at = "confirm_failed", now
        await enqueue_unlock(uow, cinema_id=lock.cinema_id, ref=lock.ref, now=now)
        await uow.session.flush()


async def _later(rt: Runtime, hold_id: int, attempt: int, error: str) -> None:
    """Still unknown: ask again after a pause; past the confirm window, hourly, flagged."""
    async with rt.uow(_ACTOR) as uow:
        lock = await locks.lock_of_hold(uow, hold_id, for_update=True)
        if lock is None or lock.status != "confirming":
            return
        now = rt.clock.now()
        await locks.mark_attempt(uow, lock, error)
        overdue = lock.confirm_by is not None and now >= lock.confirm_by
        delay = OVERDUE_POLL if overdue else timedelta(seconds=POLL_DELAYS[min(attempt, 5)])
        if overdue:
            await audit.record(
                uow,
                action="partner.confirm_overdue",
                entity_type="partner_lock",
                entity_id=lock.ref,
                data={"order": lock.order_number, "attempts": lock.attempts},
                now=now,
            )
        await outbox.enqueue(
            uow,
            kind=CONFIRM_JOB,
            payload={"hold": hold_id, "attempt": attempt + 1},
            now=now,
            delay=delay,
        )
    log.info("partner_confirm_pending", hold=hold_id, attempt=attempt + 1, error=error)

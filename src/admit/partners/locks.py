"""The platform's locks at cinemas, one per partner hold, and their lifecycle:
``locked`` → ``confirming`` (paid; the cinema is asked to confirm) → ``confirmed`` (the
cinema's booking number, print number and verify code) or ``refused`` (the payment is
refunded); ``locked`` → ``releasing`` (the hold ended unpaid; the unlock is being sent) →
``released``. Every step runs in the caller's transaction and is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from admit.core import audit
from admit.core.uow import UnitOfWork
from admit.partners.box_office import Confirmation, SeatLock
from admit.partners.models import PartnerLock

OPEN = ("locked", "confirming")


async def record_lock(
    uow: UnitOfWork,
    *,
    hold_id: int,
    session_id: int,
    cinema_id: int,
    lock: SeatLock,
    now: datetime,
) -> PartnerLock:
    row = PartnerLock(
        hold_id=hold_id,
        session_id=session_id,
        cinema_id=cinema_id,
        ref=lock.ref,
        lock_id=lock.lock_id,
        seats=list(lock.seats),
        expires_at=lock.expires_at,
        status="locked",
        created_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await _audit(uow, row, "partner.locked", now, {"seats": row.seats})
    return row


async def lock_of_hold(
    uow: UnitOfWork, hold_id: int, *, for_update: bool = False
) -> PartnerLock | None:
    query = select(PartnerLock).where(PartnerLock.hold_id == hold_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await uow.session.scalar(query)


async def lock_by_ref(uow: UnitOfWork, ref: str, *, for_update: bool = False) -> PartnerLock | None:
    query = select(PartnerLock).where(PartnerLock.ref == ref)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await uow.session.scalar(query)


async def begin_confirm(
    uow: UnitOfWork,
    lock: PartnerLock,
    *,
    order_number: str,
    payment_number: str,
    amount: int,
    confirm_by: datetime,
    now: datetime,
) -> None:
    lock.status = "confirming"
    lock.order_number, lock.payment_number, lock.amount = order_number, payment_number, amount
    lock.confirm_by = confirm_by
    await uow.session.flush()
    await _audit(uow, lock, "partner.confirming", now, {"order": order_number})


async def mark_confirmed(
    uow: UnitOfWork, lock: PartnerLock, confirmation: Confirmation, now: datetime
) -> None:
    lock.status, lock.confirmed_at, lock.ended_at = "confirmed", now, now
    lock.order_code = confirmation.order_code
    lock.print_no, lock.verify_code = confirmation.print_no, confirmation.verify_code
    lock.last_error = None
    await uow.session.flush()
    await _audit(uow, lock, "partner.confirmed", now, {"order_code": confirmation.order_code})


async def mark_refused(uow: UnitOfWork, lock: PartnerLock, reason: str, now: datetime) -> None:
    lock.status, lock.ended_at, lock.last_error = "refused", now, reason
    await uow.session.flush()
    await _audit(uow, lock, "partner.confirm_refused", now, {"reason": reason})


async def mark_attempt(uow: UnitOfWork, lock: PartnerLock, error: str) -> None:
    lock.attempts += 1
    lock.last_error = error[:2000]
    await uow.session.flush()


async def begin_release(uow: UnitOfWork, lock: PartnerLock, now: datetime) -> bool:
    """The hold ended unpaid: the lock is to be released. False when it was not locked."""
    if lock.status != "locked":
        return False
    lock.status = "releasing"
    await uow.session.flush()
    await _audit(uow, lock, "partner.releasing", now, {})
    return True


async def mark_released(uow: UnitOfWork, lock: PartnerLock, result: str, now: datetime) -> None:
    if lock.status == "releasing":
        lock.status, lock.ended_at = "released", now
        await uow.session.flush()
        await _audit(uow, lock, "partner.released", now, {"result": result})


async def _audit(
    uow: UnitOfWork, lock: PartnerLock, action: str, now: datetime, data: dict[str, object]
) -> None:
    await audit.record(
        uow,
        action=action,
        entity_type="partner_lock",
        entity_id=lock.ref,
        data={"hold": lock.hold_id, "lock_id": lock.lock_id, **data},
        now=now,
    )

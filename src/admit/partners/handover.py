"""Where a partner hold leaves the native sale (C2): what the hold, settlement and
consistency code ask through ``partners.sale_hooks``, and the unlock job. A hold on a partner
session has a lock at the cinema (``partners.locks``); when the hold ends unpaid the lock is
released by a job that is retried until the cinema acknowledges; when its payment is
captured the order waits in ``confirm_pending`` (its hold ``confirming``) while a job asks the
cinema to confirm (``partners.confirm``). The job kinds keep the names they were queued under
when this flow lived in ``sales``: jobs already in the outbox still find their handler."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update

from admit.core import audit, outbox
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionSeat
from admit.partners import locks
from admit.partners.box_office import BoxOfficeRefused, BoxOffices, BoxOfficeUnavailable
from admit.partners.models import PartnerCinema, PartnerLock
from admit.partners.seat_plans import known_partner
from admit.sales.models import Hold, Order

log = structlog.get_logger(__name__)

CONFIRM_JOB = "sales.partner_confirm"  # handled in admit.partners.confirm
UNLOCK_JOB = "sales.partner_unlock"
CONFIRM_WINDOW = timedelta(hours=1)  # agent platforms re-query about an hour, then staff
SEATS_KEPT = timedelta(days=30)  # a confirming hold's seats are claimable by nobody
UNLOCK_DELAYS = (2, 5, 15, 30, 60, 300, 900, 3600)


class PartnerLockLapsed(Conflict):
    code = "partner_lock_lapsed"


async def on_hold_ended(uow: UnitOfWork, hold_id: int, now: datetime) -> None:
    """A hold gave its seats back (released, expired, payment declined, order cancelled):
    its lock at the cinema, if any, is released by a job."""
    lock = await locks.lock_of_hold(uow, hold_id, for_update=True)
    if lock is not None and await locks.begin_release(uow, lock, now):
        await enqueue_unlock(uow, cinema_id=lock.cinema_id, ref=lock.ref, now=now)


async def enqueue_unlock(
    uow: UnitOfWork, *, cinema_id: int, ref: str, now: datetime, attempt: int = 0
) -> None:
    cinema = await uow.session.get(PartnerCinema, cinema_id)
    assert cinema is not None
    await outbox.enqueue(
        uow,
        kind=UNLOCK_JOB,
        payload={"system": cinema.system, "cinema": cinema.code, "ref": ref, "attempt": attempt},
        now=now,
        delay=timedelta(seconds=UNLOCK_DELAYS[min(attempt, len(UNLOCK_DELAYS)) - 1])
        if attempt
        else timedelta(0),
    )


async def is_partner_hold(uow: UnitOfWork, hold_id: int) -> bool:
    return await locks.lock_of_hold(uow, hold_id) is not None


async def refuse_late(uow: UnitOfWork, hold_id: int) -> None:
    """A payment that arrives after a partner hold ended is not honoured by taking the seats
    again here: the cinema's lock has gone. Raises so that the payment is refunded."""
    if await is_partner_hold(uow, hold_id):
        raise PartnerLockLapsed("the cinema's lock on these seats has lapsed")


async def hand_to_partner(
    uow: UnitOfWork, *, order: Order, hold: Hold, payment: str, now: datetime
) -> bool:
    """The payment of a partner hold's order was captured (payment, hold and order locked by
    the caller): the order now waits for the cinema's confirmation. False for native holds."""
    if known_partner(uow.caches, hold.session_id) is False:
        return False
    lock = await locks.lock_of_hold(uow, hold.id, for_update=True)
    if lock is None:
        return False
    await locks.begin_confirm(
        uow,
        lock,
        order_number=order.number,
        payment_number=payment,
        amount=order.total,
        confirm_by=now + CONFIRM_WINDOW,
        now=now,
    )
    hold.status = "confirming"
    order.status = "confirm_pending"
    await uow.session.execute(
        update(SessionSeat)
        .where(SessionSeat.hold_id == hold.id, SessionSeat.status == "held")
        .values(hold_expires_at=now + SEATS_KEPT),
        execution_options={"synchronize_session": False},
    )
    await uow.session.flush()
    await outbox.enqueue(uow, kind=CONFIRM_JOB, payload={"hold": hold.id, "attempt": 0}, now=now)
    return True


async def confirming_payments(uow: UnitOfWork) -> set[str]:
    """Captured payments whose order waits for a cinema's confirmation (being settled)."""
    rows = await uow.session.scalars(
        select(PartnerLock.payment_number).where(PartnerLock.status == "confirming")
    )
    return {p for p in rows.all() if p}


@outbox.handler(UNLOCK_JOB)
async def _unlock(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """Release a lock at the cinema; asked again (with growing gaps) until it answers."""
    office = ctx.runtime.adapter(BoxOffices).get(payload["system"])
    try:
        result = await office.release(payload["cinema"], ref=payload["ref"])
    except BoxOfficeUnavailable as exc:
        log.warning("partner_unlock_retry", ref=payload["ref"], error=exc.message)
        async with ctx.unit() as uow:
            lock = await locks.lock_by_ref(uow, payload["ref"])
            cinema_id = lock.cinema_id if lock else await _cinema_id(uow, payload)
            await enqueue_unlock(
                uow,
                cinema_id=cinema_id,
                ref=payload["ref"],
                now=ctx.now,
                attempt=int(payload.get("attempt", 0)) + 1,
            )
        return
    except BoxOfficeRefused as exc:  # e.g. already sold: nothing left to release
        result = f"refused:{exc.reason}"
    async with ctx.unit() as uow:
        lock = await locks.lock_by_ref(uow, payload["ref"], for_update=True)
        if lock is not None:
            await locks.mark_released(uow, lock, result, ctx.now)
        else:
            await audit.record(
                uow,
                action="partner.released",
                entity_type="partner_lock",
                entity_id=payload["ref"],
                data={"result": result, "recorded": False},
                now=ctx.now,
            )


async def _cinema_id(uow: UnitOfWork, payload: dict[str, Any]) -> int:
    found = await uow.session.scalar(
        select(PartnerCinema.id).where(
            PartnerCinema.system == payload["system"], PartnerCinema.code == payload["cinema"]
        )
    )
    assert found is not None
    return int(found)

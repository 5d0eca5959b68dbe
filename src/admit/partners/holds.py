"""Holds on partner sessions (C2): the cinema owns the seats, so the platform asks it to
lock them first — outside any transaction — and then records the hold as usual (seats,
quotas, per-person limit) in one transaction, with the lock beside it. A refused lock tells
the buyer at once, charges nothing and refreshes the seat plan from the cinema; a lock
whose answer never came, or a hold that could not be recorded, is released at the cinema."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta

import structlog
from sqlalchemy import select, update

from admit.core.audit_context import Actor
from admit.core.errors import Conflict, InvalidInput
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.inventory.best_claims import best_seats
from admit.inventory.models import SessionSeat
from admit.partners import (
    confirm,  # noqa: F401  (registers the confirm job)
    locks,
)
from admit.partners.box_office import (
    BoxOfficeError,
    BoxOfficeRefused,
    BoxOffices,
    BoxOfficeUnavailable,
    SeatLock,
)
from admit.partners.handover import enqueue_unlock
from admit.partners.seat_plans import PartnerRef, partner_ref, refresh_plan
from admit.sales.hold_requests import HoldSummary
from admit.sales.holds import HoldRequest, place_hold
from admit.sales.models import Hold
from admit.sales.sale_gate import check_on_sale

log = structlog.get_logger(__name__)
LOCK_MARGIN = timedelta(minutes=1)  # the hold ends before the cinema's lock does


class PartnerLockRefused(Conflict):
    code = "partner_lock_refused"


def lock_ref(req: HoldRequest) -> str:
    """The lock's reference at the cinema: derived from the buyer's idempotency key, so a
    retried request finds the same lock there; random without one."""
    if req.idempotency_key is None:
        return secrets.token_hex(16)
    material = f"{req.buyer}|{req.session_id}|{req.idempotency_key}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


async def place_partner_hold(rt: Runtime, actor: Actor, req: HoldRequest) -> int:
    """Lock at the cinema, then hold here; returns the hold's id. Raises
    ``PartnerLockRefused`` (409, the seats the cinema would not lock),
    ``BoxOfficeUnavailable`` (503: try again), and whatever ``place_hold`` raises."""
    async with rt.uow(actor, readonly=True) as uow:
        if req.idempotency_key is not None:
            existing = await uow.session.scalar(
                select(Hold.id).where(
                    Hold.buyer == req.buyer, Hold.idempotency_key == req.idempotency_key
                )
            )
            if existing is not None:
                return int(existing)
        ref = await partner_ref(uow, req.session_id)
        assert ref is not None
        if req.best is not None:
            req = await _with_best(rt, uow, req)
        if req.places or not req.seat_keys:
            raise InvalidInput("choose seats: a cinema session has no standing places")
        await check_on_sale(
            uow,
            session_id=req.session_id,
            channel=req.channel,
            outlet_code=req.outlet,
            now=rt.clock.now(),
        )
    codes = ref.codes_of(list(req.seat_keys))
    if len(codes) != len(req.seat_keys):
        raise InvalidInput("no such seats in this session")
    lock = await _lock(rt, ref, codes, lock_ref(req))
    try:
        async with rt.uow(actor) as uow:
            hold = await place_hold(uow, req, now=rt.clock.now())
            if await locks.lock_of_hold(uow, hold.id) is None:
                await locks.record_lock(
                    uow,
                    hold_id=hold.id,
                    session_id=req.session_id,
                    cinema_id=ref.cinema_id,
                    lock=lock,
                    now=rt.clock.now(),
                )
                await _within_lock(uow, hold, lock)
            return hold.id
    except BaseException:
        await _release_now(rt, ref, lock.ref)
        raise


async def _with_best(rt: Runtime, uow: UnitOfWork, req: HoldRequest) -> HoldRequest:
    assert req.best is not None
    level, quantity = req.best
    keys = await best_seats(
        uow, session_id=req.session_id, level_code=level, quantity=quantity, now=rt.clock.now()
    )
    if not keys:
        raise PartnerLockRefused(f"fewer than {quantity} seats are left at level {level}")
    return replace(req, seat_keys=keys, best=None)


async def _lock(rt: Runtime, ref: PartnerRef, codes: list[str], reference: str) -> SeatLock:
    office = rt.adapter(BoxOffices).get(ref.system)
    try:
        return await office.lock(ref.cinema, ref.code, codes, ref=reference)
    except BoxOfficeRefused as exc:
        await refresh_plan(rt, ref.session_id, force=True)
        gone = [ref.keys.get(c, c) for c in (exc.details or {}).get("seats", [])]
        raise PartnerLockRefused(
            "the cinema could not lock these seats: choose others",
            details={"reason": exc.reason, "seats": gone},
        ) from exc
    except BoxOfficeUnavailable:
        # The lock may have been made: make sure it does not outlive this refusal.
        async with rt.uow(Actor(kind="system", id="partners")) as uow:
            await enqueue_unlock(uow, cinema_id=ref.cinema_id, ref=reference, now=rt.clock.now())
        raise


async def _within_lock(uow: UnitOfWork, hold: HoldSummary, lock: SeatLock) -> None:
    """The hold (and so the order's time to pay) ends a margin before the cinema's lock."""
    latest = lock.expires_at - LOCK_MARGIN
    if hold.expires_at > latest:
        await uow.session.execute(update(Hold).where(Hold.id == hold.id).values(expires_at=latest))
        await uow.session.execute(
            update(SessionSeat)
            .where(SessionSeat.hold_id == hold.id)
            .values(hold_expires_at=latest),
            execution_options={"synchronize_session": False},
        )


async def _release_now(rt: Runtime, ref: PartnerRef, reference: str) -> None:
    """The hold was not recorded: release the cinema's lock now, or by a job if it is slow."""
    try:
        await rt.adapter(BoxOffices).get(ref.system).release(ref.cinema, ref=reference)
    except BoxOfficeError as exc:
        log.warning("partner_release_deferred", ref=reference, error=exc.message)
        async with rt.uow(Actor(kind="system", id="partners")) as uow:
            await enqueue_unlock(uow, cinema_id=ref.cinema_id, ref=reference, now=rt.clock.now())

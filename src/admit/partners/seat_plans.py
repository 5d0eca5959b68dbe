"""A partner session's seat plan mirrors the cinema's (C1, C2): seats the cinema has sold,
locked for others or taken out become ``blocked`` here, and come back when the cinema frees
them. The mirror is refreshed when someone looks at the session (at most once per
``max_age``) and whenever the cinema refuses a lock; the cinema is asked outside any
transaction. Seats held or sold through this platform are never touched by a refresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update

from admit.catalog.models import Seat
from admit.core.audit_context import SYSTEM
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionPlan, SessionSeat
from admit.inventory.rules import SeatStatus
from admit.partners.box_office import BoxOfficeError, BoxOffices, SeatPlan
from admit.partners.models import PartnerCinema, PartnerHall, PartnerSession

log = structlog.get_logger(__name__)
PLAN_MAX_AGE = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class PartnerRef:
    """Where a partner session's seats really are: the system, cinema and session codes,
    and the hall's seat codes → the plan's seat keys."""

    session_id: int
    system: str
    cinema_id: int
    cinema: str
    code: str
    seat_map_id: int
    keys: dict[str, str]
    checked_at: datetime | None

    def codes_of(self, seat_keys: list[str]) -> list[str]:
        by_key = {key: code for code, key in self.keys.items()}
        return [by_key[k] for k in seat_keys if k in by_key]


async def partner_ref(uow: UnitOfWork, session_id: int) -> PartnerRef | None:
    """The session's cinema, or None for a session whose seats are the platform's own."""
    row = (
        await uow.session.execute(
            select(PartnerSession, PartnerCinema, PartnerHall)
            .join(PartnerCinema, PartnerCinema.id == PartnerSession.cinema_id)
            .join(PartnerHall, PartnerHall.id == PartnerSession.hall_id)
            .where(PartnerSession.session_id == session_id)
        )
    ).first()
    if row is None:
        return None
    ps, cinema, hall = row
    return PartnerRef(
        session_id=session_id,
        system=cinema.system,
        cinema_id=cinema.id,
        cinema=cinema.code,
        code=ps.code,
        seat_map_id=hall.seat_map_id,
        keys=dict(hall.seats),
        checked_at=ps.plan_checked_at,
    )


ONLINE_CHANNELS = ("web", "mobile")
PARTNER_SESSIONS = "partner_sessions"  # session id → whether a cinema's, per process


async def is_partner(uow: UnitOfWork, session_id: int) -> bool:
    """Whether the session's seats are a cinema's (one primary-key read)."""
    found = await uow.session.scalar(
        select(PartnerSession.session_id).where(PartnerSession.session_id == session_id)
    )
    return found is not None


def known_partner(caches: dict[str, Any], session_id: int) -> bool | None:
    """Whether the session's inventory is a cinema's, if this process has seen it (None
    otherwise), from the process's caches (a runtime's, or what a unit of work carries). A
    session is a partner session from its creation or never, so the answer is kept for good,
    at no database cost on the hot path."""
    known: dict[int, bool] = caches.setdefault(PARTNER_SESSIONS, {})
    return known.get(session_id)


async def remember_partner(caches: dict[str, Any], uow: UnitOfWork, session_id: int) -> bool:
    """Look it up in the caller's transaction (one primary-key read) and keep the answer
    for sessions that exist."""
    known: dict[int, bool] = caches.setdefault(PARTNER_SESSIONS, {})
    found = await uow.session.scalar(
        select(PartnerSession.session_id).where(PartnerSession.session_id == session_id)
    )
    if found is not None:
        known[session_id] = True
    elif await uow.session.scalar(
        select(SessionPlan.session_id).where(SessionPlan.session_id == session_id)
    ):
        known[session_id] = False
    return found is not None


async def apply_plan(uow: UnitOfWork, ref: PartnerRef, plan: SeatPlan, now: datetime) -> int:
    """Make the mirror agree with the cinema's ``plan``; returns how many seats changed."""
    gone = plan.unavailable()
    codes = {s.code for s in plan.seats}
    ids = dict(
        (
            await uow.session.execute(
                select(Seat.key, Seat.id).where(Seat.seat_map_id == ref.seat_map_id)
            )
        ).all()
    )
    blocked = [ids[ref.keys[c]] for c in gone if c in ref.keys and ref.keys[c] in ids]
    free = [ids[k] for c, k in ref.keys.items() if c in codes and c not in gone and k in ids]
    changed = 0
    for ids_, old, new in (
        (blocked, SeatStatus.AVAILABLE, SeatStatus.BLOCKED),
        (free, SeatStatus.BLOCKED, SeatStatus.AVAILABLE),
    ):
        if not ids_:
            continue
        result = await uow.session.execute(
            update(SessionSeat)
            .where(
                SessionSeat.session_id == ref.session_id,
                SessionSeat.seat_id.in_(ids_),
                SessionSeat.status == old,
                SessionSeat.category == "sellable",
                SessionSeat.excluded.is_(False),
                SessionSeat.unusable.is_(False),
                SessionSeat.reserved_client_id.is_(None),
                SessionSeat.reserved_group_id.is_(None),
            )
            .values(status=new),
            execution_options={"synchronize_session": False},
        )
        changed += int(result.rowcount)  # type: ignore[attr-defined]
    if changed:
        await uow.session.execute(
            update(SessionPlan)
            .where(SessionPlan.session_id == ref.session_id)
            .values(version=SessionPlan.version + 1),
            execution_options={"synchronize_session": False},
        )
    await uow.session.execute(
        update(PartnerSession)
        .where(PartnerSession.session_id == ref.session_id)
        .values(plan_checked_at=now),
        execution_options={"synchronize_session": False},
    )
    return changed


async def refresh_plan(
    rt: Runtime, session_id: int, *, max_age: timedelta = PLAN_MAX_AGE, force: bool = False
) -> bool:
    """Ask the cinema for the session's seat states and mirror them, unless the mirror is
    younger than ``max_age``. A cinema that does not answer leaves the mirror as it was (and
    the lock, which the cinema decides, stays the real check). Returns whether it refreshed."""
    now = rt.clock.now()
    async with rt.uow(SYSTEM, readonly=True) as uow:
        ref = await partner_ref(uow, session_id)
    if ref is None:
        return False
    if not force and ref.checked_at is not None and now - ref.checked_at < max_age:
        return False
    try:
        plan = await rt.adapter(BoxOffices).get(ref.system).seat_plan(ref.cinema, ref.code)
    except BoxOfficeError as exc:
        log.warning("partner_plan_unavailable", session=session_id, error=exc.message)
        return False
    async with rt.uow(SYSTEM) as uow:
        await apply_plan(uow, ref, plan, rt.clock.now())
    return True

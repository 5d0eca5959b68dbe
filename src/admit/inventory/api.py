"""Administration endpoints of session seat plans (staff bearer token required)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from admit.catalog import ownership
from admit.catalog.api import SEATMAP_VENUE, SESSION_EITHER, SESSION_ORGANISER
from admit.catalog.schemas import SessionOut
from admit.catalog.seatmaps import SeatChange
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PrincipalDep, narrowed, require_scope, staff_reader, staff_writer
from admit.inventory import plans, reservations, venue_changes
from admit.inventory.models import SessionPlan
from admit.inventory.reservations import ReservedFor
from admit.inventory.schemas import (
    CategoryIn,
    ChangedOut,
    ConflictOut,
    ExcludeIn,
    GALevelIn,
    LevelMapIn,
    NewSessionIn,
    PlanOut,
    ReleaseIn,
    ReservationIn,
    SeatChangesIn,
    VenueChangeOut,
)

admin_router = APIRouter(prefix="/admin", tags=["admin: seat plans"])

# A session's plan is its organiser's to change; its organiser and its venue read it.
Writer = Annotated[UnitOfWork, staff_writer(Permission.PLAN_WRITE, scope=SESSION_ORGANISER)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.CATALOG_READ, scope=SESSION_EITHER)]
Scheduler = Annotated[  # the body names the event: the route checks its organiser
    UnitOfWork, staff_writer(Permission.CATALOG_WRITE, scope=narrowed(ScopeKind.ORGANISER))
]
MapWriter = Annotated[UnitOfWork, staff_writer(Permission.CATALOG_WRITE, scope=SEATMAP_VENUE)]


@admin_router.post("/sessions", status_code=201)
async def schedule_session(
    body: NewSessionIn, uow: Scheduler, now: Now, who: PrincipalDep
) -> SessionOut:
    """Create a session and its seat plan from the venue's map."""
    organiser = await ownership.organiser_of_event(uow, body.event_id)
    require_scope(who, Permission.CATALOG_WRITE, ScopeKind.ORGANISER, organiser)
    session = await plans.schedule_session(uow, plans.NewSession(**body.model_dump()), now=now)
    return SessionOut.model_validate(session, from_attributes=True)


async def _plan_out(uow: UnitOfWork, plan: SessionPlan) -> PlanOut:
    return PlanOut(
        session_id=plan.session_id,
        seat_map_id=plan.seat_map_id,
        confirmed_at=plan.confirmed_at,
        confirmed_by=plan.confirmed_by,
        version=plan.version,
        categories=await plans.category_counts(uow, plan.session_id),
    )


@admin_router.get("/sessions/{session_id}/plan")
async def get_plan(session_id: int, uow: Reader) -> PlanOut:
    plan = await plans.get_plan(uow, session_id)
    return await _plan_out(uow, plan)


@admin_router.post("/sessions/{session_id}/plan/categories")
async def set_category(session_id: int, body: CategoryIn, uow: Writer, now: Now) -> ChangedOut:
    changed = await plans.set_category(
        uow,
        session_id=session_id,
        selector=body.select.to_selector(),
        category=body.category,
        now=now,
    )
    return ChangedOut(changed=changed)


@admin_router.post("/sessions/{session_id}/plan/confirm")
async def confirm_plan(session_id: int, uow: Writer, now: Now) -> PlanOut:
    plan = await plans.confirm_plan(uow, session_id=session_id, now=now)
    return await _plan_out(uow, plan)


@admin_router.post("/sessions/{session_id}/plan/exclusions")
async def set_excluded(session_id: int, body: ExcludeIn, uow: Writer, now: Now) -> ChangedOut:
    changed = await plans.set_excluded(
        uow,
        session_id=session_id,
        selector=body.select.to_selector(),
        excluded=body.excluded,
        now=now,
    )
    return ChangedOut(changed=changed)


@admin_router.post("/sessions/{session_id}/plan/price-levels")
async def map_price_level(session_id: int, body: LevelMapIn, uow: Writer, now: Now) -> ChangedOut:
    changed = await plans.map_price_level(
        uow,
        session_id=session_id,
        selector=body.select.to_selector(),
        level_code=body.level,
        now=now,
    )
    return ChangedOut(changed=changed)


@admin_router.post("/sessions/{session_id}/plan/reservations")
async def reserve(session_id: int, body: ReservationIn, uow: Writer, now: Now) -> ChangedOut:
    """Reserve seats for a client or a client group until a date: only the buyers linked to
    it may hold them until then (404 for a client or group that does not exist; 409
    ``seats_not_changeable`` for seats held, sold, blocked or reserved for another)."""
    changed = await reservations.reserve_seats(
        uow,
        session_id=session_id,
        selector=body.select.to_selector(),
        reserved_for=ReservedFor(body.client_id, body.group_id),
        until=body.until,
        now=now,
    )
    return ChangedOut(changed=changed)


@admin_router.post("/sessions/{session_id}/plan/reservations/release")
async def release(session_id: int, body: ReleaseIn, uow: Writer, now: Now) -> ChangedOut:
    changed = await reservations.release_reservation(
        uow, session_id=session_id, selector=body.select.to_selector(), now=now
    )
    return ChangedOut(changed=changed)


@admin_router.patch("/seatmaps/{seat_map_id}/seats")
async def change_seats(
    seat_map_id: int, body: SeatChangesIn, uow: MapWriter, now: Now
) -> VenueChangeOut:
    """Change seats on the venue map; unsold seats change in every running session, sold
    or held ones are reported in ``conflicts``."""
    changes = [SeatChange(key=s.key, attributes=s.attributes()) for s in body.seats]
    report = await venue_changes.change_venue_seats(
        uow, seat_map_id=seat_map_id, changes=changes, now=now
    )
    return VenueChangeOut(
        changed_seats=report.changed_seats,
        sessions_updated=report.sessions_updated,
        conflicts=[
            ConflictOut(session_id=c.session_id, seat_key=c.seat_key, status=c.status)
            for c in report.conflicts
        ],
    )


@admin_router.post("/sessions/{session_id}/plan/ga-levels", status_code=204)
async def map_ga_level(session_id: int, body: GALevelIn, uow: Writer, now: Now) -> None:
    """Price a general-admission area at one of the session's levels."""
    await plans.map_ga_level(
        uow, session_id=session_id, area_code=body.area, level_code=body.level, now=now
    )

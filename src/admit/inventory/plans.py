"""Use cases for session seat plans: build from the venue map, categories, confirmation,
session-only exclusions and price-level mapping (INV0, INV1, INV3, INV4)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, literal, or_, select, update

from admit.catalog import events as catalog_events
from admit.catalog.models import GAArea, PriceLevel, Seat, Session, SessionStatus
from admit.core import audit, sliced_counters
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.sliced_counters import slices_for
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionGA, SessionGASlice, SessionPlan, SessionSeat
from admit.inventory.rules import (
    RESTING,
    Category,
    CategoryLocked,
    SeatStatus,
    check_category_change,
    resting_status,
)
from admit.inventory.selection import SeatSelector, session_seat_queries


class PlanConfirmed(Conflict):
    code = "plan_confirmed"


class SeatsNotChangeable(Conflict):
    code = "seats_not_changeable"


@dataclass(frozen=True, slots=True)
class NewSession:
    event_id: int
    venue_id: int
    seat_map_id: int
    code: str
    name: str
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus = SessionStatus.SCHEDULED


async def schedule_session(uow: UnitOfWork, cmd: NewSession, *, now: datetime) -> Session:
    """Create a session and its seat plan, copied from the venue map, in one transaction."""
    session = await catalog_events.create_session(
        uow,
        event_id=cmd.event_id,
        venue_id=cmd.venue_id,
        seat_map_id=cmd.seat_map_id,
        code=cmd.code,
        name=cmd.name,
        starts_at=cmd.starts_at,
        ends_at=cmd.ends_at,
        status=cmd.status,
        now=now,
    )
    await build_plan(uow, session_id=session.id, seat_map_id=cmd.seat_map_id)
    return session


async def build_plan(uow: UnitOfWork, *, session_id: int, seat_map_id: int) -> None:
    """One INSERT … SELECT per table: a 20,000-seat plan never passes through Python."""
    s = uow.session
    s.add(SessionPlan(session_id=session_id, seat_map_id=seat_map_id))
    await s.flush()
    unusable = or_(Seat.damaged, Seat.removed)
    await s.execute(
        insert(SessionSeat).from_select(
            ["session_id", "seat_id", "ordinal", "category", "excluded", "unusable", "status"],
            select(
                literal(session_id),
                Seat.id,
                Seat.ordinal,
                literal(Category.SELLABLE.value),
                literal(False),
                unusable,
                case((unusable, SeatStatus.BLOCKED.value), else_=SeatStatus.AVAILABLE.value),
            ).where(Seat.seat_map_id == seat_map_id),
        )
    )
    areas = (
        await s.execute(
            select(GAArea.id, GAArea.capacity)
            .where(GAArea.seat_map_id == seat_map_id)
            .order_by(GAArea.id)
        )
    ).all()
    if areas:  # a GA area's counter is split into slices that holds update (sliced_counters)
        rows = [
            {"session_id": session_id, "ga_area_id": a, "capacity": c, "slices": slices_for(c)}
            for a, c in areas
        ]
        ids = (
            await s.scalars(
                insert(SessionGA).returning(SessionGA.id, sort_by_parameter_order=True), rows
            )
        ).all()
        await sliced_counters.create(
            uow,
            SessionGASlice,
            [(i, r["capacity"], r["slices"]) for i, r in zip(ids, rows, strict=True)],
        )


async def get_plan(uow: UnitOfWork, session_id: int, *, lock: bool = False) -> SessionPlan:
    query = select(SessionPlan).where(SessionPlan.session_id == session_id)
    if lock:
        query = query.with_for_update()
    plan = await uow.session.scalar(query)
    if plan is None:
        raise NotFound(f"session {session_id} has no seat plan")
    return plan


async def selected(
    uow: UnitOfWork, session_id: int, selector: SeatSelector
) -> list[tuple[SessionSeat, str]]:
    """The session's seats the selector matches, each once, with their keys, in plan order."""
    found: dict[int, tuple[SessionSeat, str]] = {}
    for query in session_seat_queries(session_id, selector):
        for seat, key in (await uow.session.execute(query)).all():
            found[seat.id] = (seat, key)
    if not found:
        raise InvalidInput("the selection matches no seat of this session")
    return sorted(found.values(), key=lambda row: row[0].ordinal)


async def write_states(
    uow: UnitOfWork,
    plan: SessionPlan,
    seats: Iterable[SessionSeat],
    now: datetime,
    values: dict[str, object],
) -> None:
    """Apply ``values`` to seats and re-derive the resting status of those nobody holds,
    with one UPDATE per resulting status (the loaded objects are left as they were: callers
    re-read). Bumps the plan version (availability ETag)."""
    by_status: dict[str, list[int]] = defaultdict(list)
    fixed: list[int] = []
    for seat in seats:
        if seat.status not in RESTING:
            fixed.append(seat.id)
            continue
        eff = {name: getattr(seat, name) for name in _RESTING_INPUTS} | {
            k: v for k, v in values.items() if k in _RESTING_INPUTS
        }
        by_status[resting_status(**eff, now=now)].append(seat.id)
    for status, ids in by_status.items():
        for chunk in _chunks(ids):
            await uow.session.execute(
                update(SessionSeat)
                .where(SessionSeat.id.in_(chunk))
                .values(**values, status=status),
                execution_options={"synchronize_session": False},
            )
    for chunk in _chunks(fixed):
        await uow.session.execute(
            update(SessionSeat).where(SessionSeat.id.in_(chunk)).values(**values),
            execution_options={"synchronize_session": False},
        )
    plan.version += 1
    await uow.session.flush()


_RESTING_INPUTS = (
    "category",
    "excluded",
    "unusable",
    "reserved_client_id",
    "reserved_group_id",
    "reserved_until",
)


def _chunks(ids: Sequence[int], size: int = 5000) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


async def set_category(
    uow: UnitOfWork,
    *,
    session_id: int,
    selector: SeatSelector,
    category: Category,
    now: datetime,
) -> int:
    """Give the selected seats a category. All or nothing: if any seat may not change
    (held or sold; or, once confirmed, not an emergency seat) nothing changes and
    ``PlanConfirmed`` / ``SeatsNotChangeable`` (409) lists them."""
    plan = await get_plan(uow, session_id, lock=True)
    rows = await selected(uow, session_id, selector)
    locked: list[str] = []
    busy: list[str] = []
    for seat, key in rows:
        try:
            check_category_change(
                confirmed=plan.confirmed_at is not None,
                confirmed_category=seat.confirmed_category,
                current=seat.category,
                new=category,
                status=seat.status,
            )
        except CategoryLocked:
            locked.append(key)
        except ValueError:
            busy.append(key)
    if locked:
        raise PlanConfirmed(
            "the plan is confirmed: only emergency seats may change category, and only to "
            "sellable or back",
            details={"seats": locked[:200], "count": len(locked)},
        )
    if busy:
        raise SeatsNotChangeable(
            "some seats are held or sold", details={"seats": busy[:200], "count": len(busy)}
        )
    await write_states(uow, plan, (seat for seat, _ in rows), now, {"category": str(category)})
    await audit.record(
        uow,
        action="plan.category_set",
        entity_type="session",
        entity_id=session_id,
        data={"category": str(category), "seats": [k for _, k in rows]},
        now=now,
    )
    return len(rows)


async def confirm_plan(uow: UnitOfWork, *, session_id: int, now: datetime) -> SessionPlan:
    """Freeze the categories: from now on only emergency seats may change (INV3)."""
    plan = await get_plan(uow, session_id, lock=True)
    if plan.confirmed_at is not None:
        raise PlanConfirmed("the seat plan is already confirmed")
    await uow.session.execute(
        update(SessionSeat)
        .where(SessionSeat.session_id == session_id)
        .values(confirmed_category=SessionSeat.category),
        execution_options={"synchronize_session": False},
    )
    plan.confirmed_at = now
    plan.confirmed_by = uow.actor.label
    await uow.session.flush()
    counts = await category_counts(uow, session_id)
    await audit.record(
        uow,
        action="plan.confirmed",
        entity_type="session",
        entity_id=session_id,
        data={"categories": counts},
        now=now,
    )
    return plan


async def category_counts(uow: UnitOfWork, session_id: int) -> dict[str, int]:
    rows = await uow.session.execute(
        select(SessionSeat.category, func.count())
        .where(SessionSeat.session_id == session_id)
        .group_by(SessionSeat.category)
    )
    return dict(rows.all())


async def set_excluded(
    uow: UnitOfWork, *, session_id: int, selector: SeatSelector, excluded: bool, now: datetime
) -> int:
    """Take seats out of this session only (or put them back); the venue map is untouched."""
    plan = await get_plan(uow, session_id, lock=True)
    rows = await selected(uow, session_id, selector)
    busy = [key for seat, key in rows if seat.status not in RESTING]
    if busy:
        raise SeatsNotChangeable("some seats are held or sold", details={"seats": busy[:200]})
    await write_states(uow, plan, (seat for seat, _ in rows), now, {"excluded": excluded})
    await audit.record(
        uow,
        action="plan.excluded_set",
        entity_type="session",
        entity_id=session_id,
        data={"excluded": excluded, "seats": [k for _, k in rows]},
        now=now,
    )
    return len(rows)


async def map_price_level(
    uow: UnitOfWork, *, session_id: int, selector: SeatSelector, level_code: str, now: datetime
) -> int:
    """Map the selected seats to one of the session's price levels (INV4)."""
    level_id = await uow.session.scalar(
        select(PriceLevel.id).where(
            PriceLevel.session_id == session_id, PriceLevel.code == level_code
        )
    )
    if level_id is None:
        raise InvalidInput(f"session {session_id} has no price level {level_code!r}")
    plan = await get_plan(uow, session_id, lock=True)
    rows = await selected(uow, session_id, selector)
    sold = [key for seat, key in rows if seat.status == SeatStatus.SOLD]
    if sold:
        raise SeatsNotChangeable("sold seats keep their price level", details={"seats": sold})
    await write_states(uow, plan, (seat for seat, _ in rows), now, {"price_level_id": level_id})
    await audit.record(
        uow,
        action="plan.price_level_mapped",
        entity_type="session",
        entity_id=session_id,
        data={"level": level_code, "seats": [k for _, k in rows]},
        now=now,
    )
    return len(rows)


async def map_ga_level(
    uow: UnitOfWork, *, session_id: int, area_code: str, level_code: str, now: datetime
) -> None:
    """Price a general-admission area of the session at one of its levels."""
    level_id = await uow.session.scalar(
        select(PriceLevel.id).where(
            PriceLevel.session_id == session_id, PriceLevel.code == level_code
        )
    )
    if level_id is None:
        raise InvalidInput(f"session {session_id} has no price level {level_code!r}")
    row = await uow.session.scalar(
        select(SessionGA)
        .join(GAArea, GAArea.id == SessionGA.ga_area_id)
        .where(SessionGA.session_id == session_id, GAArea.code == area_code)
    )
    if row is None:
        raise InvalidInput(f"session {session_id} has no general-admission area {area_code!r}")
    row.price_level_id = level_id
    await uow.session.flush()
    await audit.record(
        uow,
        action="plan.ga_level_mapped",
        entity_type="session",
        entity_id=session_id,
        data={"area": area_code, "level": level_code},
        now=now,
    )

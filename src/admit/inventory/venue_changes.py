"""Venue seat changes reaching the sessions that use the map (INV1).

A seat damaged or removed at the venue becomes blocked in every running session where nobody
holds it; where it is held or sold, the session keeps the sale and the change is reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select

from admit.catalog import events as catalog_events
from admit.catalog import seatmaps
from admit.core import audit
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionSeat
from admit.inventory.plans import get_plan, write_states
from admit.inventory.rules import RESTING


@dataclass(frozen=True, slots=True)
class AffectedSeat:
    session_id: int
    seat_key: str
    status: str


@dataclass
class VenueChangeReport:
    changed_seats: list[str] = field(default_factory=list)
    sessions_updated: list[int] = field(default_factory=list)
    conflicts: list[AffectedSeat] = field(default_factory=list)


async def change_venue_seats(
    uow: UnitOfWork, *, seat_map_id: int, changes: Sequence[seatmaps.SeatChange], now: datetime
) -> VenueChangeReport:
    """Change seats on the venue map and pass the change to every running session."""
    changed = await seatmaps.change_seats(uow, seat_map_id=seat_map_id, changes=changes, now=now)
    usable = {c.seat_id: c.usable for c in changed}
    keys = {c.seat_id: c.key for c in changed}
    report = VenueChangeReport(changed_seats=[c.key for c in changed])
    for session in await catalog_events.sessions_using_map(uow, seat_map_id):
        plan = await get_plan(uow, session.id, lock=True)
        seats: list[SessionSeat] = []
        ids = list(usable)
        for start in range(0, len(ids), seatmaps.KEYS_PER_STATEMENT):
            part = ids[start : start + seatmaps.KEYS_PER_STATEMENT]
            seats.extend(
                await uow.session.scalars(
                    select(SessionSeat).where(
                        SessionSeat.session_id == session.id, SessionSeat.seat_id.in_(part)
                    )
                )
            )
        for seat in seats:
            if seat.status not in RESTING and not usable[seat.seat_id]:
                report.conflicts.append(AffectedSeat(session.id, keys[seat.seat_id], seat.status))
        for flag in (True, False):
            group = [s for s in seats if usable[s.seat_id] is not flag]
            if group:
                await write_states(uow, plan, group, now, {"unusable": flag})
        report.sessions_updated.append(session.id)
    if report.conflicts:
        await audit.record(
            uow,
            action="plan.venue_change_conflicts",
            entity_type="seat_map",
            entity_id=seat_map_id,
            now=now,
            data={"conflicts": [asdict(c) for c in report.conflicts]},
        )
    return report

"""Seats reserved for a named client or client group until a date (INV3)."""

from __future__ import annotations

from datetime import datetime

from admit.core import audit
from admit.core.errors import InvalidInput
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionSeat
from admit.inventory.plans import SeatsNotChangeable, get_plan, selected, write_states
from admit.inventory.rules import Category, SeatStatus
from admit.inventory.selection import SeatSelector


async def reserve_seats(
    uow: UnitOfWork,
    *,
    session_id: int,
    selector: SeatSelector,
    client: str,
    until: datetime,
    now: datetime,
) -> int:
    """Reserve sellable seats that nobody holds for ``client`` until ``until``; all or nothing.

    Raises ``SeatsNotChangeable`` (409) listing seats that are held, sold, blocked or
    reserved for another client."""
    client = client.strip()
    if not client:
        raise InvalidInput("name the client the seats are reserved for")
    if until <= now:
        raise InvalidInput("a reservation must end in the future")
    plan = await get_plan(uow, session_id, lock=True)
    rows = await selected(uow, session_id, selector)
    refused = [
        key
        for seat, key in rows
        if seat.category != Category.SELLABLE
        or seat.excluded
        or seat.unusable
        or seat.status not in (SeatStatus.AVAILABLE, SeatStatus.RESERVED)
        or _reserved_for_another(seat, client, now)
    ]
    if refused:
        raise SeatsNotChangeable(
            "only sellable seats that nobody holds can be reserved",
            details={"seats": refused[:200], "count": len(refused)},
        )
    await write_states(
        uow,
        plan,
        (seat for seat, _ in rows),
        now,
        {"reserved_for": client, "reserved_until": until},
    )
    await audit.record(
        uow,
        action="plan.reserved",
        entity_type="session",
        entity_id=session_id,
        data={"client": client, "until": until.isoformat(), "seats": [k for _, k in rows]},
        now=now,
    )
    return len(rows)


def _reserved_for_another(seat: SessionSeat, client: str, now: datetime) -> bool:
    live = seat.reserved_until is None or seat.reserved_until > now
    return seat.status == SeatStatus.RESERVED and live and seat.reserved_for != client


async def release_reservation(
    uow: UnitOfWork, *, session_id: int, selector: SeatSelector, now: datetime
) -> int:
    """Give reserved seats back to general sale (seats not reserved are left as they are)."""
    plan = await get_plan(uow, session_id, lock=True)
    rows = [(s, k) for s, k in await selected(uow, session_id, selector) if s.reserved_for]
    await write_states(
        uow, plan, (seat for seat, _ in rows), now, {"reserved_for": None, "reserved_until": None}
    )
    await audit.record(
        uow,
        action="plan.reservation_released",
        entity_type="session",
        entity_id=session_id,
        data={"seats": [k for _, k in rows]},
        now=now,
    )
    return len(rows)

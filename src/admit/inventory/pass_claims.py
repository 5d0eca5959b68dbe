"""A pass's fixed seat claimed in every session the pass covers (INV5): one conditional
UPDATE over all of them, all or nothing — the caller's transaction rolls back when the seat
is not free in each one. On PostgreSQL two buyers racing for the same pass: the second
UPDATE waits on the first's row locks, then finds the seats held and claims none. The
claimed seats carry the pass's one hold, so ending or selling that hold (``release_seats``,
``sell_seats`` and their PostgreSQL functions, which go by hold) frees or sells the seat in
every session at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from admit.catalog.models import Seat
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.inventory.counts import free_seat
from admit.inventory.models import SessionPlan, SessionSeat
from admit.inventory.rules import SeatStatus


class PassSeatTaken(Conflict):
    code = "pass_seat_taken"


async def claim_pass_seat(
    uow: UnitOfWork,
    *,
    session_ids: Sequence[int],
    seat_key: str,
    hold_id: int,
    expires_at: datetime,
    now: datetime,
) -> dict[int, int]:
    """Hold the seat ``seat_key`` in every session for ``hold_id``; session → the seat's price
    level there. Raises ``PassSeatTaken`` (409, naming the sessions where it is not free or
    not sold) when it cannot be had in all of them; nothing stays claimed once the caller's
    transaction rolls back."""
    ids = sorted(set(session_ids))
    maps = select(SessionPlan.seat_map_id).where(SessionPlan.session_id.in_(ids))
    seats = select(Seat.id).where(Seat.seat_map_id.in_(maps), Seat.key == seat_key)
    claimed = (
        await uow.session.execute(
            update(SessionSeat)
            .where(
                SessionSeat.session_id.in_(ids),
                SessionSeat.seat_id.in_(seats),
                SessionSeat.price_level_id.is_not(None),
                free_seat(now),
            )
            .values(status=SeatStatus.HELD, hold_id=hold_id, hold_expires_at=expires_at)
            .returning(SessionSeat.session_id, SessionSeat.price_level_id),
            execution_options={"synchronize_session": False},
        )
    ).all()
    levels = {int(sid): int(level or 0) for sid, level in claimed}  # levels: not NULL
    if len(levels) != len(ids):
        missing = [sid for sid in ids if sid not in levels]
        raise PassSeatTaken(
            f"seat {seat_key} is not free in every session of the pass",
            details={"seat": seat_key, "sessions": missing},
        )
    return levels

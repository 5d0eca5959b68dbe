"""What a client's buyer sees beyond the public map (INV3): the seats reserved for a client or
group they buy for, free for them to hold now. The public availability map stays one cached
string for everyone (reserved seats read ``r`` there); this overlay is read per buyer, only
for a buyer who has reservation keys, and turns those ``r`` into ``a`` for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select

from admit.catalog.models import Seat
from admit.clients.rules import ReservationKeys
from admit.core.uow import UnitOfWork
from admit.inventory.counts import free_seat, live_reservation
from admit.inventory.models import SessionSeat


async def holdable_reserved(
    uow: UnitOfWork, *, session_id: int, keys: ReservationKeys, now: datetime
) -> list[str]:
    """The keys of the session's seats reserved (live) for one of the buyer's clients or
    groups that the buyer may hold now, in plan order; [] without keys (no statement)."""
    if not keys:
        return []
    rows = await uow.session.scalars(
        select(Seat.key)
        .join(SessionSeat, SessionSeat.seat_id == Seat.id)
        .where(
            SessionSeat.session_id == session_id,
            and_(live_reservation(now), free_seat(now, keys=keys)),
        )
        .order_by(SessionSeat.ordinal)
    )
    return [str(k) for k in rows]

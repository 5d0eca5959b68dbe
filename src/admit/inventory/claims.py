"""Claiming seats and general-admission places for a hold: one conditional UPDATE each, all
or nothing (the seat-hold pattern of the architecture guide). No read-then-write, no locks
held by the application: the database decides who wins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, literal, select, update

from admit.catalog.models import GAArea, Seat
from admit.clients.rules import NO_KEYS, ReservationKeys
from admit.core import sliced_counters
from admit.core.db import table
from admit.core.errors import Conflict, InvalidInput
from admit.core.uow import UnitOfWork
from admit.inventory.counts import free_seat, live_reservation, reserved_for_another
from admit.inventory.models import SessionGA, SessionGASlice, SessionPlan, SessionSeat
from admit.inventory.rules import SeatStatus


class SeatsTaken(Conflict):
    code = "seats_taken"


class SeatReserved(Conflict):
    """A seat named is reserved for a client or group the buyer does not buy for."""

    code = "seat_reserved"


class SoldOut(Conflict):
    code = "sold_out"


@dataclass(frozen=True, slots=True)
class ClaimedSeat:
    seat_id: int
    price_level_id: int | None


async def claim_seats(
    uow: UnitOfWork,
    *,
    session_id: int,
    seat_keys: Sequence[str],
    hold_id: int,
    expires_at: datetime,
    allowed_levels: Sequence[int],
    now: datetime,
    keys: ReservationKeys = NO_KEYS,
) -> list[ClaimedSeat]:
    """Hold exactly these seats (free to the buyer with ``keys``: ``counts.free_seat``) at one
    of ``allowed_levels``: one statement, the keys resolved inside it. Raises ``SeatReserved``
    (409, when a seat that could not be had is reserved for another client: all of them
    listed), ``SeatsTaken`` (409, listing the seats that could not be had) or
    ``InvalidInput`` (keys the session's map does not have); the caller's transaction then
    rolls back, so nothing stays claimed."""
    wanted_keys = list(dict.fromkeys(seat_keys))
    if not wanted_keys or len(wanted_keys) != len(seat_keys):
        raise InvalidInput("name each seat once")
    of_map = select(SessionPlan.seat_map_id).where(SessionPlan.session_id == session_id)
    wanted = select(Seat.id).where(
        Seat.seat_map_id == of_map.scalar_subquery(), Seat.key.in_(wanted_keys)
    )
    claimed = (
        await uow.session.execute(
            update(SessionSeat)
            .where(
                SessionSeat.session_id == session_id,
                SessionSeat.seat_id.in_(wanted),
                SessionSeat.price_level_id.in_(list(allowed_levels)),
                free_seat(now, keys=keys),
            )
            .values(status=SeatStatus.HELD, hold_id=hold_id, hold_expires_at=expires_at)
            .returning(SessionSeat.seat_id, SessionSeat.price_level_id),
            execution_options={"synchronize_session": False},
        )
    ).all()
    if len(claimed) != len(wanted_keys):
        got = {seat_id for seat_id, _ in claimed}
        await _refuse(uow, session_id, wanted_keys, got, keys, now)
    return [ClaimedSeat(seat_id, level) for seat_id, level in claimed]


async def _refuse(
    uow: UnitOfWork,
    session_id: int,
    keys: list[str],
    got: set[int],
    reservation_keys: ReservationKeys,
    now: datetime,
) -> None:
    """Why a claim came up short: keys the map does not have (400), seats reserved for
    another client (409 ``seat_reserved``), or seats taken (409)."""
    rows = (
        await uow.session.execute(
            select(Seat.key, Seat.id, reserved_for_another(now, SessionSeat, reservation_keys))
            .join(SessionPlan, SessionPlan.seat_map_id == Seat.seat_map_id)
            .join(
                SessionSeat,
                and_(SessionSeat.seat_id == Seat.id, SessionSeat.session_id == session_id),
            )
            .where(SessionPlan.session_id == session_id, Seat.key.in_(keys))
        )
    ).all()
    seat_ids = {key: seat_id for key, seat_id, _ in rows}
    unknown = [k for k in keys if k not in seat_ids]
    if unknown:
        raise InvalidInput("no such seats in this session", details={"seats": unknown})
    taken = [k for k in keys if seat_ids[k] not in got]
    if any(reserved for key, seat_id, reserved in rows if seat_id not in got):
        raise SeatReserved(RESERVED, details={"seats": taken})
    raise SeatsTaken("some seats are no longer available", details={"seats": taken})


RESERVED = "some seats are reserved for a client until a date: only its buyers may hold them"


async def release_seats(uow: UnitOfWork, hold_ids: Sequence[int], *, now: datetime) -> int:
    """Give back the seats these holds still have, in one statement (a seat another hold
    took after expiry stays): to their client when its reservation runs on, else to
    general sale (``admit_end_holds`` on PostgreSQL, migration 0033, does the same)."""
    back = case(
        (live_reservation(now), literal(SeatStatus.RESERVED.value)),
        else_=literal(SeatStatus.AVAILABLE.value),
    )
    result = await uow.session.execute(
        update(SessionSeat)
        .where(SessionSeat.hold_id.in_(list(hold_ids)), SessionSeat.status == SeatStatus.HELD)
        .values(status=back, hold_id=None, hold_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Area:
    """A session's general-admission area as a hold needs it."""

    id: int  # the session GA row (the counter)
    price_level_id: int | None
    slices: int  # how many slices its counter has


async def find_area(uow: UnitOfWork, *, session_id: int, area_code: str) -> Area:
    """The session's GA row of an area. Raises ``InvalidInput``."""
    row = (
        await uow.session.execute(
            select(SessionGA.id, SessionGA.price_level_id, SessionGA.slices)
            .join(GAArea, GAArea.id == SessionGA.ga_area_id)
            .where(SessionGA.session_id == session_id, GAArea.code == area_code)
        )
    ).first()
    if row is None:
        raise InvalidInput(f"no general-admission area {area_code!r} in this session")
    return Area(row[0], row[1], row[2])


async def take_places(
    uow: UnitOfWork, *, session_ga_id: int, home: int, area_code: str, quantity: int
) -> int:
    """Count ``quantity`` ≥ 1 more held places against the area (one conditional update of a
    slice of its counter, starting from ``home``; see ``sliced_counters.take``). Returns the
    slice counted on. Raises ``SoldOut``."""
    taken = await sliced_counters.take(uow, SessionGASlice, session_ga_id, home, quantity)
    if taken is None:
        raise SoldOut(f"fewer than {quantity} places are left in {area_code}")
    return taken


async def seats_of_hold(uow: UnitOfWork, hold_id: int) -> dict[str, int | None]:
    """The seats a hold still has: key → price level."""
    rows = await uow.session.execute(
        select(Seat.key, SessionSeat.price_level_id)
        .join(SessionSeat, SessionSeat.seat_id == Seat.id)
        .where(SessionSeat.hold_id == hold_id, SessionSeat.status == SeatStatus.HELD)
        .order_by(Seat.key)
    )
    return {str(key): level for key, level in rows}


async def ga_areas(
    uow: UnitOfWork, session_ga_ids: Sequence[int]
) -> dict[int, tuple[str, int | None]]:
    """Session GA rows → (area code, price level)."""
    rows = await uow.session.execute(
        select(SessionGA.id, GAArea.code, SessionGA.price_level_id)
        .join(GAArea, GAArea.id == SessionGA.ga_area_id)
        .where(SessionGA.id.in_(list(session_ga_ids)))
    )
    return {ga_id: (code, level) for ga_id, code, level in rows}


async def sell_seats(uow: UnitOfWork, sold: Sequence[tuple[int, int]]) -> None:
    """Each hold's seats become sold to its order — ``sold`` is (hold id, order id), in hold
    order — in one statement (they stay with the order for good)."""
    seats = table(SessionSeat)
    await uow.session.execute(
        update(seats)
        .where(seats.c.hold_id == bindparam("s_hold"), seats.c.status == SeatStatus.HELD)
        .values(status=SeatStatus.SOLD, hold_expires_at=None, order_id=bindparam("s_order")),
        [{"s_hold": hold_id, "s_order": order_id} for hold_id, order_id in sold],
    )


async def return_sold_seats(
    uow: UnitOfWork, *, session_id: int, order_id: int, seat_keys: Sequence[str], now: datetime
) -> int:
    """Refunded seats of an order go back on sale, in one statement: to their client when its
    reservation runs on, else to general sale. Only seats still sold to that order move."""
    if not seat_keys:
        return 0
    back = case(
        (live_reservation(now), literal(SeatStatus.RESERVED.value)),
        else_=literal(SeatStatus.AVAILABLE.value),
    )
    seat_ids = select(Seat.id).join(SessionPlan, SessionPlan.seat_map_id == Seat.seat_map_id)
    result = await uow.session.execute(
        update(SessionSeat)
        .where(
            SessionSeat.session_id == session_id,
            SessionSeat.order_id == order_id,
            SessionSeat.status == SeatStatus.SOLD,
            SessionSeat.seat_id.in_(
                seat_ids.where(SessionPlan.session_id == session_id, Seat.key.in_(seat_keys))
            ),
        )
        .values(status=back, hold_id=None, order_id=None, hold_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

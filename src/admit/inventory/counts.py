"""Remaining-ticket counts and lowest prices for lists of sessions (one grouped query each)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select

from admit.catalog.models import Price, PriceLevel
from admit.clients.rules import NO_KEYS, ReservationKeys
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionGA, SessionSeat
from admit.inventory.rules import SeatStatus


def free_seat(
    now: datetime, seat: Any = SessionSeat, keys: ReservationKeys = NO_KEYS
) -> ColumnElement[bool]:
    """A seat the buyer with ``keys`` may hold now: available, held by a hold that has lapsed,
    or reserved — and no live reservation for a client or group the buyer does not buy for.
    With no keys (the public) that is what the availability map shows free, what the counts
    count and what a hold may claim (the claims here and in ``best_claims``, and
    ``admit_hold`` on PostgreSQL, migration 0033, which spells the same condition).
    ``seat``: ``SessionSeat`` or an alias of it."""
    state = or_(
        seat.status == SeatStatus.AVAILABLE,
        and_(seat.status == SeatStatus.HELD, seat.hold_expires_at <= now),
        seat.status == SeatStatus.RESERVED,
    )
    return and_(state, or_(not_(live_reservation(now, seat)), *_opened(keys, seat)))


def reserved_for_another(now: datetime, seat: Any, keys: ReservationKeys) -> ColumnElement[bool]:
    """Not sold or blocked, and reserved (live) for a client or group the buyer with ``keys``
    does not buy for: why a claim of it is refused with ``seat_reserved``."""
    return and_(
        seat.status.not_in([SeatStatus.SOLD, SeatStatus.BLOCKED]),
        live_reservation(now, seat),
        not_(or_(false(), *_opened(keys, seat))),
    )


def _opened(keys: ReservationKeys, seat: Any) -> list[ColumnElement[bool]]:
    """A reservation for one of the buyer's clients or groups (never NULL: two-valued) that
    the buyer may take through an ordinary sale: one with an end. A reservation with no end
    is a contract lock's (``channels.contract_locks``): its seats are sold only by
    collecting the lock, never to a buyer linked to the client (``admit_hold`` on
    PostgreSQL, migration 0045, spells the same)."""
    found: list[ColumnElement[bool]] = []
    ends = seat.reserved_until.is_not(None)
    if keys.clients:
        column = seat.reserved_client_id
        found.append(and_(ends, column.is_not(None), column.in_(sorted(keys.clients))))
    if keys.groups:
        column = seat.reserved_group_id
        found.append(and_(ends, column.is_not(None), column.in_(sorted(keys.groups))))
    return found


def live_reservation(now: datetime, seat: Any = SessionSeat) -> ColumnElement[bool]:
    """The seat is reserved for a client or a client group, and the reservation runs on."""
    return and_(
        or_(seat.reserved_client_id.is_not(None), seat.reserved_group_id.is_not(None)),
        or_(seat.reserved_until.is_(None), seat.reserved_until > now),
    )


async def remaining(
    uow: UnitOfWork, session_ids: Sequence[int], *, now: datetime
) -> dict[int, int]:
    """Seats anyone may hold now (expired holds and reservations count) plus free GA places."""
    by_level = await free_by_level(uow, session_ids, now=now)
    return {sid: sum(levels.values()) for sid, levels in by_level.items()}


async def free_by_level(
    uow: UnitOfWork, session_ids: Sequence[int], *, now: datetime
) -> dict[int, Counter[int | None]]:
    """Per session, the seats anyone may hold now and the free GA places, by price level id
    (``None``: seats and areas without a level, which no channel sells). Two grouped reads."""
    out: dict[int, Counter[int | None]] = {sid: Counter() for sid in session_ids}
    if not session_ids:
        return out
    seats = await uow.session.execute(
        select(SessionSeat.session_id, SessionSeat.price_level_id, func.count())
        .where(SessionSeat.session_id.in_(session_ids), free_seat(now))
        .group_by(SessionSeat.session_id, SessionSeat.price_level_id)
    )
    ga = await uow.session.execute(
        select(
            SessionGA.session_id,
            SessionGA.price_level_id,
            func.sum(SessionGA.capacity - SessionGA.held - SessionGA.sold),
        )
        .where(SessionGA.session_id.in_(session_ids))
        .group_by(SessionGA.session_id, SessionGA.price_level_id)
    )
    for sid, level, count in [*seats, *ga]:
        out[sid][level] += int(count or 0)
    return out


async def lowest_prices(uow: UnitOfWork, session_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    if not session_ids:
        return {}
    rows = await uow.session.execute(
        select(PriceLevel.session_id, Price.currency, func.min(Price.amount))
        .join(Price, Price.price_level_id == PriceLevel.id)
        .where(PriceLevel.session_id.in_(session_ids))
        .group_by(PriceLevel.session_id, Price.currency)
    )
    cheapest: dict[int, tuple[int, str]] = {}
    for sid, currency, amount in rows:
        cheapest[sid] = min(cheapest.get(sid, (amount, currency)), (amount, currency))
    return cheapest

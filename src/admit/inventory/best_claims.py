"""Claiming the best available seats at a price level (S5) while other buyers claim too: each
try is one statement that takes the first N seats of a wish list that are free and that no
running transaction holds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so a buyer never fails
on a seat someone else took between reading the plan and claiming. ``Search`` decides whether
to keep a claim (the chosen seats, or side by side in one row) or undo it (a savepoint) and
choose again; after a few tries — or when the seats not held by others are too few — one
claim that waits for the others settles it, in one lock order for every buyer. A hold fails
only when the level has fewer free seats than asked.

SQLite serialises writers from the first statement (``BEGIN IMMEDIATE``), so there the plan
read is already the truth and the first claim gets the chosen seats."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from admit.catalog.models import MapSection, PriceLevel, Seat
from admit.clients.rules import NO_KEYS, ReservationKeys
from admit.core.errors import InvalidInput
from admit.core.uow import UnitOfWork
from admit.inventory.best_available import Row, Search, Spot, choose
from admit.inventory.claims import SoldOut
from admit.inventory.counts import free_seat
from admit.inventory.models import SessionSeat
from admit.inventory.rules import SeatStatus

TRIES = 3  # claims that skip others' seats before the one that waits for them
SAVEPOINT = "best_available"


@dataclass(frozen=True, slots=True)
class LevelPlan:
    """The session's seats in rows (``free``: claimable now at the level), with each seat's
    session seat id."""

    rows: list[Row]
    ids: dict[str, int]  # seat key → session seat id

    @property
    def free(self) -> int:
        return sum(spot.free for row in self.rows for spot in row.spots)


async def level_id(uow: UnitOfWork, *, session_id: int, level_code: str) -> int:
    """The id of the session's price level. Raises ``InvalidInput``."""
    level = await uow.session.scalar(
        select(PriceLevel.id).where(
            PriceLevel.session_id == session_id, PriceLevel.code == level_code
        )
    )
    if level is None:
        raise InvalidInput(f"no price level {level_code!r} in this session")
    return int(level)


async def level_plan(
    uow: UnitOfWork,
    *,
    session_id: int,
    level: int,
    now: datetime,
    keys: ReservationKeys = NO_KEYS,
) -> LevelPlan:
    """The rows that have a seat free at the level to the buyer with ``keys``, ranked in map
    order (one read). A client's buyer may thus be given the client's reserved seats; the
    public never is."""
    rows = (
        await uow.session.execute(
            select(
                MapSection.sort,
                Seat.section_id,
                Seat.row_label,
                Seat.key,
                SessionSeat.id,
                and_(SessionSeat.price_level_id == level, free_seat(now, keys=keys)),
            )
            .join(SessionSeat, SessionSeat.seat_id == Seat.id)
            .join(MapSection, MapSection.id == Seat.section_id)
            .where(SessionSeat.session_id == session_id)
            .order_by(MapSection.sort, Seat.section_id, Seat.ordinal)
        )
    ).all()
    by_row: dict[tuple[int, int, str], list[Spot]] = {}
    ids: dict[str, int] = {}
    for sort, section, row_label, key, seat_id, free in rows:
        by_row.setdefault((sort, section, row_label), []).append(Spot(key, bool(free)))
        ids[key] = seat_id
    plan = [
        Row(rank, spots)
        for rank, spots in enumerate(by_row.values())
        if any(spot.free for spot in spots)
    ]
    return LevelPlan(plan, ids)


async def best_seats(
    uow: UnitOfWork, *, session_id: int, level_code: str, quantity: int, now: datetime
) -> list[str]:
    """The keys of the best ``quantity`` claimable seats at one price level, read but not
    claimed (a partner cinema's seats, locked there first); [] when not enough are free."""
    level = await level_id(uow, session_id=session_id, level_code=level_code)
    plan = await level_plan(uow, session_id=session_id, level=level, now=now)
    return choose(plan.rows, quantity)


@dataclass(frozen=True, slots=True)
class BestClaim:
    session_id: int
    level: int
    level_code: str
    quantity: int
    hold_id: int
    expires_at: datetime
    keys: ReservationKeys = NO_KEYS  # the buyer's: their clients' reserved seats count free


async def claim_best_seats(uow: UnitOfWork, claim: BestClaim, *, now: datetime) -> list[str]:
    """Hold the best ``claim.quantity`` seats free at the level for the hold; their keys,
    sorted. Raises ``SoldOut`` (409, with the number of seats available) only when fewer are
    free. The caller's transaction must not yet hold any seat of the session (the claim that
    waits relies on one lock order), and it rolls back on any error."""
    plan = await level_plan(
        uow, session_id=claim.session_id, level=claim.level, now=now, keys=claim.keys
    )
    if plan.free < claim.quantity:
        raise _sold_out(claim, plan.free)
    key_of = {seat_id: key for key, seat_id in plan.ids.items()}
    search = Search(plan.rows, claim.quantity, tries=TRIES)
    await uow.session.execute(text(f"SAVEPOINT {SAVEPOINT}"))
    while (wish := search.wish()) is not None:
        got = await _claim_first(uow, claim, [plan.ids[k] for k in wish], now)
        keys = [key_of[seat_id] for seat_id in got]
        if search.keep(keys):
            return sorted(keys)
        await uow.session.execute(text(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}"))
    got = await _claim_waiting(uow, claim, now)
    if len(got) < claim.quantity:
        raise _sold_out(claim, len(got))
    return sorted(key_of[seat_id] for seat_id in got)


def _sold_out(claim: BestClaim, available: int) -> SoldOut:
    return SoldOut(
        f"fewer than {claim.quantity} seats are left at level {claim.level_code}",
        details={"level": claim.level_code, "available": available},
    )


def _wish_list(uow: UnitOfWork, seat_ids: list[int]) -> tuple[Any, Any, Any]:
    """The wish list as a table of (session seat id, place in the list), bound as one value."""
    if uow.dialect == "postgresql":
        table = (
            func.unnest(literal(seat_ids, ARRAY(BigInteger)))
            .table_valued("id", with_ordinality="n")
            .render_derived()
        )
        return table, table.c.id, table.c.n
    table = func.json_each(json.dumps(seat_ids)).table_valued("key", "value")
    return table, table.c.value, table.c.key


async def _claim_first(
    uow: UnitOfWork, claim: BestClaim, seat_ids: list[int], now: datetime
) -> list[int]:
    """One statement: the first ``quantity`` seats of the list that are claimable and held by
    no running transaction become the hold's. Never waits."""
    seat = aliased(SessionSeat)
    wishes, wish_id, place = _wish_list(uow, seat_ids)
    first = (
        select(seat.id)
        .join(wishes, wish_id == seat.id)
        .where(
            seat.session_id == claim.session_id,
            seat.price_level_id == claim.level,
            free_seat(now, seat, claim.keys),
        )
        .order_by(place)
        .limit(claim.quantity)
        .with_for_update(of=seat, skip_locked=True)
    )
    return await _hold(uow, claim, first)


async def _claim_waiting(uow: UnitOfWork, claim: BestClaim, now: datetime) -> list[int]:
    """One statement: the first ``quantity`` claimable seats of the level in plan order become
    the hold's, waiting for transactions that hold some of them (a seat they end up taking is
    passed over). Every buyer locks in plan order, so two waiting claims cannot deadlock."""
    seat = aliased(SessionSeat)
    first = (
        select(seat.id)
        .where(
            seat.session_id == claim.session_id,
            seat.price_level_id == claim.level,
            free_seat(now, seat, claim.keys),
        )
        .order_by(seat.ordinal)
        .limit(claim.quantity)
        .with_for_update(of=seat)
    )
    return await _hold(uow, claim, first)


async def _hold(uow: UnitOfWork, claim: BestClaim, first: Any) -> list[int]:
    result = await uow.session.execute(
        update(SessionSeat)
        .where(SessionSeat.id.in_(first))
        .values(status=SeatStatus.HELD, hold_id=claim.hold_id, hold_expires_at=claim.expires_at)
        .returning(SessionSeat.id),
        execution_options={"synchronize_session": False},
    )
    return [int(seat_id) for seat_id in result.scalars()]

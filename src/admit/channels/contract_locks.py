"""Locking for a contract client (S5, issue 19 item 2): a rep locks a **quantity** of a
session's price level, then **seats** against it.

A quantity lock takes from three things in ONE transaction, always in this order:

1. the contract total — ``UPDATE contract_total_quota SET locked = locked + n WHERE
   locked + n <= quota`` (no row: 409 ``no_contract_quota``; no room: 409
   ``contract_quota_exceeded``);
2. the client's quota — the same on ``contract_client_quota`` (409 ``no_client_quota`` /
   ``client_quota_exceeded``);
3. the session's availability — the session plan's row lock, then ``n`` free sellable seats
   of the level (``FOR UPDATE SKIP LOCKED``, in plan order) become reserved for the client
   with no end (409 ``session_unavailable`` when fewer are free).

A conditional ``UPDATE`` on PostgreSQL waits for a concurrent one on the same row and then
re-checks its condition against the committed value, so racing reps can never take a quota
past its bound; any refusal raises and rolls the whole transaction back, quotas included.
Every locker takes the rows in the same order (total, client, plan, seats) and never waits
on a seat (``SKIP LOCKED``), so two lockers cannot deadlock — nor a lock and a hold, which
updates seats and then the plan but never waits on a quota row.

Locking seats turns part of a quantity into named seats: seats reserved for the client, of
the lock's level, in no other lock; ``seated`` grows by a conditional ``UPDATE`` under the
lock's row lock (409 ``lock_quantity_exceeded``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update

from admit.catalog.models import Seat
from admit.channels.contract_models import (
    ContractClientQuota,
    ContractLock,
    ContractLockSeat,
    ContractTotalQuota,
)
from admit.channels.contract_quotas import level_of
from admit.clients.directory import get_client
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionSeat
from admit.inventory.plans import get_plan, write_states
from admit.inventory.rules import Category, SeatStatus


class NoContractQuota(Conflict):
    code = "no_contract_quota"


class ContractQuotaExceeded(Conflict):
    code = "contract_quota_exceeded"


class NoClientQuota(Conflict):
    code = "no_client_quota"


class ClientQuotaExceeded(Conflict):
    code = "client_quota_exceeded"


class SessionUnavailable(Conflict):
    code = "session_unavailable"


class LockQuantityExceeded(Conflict):
    code = "lock_quantity_exceeded"


class SeatsNotLockable(Conflict):
    code = "seats_not_lockable"


class LockCollected(Conflict):
    code = "lock_collected"


MAX_QUANTITY = 10_000


async def lock_quantity(
    uow: UnitOfWork,
    *,
    client_id: int,
    session_id: int,
    level: str,
    quantity: int,
    rep_id: int,
    now: datetime,
) -> ContractLock:
    """Lock ``quantity`` of the level for the client (see the module docstring). Raises
    ``NotFound`` (client, session, level), ``InvalidInput`` and the 409s above."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"a quantity is 1 to {MAX_QUANTITY}", details={"field": "quantity"})
    await get_client(uow, client_id)
    level_id = await level_of(uow, session_id, level)
    total = (ContractTotalQuota.price_level_id == level_id,)
    await _take(uow, ContractTotalQuota, total, quantity, NoContractQuota, ContractQuotaExceeded)
    own = (
        ContractClientQuota.client_id == client_id,
        ContractClientQuota.price_level_id == level_id,
    )
    await _take(uow, ContractClientQuota, own, quantity, NoClientQuota, ClientQuotaExceeded)
    plan = await get_plan(uow, session_id, lock=True)
    seats = list(
        await uow.session.scalars(
            select(SessionSeat)
            .where(
                SessionSeat.session_id == session_id,
                SessionSeat.price_level_id == level_id,
                SessionSeat.status == SeatStatus.AVAILABLE,
                SessionSeat.category == Category.SELLABLE,
                SessionSeat.excluded.is_(False),
                SessionSeat.unusable.is_(False),
                SessionSeat.reserved_client_id.is_(None),
                SessionSeat.reserved_group_id.is_(None),
            )
            .order_by(SessionSeat.ordinal)
            .limit(quantity)
            .with_for_update(skip_locked=True)
        )
    )
    if len(seats) < quantity:
        raise SessionUnavailable(
            f"{len(seats)} seats of level {level} are free; {quantity} asked",
            details={"available": len(seats)},
        )
    await write_states(
        uow,
        plan,
        seats,
        now,
        {"reserved_client_id": client_id, "reserved_group_id": None, "reserved_until": None},
    )
    lock = ContractLock(
        client_id=client_id,
        session_id=session_id,
        price_level_id=level_id,
        quantity=quantity,
        seated=0,
        rep_id=rep_id,
        created_at=now,
    )
    uow.session.add(lock)
    await uow.session.flush()
    await audit.record(
        uow,
        action="contract.quantity_locked",
        entity_type="contract_lock",
        entity_id=lock.id,
        data={
            "client_id": client_id,
            "session_id": session_id,
            "level": level,
            "quantity": quantity,
        },
        now=now,
    )
    return lock


async def _take(
    uow: UnitOfWork,
    table: type[ContractTotalQuota] | type[ContractClientQuota],
    where: tuple[Any, ...],
    quantity: int,
    missing: type[Conflict],
    exceeded: type[Conflict],
) -> None:
    """``locked += quantity`` on the one quota row ``where`` names, only within its quota."""
    taken = await uow.session.execute(
        update(table)
        .where(*where, table.locked + quantity <= table.quota)
        .values(locked=table.locked + quantity),
        execution_options={"synchronize_session": False},
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return
    row = (await uow.session.execute(select(table.quota, table.locked).where(*where))).first()
    if row is None:
        raise missing("no contract quota is set for this level")
    quota, locked = row
    raise exceeded(
        f"{quota - locked} left of a quota of {quota}; {quantity} asked",
        details={"quota": quota, "locked": locked, "asked": quantity},
    )


async def lock_row(uow: UnitOfWork, *, client_id: int, lock_id: int) -> ContractLock:
    """The client's lock, row-locked for a change; 404 for another client's or none."""
    lock = await uow.session.scalar(
        select(ContractLock)
        .where(ContractLock.id == lock_id, ContractLock.client_id == client_id)
        .with_for_update()
    )
    if lock is None:
        raise NotFound(f"client {client_id} has no lock {lock_id}")
    return lock


def open_lock(lock: ContractLock) -> None:
    if lock.collected_at is not None:
        raise LockCollected("the lock's tickets are collected: it no longer changes")


async def lock_seats(
    uow: UnitOfWork, *, client_id: int, lock_id: int, seat_keys: Sequence[str], now: datetime
) -> ContractLock:
    """Name seats of the lock's quantity: seats of the session reserved for the client by a
    lock (no end date), of the lock's level, in no lock yet. All or nothing. Raises
    ``NotFound``, ``InvalidInput``, ``SeatsNotLockable``, ``LockQuantityExceeded``,
    ``LockCollected``."""
    keys = list(dict.fromkeys(seat_keys))
    if not keys or len(keys) != len(seat_keys):
        raise InvalidInput("name each seat once", details={"field": "seats"})
    lock = await lock_row(uow, client_id=client_id, lock_id=lock_id)
    open_lock(lock)
    rows = (
        await uow.session.execute(
            select(SessionSeat, Seat.key)
            .join(Seat, Seat.id == SessionSeat.seat_id)
            .where(SessionSeat.session_id == lock.session_id, Seat.key.in_(keys))
            .order_by(SessionSeat.ordinal)
            .with_for_update(of=SessionSeat)
        )
    ).all()
    found = {key for _, key in rows}
    if unknown := [k for k in keys if k not in found]:
        raise NotFound("the session has no such seats", details={"seats": unknown})
    in_locks = set(
        await uow.session.scalars(
            select(ContractLockSeat.session_seat_id).where(
                ContractLockSeat.session_seat_id.in_([s.id for s, _ in rows])
            )
        )
    )
    refused = [
        key
        for seat, key in rows
        if seat.status != SeatStatus.RESERVED
        or seat.reserved_client_id != client_id
        or seat.reserved_until is not None  # the plan's reservations end; a lock's never do
        or seat.price_level_id != lock.price_level_id
        or seat.id in in_locks
    ]
    if refused:
        raise SeatsNotLockable(
            "only seats reserved for the client, of the lock's level and in no lock",
            details={"seats": refused},
        )
    grown = await uow.session.execute(
        update(ContractLock)
        .where(ContractLock.id == lock.id, ContractLock.seated + len(keys) <= ContractLock.quantity)
        .values(seated=ContractLock.seated + len(keys)),
        execution_options={"synchronize_session": False},
    )
    if grown.rowcount != 1:  # type: ignore[attr-defined]
        raise LockQuantityExceeded(
            f"{lock.quantity - lock.seated} of the lock's {lock.quantity} are left to seat",
            details={"quantity": lock.quantity, "seated": lock.seated},
        )
    await uow.session.execute(
        insert(ContractLockSeat),
        [{"session_seat_id": s.id, "lock_id": lock.id, "seat_key": k} for s, k in rows],
    )
    await uow.session.refresh(lock)
    await audit.record(
        uow,
        action="contract.seats_locked",
        entity_type="contract_lock",
        entity_id=lock.id,
        data={"client_id": client_id, "seats": [k for _, k in rows]},
        now=now,
    )
    return lock


async def release_unseated(
    uow: UnitOfWork, *, client_id: int, lock_id: int, now: datetime
) -> ContractLock:
    """Give back the part of the lock that has no seat yet: its quantity becomes what is
    seated, the quotas' ``locked`` fall by the rest, and as many of the client's contract
    seats of the level that no lock names go back on sale. Rows are taken in the order a
    lock takes them (total, client, plan, seats). Raises ``NotFound``, ``LockCollected``."""
    lock = await lock_row(uow, client_id=client_id, lock_id=lock_id)
    open_lock(lock)
    rest = lock.quantity - lock.seated
    if rest == 0:
        return lock
    for table, where in (
        (ContractTotalQuota, (ContractTotalQuota.price_level_id == lock.price_level_id,)),
        (
            ContractClientQuota,
            (
                ContractClientQuota.client_id == client_id,
                ContractClientQuota.price_level_id == lock.price_level_id,
            ),
        ),
    ):
        await uow.session.execute(
            update(table).where(*where).values(locked=table.locked - rest),
            execution_options={"synchronize_session": False},
        )
    plan = await get_plan(uow, lock.session_id, lock=True)
    named = select(ContractLockSeat.session_seat_id)
    seats = list(
        await uow.session.scalars(
            select(SessionSeat)
            .where(
                SessionSeat.session_id == lock.session_id,
                SessionSeat.price_level_id == lock.price_level_id,
                SessionSeat.status == SeatStatus.RESERVED,
                SessionSeat.reserved_client_id == client_id,
                SessionSeat.reserved_until.is_(None),
                SessionSeat.id.not_in(named),
            )
            .order_by(SessionSeat.ordinal.desc())
            .limit(rest)
            .with_for_update(skip_locked=True)  # never wait on a seat while holding the plan
        )
    )
    await write_states(
        uow,
        plan,
        seats,
        now,
        {"reserved_client_id": None, "reserved_group_id": None, "reserved_until": None},
    )
    lock.quantity = lock.seated
    await uow.session.flush()
    await audit.record(
        uow,
        action="contract.lock_released",
        entity_type="contract_lock",
        entity_id=lock.id,
        data={"client_id": client_id, "released": rest, "seats_freed": len(seats)},
        now=now,
    )
    return lock


async def seats_of(uow: UnitOfWork, lock_ids: Sequence[int]) -> dict[int, list[ContractLockSeat]]:
    """Each lock's seats, in key order."""
    found: dict[int, list[ContractLockSeat]] = {i: [] for i in lock_ids}
    for row in await uow.session.scalars(
        select(ContractLockSeat)
        .where(ContractLockSeat.lock_id.in_(list(lock_ids)))
        .order_by(ContractLockSeat.lock_id, ContractLockSeat.seat_key)
    ):
        found[row.lock_id].append(row)
    return found


async def locks_of(
    uow: UnitOfWork, *, client_id: int, session_id: int | None = None
) -> list[ContractLock]:
    """The client's locks, newest first (of one session when asked)."""
    await get_client(uow, client_id)
    query = select(ContractLock).where(ContractLock.client_id == client_id)
    if session_id is not None:
        query = query.where(and_(ContractLock.session_id == session_id))
    return list(await uow.session.scalars(query.order_by(ContractLock.id.desc()).limit(500)))

"""Seats reserved for a client or a client group until a date (INV3): only the buyers linked
to it may hold them until then (``client_reservations``), then they return to general sale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from admit.clients.models import Client, ClientGroup
from admit.core import audit
from admit.core.errors import InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionSeat
from admit.inventory.plans import SeatsNotChangeable, get_plan, selected, write_states
from admit.inventory.rules import Category, SeatStatus
from admit.inventory.selection import SeatSelector


@dataclass(frozen=True, slots=True)
class ReservedFor:
    """Whom seats are reserved for: one client or one client group."""

    client_id: int | None = None
    group_id: int | None = None

    def __post_init__(self) -> None:
        if (self.client_id is None) == (self.group_id is None):
            raise InvalidInput("reserve seats for a client or for a client group")


async def reserve_seats(
    uow: UnitOfWork,
    *,
    session_id: int,
    selector: SeatSelector,
    reserved_for: ReservedFor,
    until: datetime,
    now: datetime,
) -> int:
    """Reserve sellable seats that nobody holds for a client or group until ``until``; all or
    nothing. Raises ``NotFound`` (no such client or group) or ``SeatsNotChangeable`` (409)
    listing seats that are held, sold, blocked or reserved for another."""
    if until <= now:
        raise InvalidInput("a reservation must end in the future")
    name = await _holder_name(uow, reserved_for)
    plan = await get_plan(uow, session_id, lock=True)
    rows = await selected(uow, session_id, selector)
    refused = [
        key
        for seat, key in rows
        if seat.category != Category.SELLABLE
        or seat.excluded
        or seat.unusable
        or seat.status not in (SeatStatus.AVAILABLE, SeatStatus.RESERVED)
        or _reserved_for_another(seat, reserved_for, now)
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
        {
            "reserved_client_id": reserved_for.client_id,
            "reserved_group_id": reserved_for.group_id,
            "reserved_until": until,
        },
    )
    await audit.record(
        uow,
        action="plan.reserved",
        entity_type="session",
        entity_id=session_id,
        data={
            "client_id": reserved_for.client_id,
            "group_id": reserved_for.group_id,
            "for": name,
            "until": until.isoformat(),
            "seats": [k for _, k in rows],
        },
        now=now,
    )
    return len(rows)


async def _holder_name(uow: UnitOfWork, reserved_for: ReservedFor) -> str:
    if reserved_for.client_id is not None:
        client = await uow.session.get(Client, reserved_for.client_id)
        if client is None:
            raise NotFound(f"client {reserved_for.client_id} does not exist")
        return client.name
    group = await uow.session.get(ClientGroup, reserved_for.group_id)
    if group is None:
        raise NotFound(f"client group {reserved_for.group_id} does not exist")
    return group.name


def _reserved_for_another(seat: SessionSeat, reserved_for: ReservedFor, now: datetime) -> bool:
    live = seat.reserved_until is None or seat.reserved_until > now
    same = (seat.reserved_client_id, seat.reserved_group_id) == (
        reserved_for.client_id,
        reserved_for.group_id,
    )
    return seat.status == SeatStatus.RESERVED and live and not same


async def release_reservation(
    uow: UnitOfWork, *, session_id: int, selector: SeatSelector, now: datetime
) -> int:
    """Give reserved seats back to general sale (seats not reserved are left as they are; a
    seat the client's buyer holds or bought stays theirs)."""
    plan = await get_plan(uow, session_id, lock=True)
    rows = [
        (s, k)
        for s, k in await selected(uow, session_id, selector)
        if s.reserved_client_id is not None or s.reserved_group_id is not None
    ]
    await write_states(
        uow,
        plan,
        (seat for seat, _ in rows),
        now,
        {"reserved_client_id": None, "reserved_group_id": None, "reserved_until": None},
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

"""Pure rules of seat categories and resting states (INV0, INV3). No I/O."""

from __future__ import annotations

import enum
from datetime import datetime


class Category(enum.StrEnum):
    SELLABLE = "sellable"
    REGISTERED = "registered"  # accreditation: tickets with no price
    OCCUPIED = "occupied"  # press, cameras
    EMERGENCY = "emergency"  # kept back; may still be released after confirmation


class SeatStatus(enum.StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"
    BLOCKED = "blocked"
    RESERVED = "reserved"


# Statuses a plan change may rewrite: a seat held or sold belongs to a buyer.
RESTING = frozenset({SeatStatus.AVAILABLE, SeatStatus.BLOCKED, SeatStatus.RESERVED})

# One character per status in the compact availability string.
STATUS_CODE = {
    SeatStatus.AVAILABLE: "a",
    SeatStatus.HELD: "h",
    SeatStatus.SOLD: "s",
    SeatStatus.BLOCKED: "b",
    SeatStatus.RESERVED: "r",
}


class CategoryLocked(ValueError):
    """After confirmation, only seats confirmed as emergency may change category."""


def resting_status(
    *,
    category: str,
    excluded: bool,
    unusable: bool,
    reserved_client_id: int | None,
    reserved_group_id: int | None,
    reserved_until: datetime | None,
    now: datetime,
) -> SeatStatus:
    """The status of a seat nobody holds: what the plan's settings make of it."""
    if unusable or excluded or category != Category.SELLABLE:
        return SeatStatus.BLOCKED
    reserved = reserved_client_id is not None or reserved_group_id is not None
    if reserved and (reserved_until is None or reserved_until > now):
        return SeatStatus.RESERVED
    return SeatStatus.AVAILABLE


def check_category_change(
    *, confirmed: bool, confirmed_category: str | None, current: str, new: str, status: str
) -> None:
    """Raise :class:`CategoryLocked` or :class:`ValueError` when the change is not allowed.

    Before confirmation any seat nobody holds may take any category. After it, a seat confirmed
    as emergency may move between emergency and sellable (released for sale or kept back);
    every other seat keeps its category."""
    if new == current:
        return
    if status not in RESTING:
        raise ValueError(f"the seat is {status}: its category cannot change")
    if not confirmed:
        return
    if confirmed_category != Category.EMERGENCY:
        raise CategoryLocked("the plan is confirmed: only emergency seats may change category")
    if new not in (Category.EMERGENCY, Category.SELLABLE):
        raise CategoryLocked("after confirmation an emergency seat may only become sellable")

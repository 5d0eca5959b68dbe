"""What a buyer asks to hold: seats by key, general-admission places, or the best seats of a
price level. Its own module so that what the sale hands to an outside inventory
(``sales.outside_inventory``) names it without importing the hold code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class HoldRequest:
    session_id: int
    buyer: str
    channel: str
    seat_keys: Sequence[str] = ()
    places: Sequence[tuple[str, int]] = field(default=())  # (GA area code, quantity)
    outlet: str | None = None
    idempotency_key: str | None = None
    best: tuple[str, int] | None = None  # (price level code, quantity): we choose the seats

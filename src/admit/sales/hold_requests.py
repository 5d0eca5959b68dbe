"""What a buyer asks to hold — seats by key, general-admission places, or the best seats of a
price level — and the hold they get. Its own module so that what the sale hands to an outside
inventory (``sales.outside_inventory``) names it without importing the hold code, and so that
both ways of placing a hold (``sales.holds``, ``sales.hold_statement``) answer alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from admit.clients.rules import ReservationKeys


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
    # The clients and client groups the buyer buys for (their reserved seats are the buyer's
    # to hold); ``None``: ``holds.hold_seats`` looks them up by ``buyer``.
    keys: ReservationKeys | None = None


@dataclass(frozen=True, slots=True)
class HoldSummary:
    """A hold as its placer sees it: what the answer to a hold needs, assembled from what the
    hold's statement returned (no ORM object is built on the hot path)."""

    id: int
    session_id: int
    buyer: str
    status: str
    quantity: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Placed:
    hold: HoldSummary
    seats: tuple[str, ...]  # the seats' keys
    replayed: bool  # an earlier hold returned for a repeated ``idempotency_key``: read its seats

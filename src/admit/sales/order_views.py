"""What an order is made of and how its buyer sees it: the lines asked for, and the order
with its lines as the order routes answer it (built from ``admit_order``'s row or from the
ORM's objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LineInput:
    ticket_type: str
    seat: str | None = None
    area: str | None = None
    holder: int | None = None  # a verified identity linked to the buyer


@dataclass(frozen=True, slots=True)
class LineView:
    seat: str | None
    area: str | None
    ticket_type: str
    amount: int
    holder: str | None  # the holder's masked name


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as its buyer sees it, with its lines in order: what the order routes answer,
    built from the one statement's row or from the ORM's objects (``view_of``)."""

    number: str
    session_id: int
    status: str
    total: int
    currency: str
    pay_by: datetime
    paid_at: datetime | None
    pickup_code: str | None
    lines: tuple[LineView, ...]

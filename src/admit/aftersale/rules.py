"""What a refund policy allows and keeps (S11, G11), as pure rules: whether an order may be
refunded now, and the fee on each ticket. No I/O.

The fee on a ticket is ``fee_fixed`` plus a percentage of its price: ``fee_percent_bp``, or,
when tiers are set, the tier of the nearest threshold at or above the hours left before the
session (tiers ``[[24, 2000], [72, 1000]]``: 20 % within a day of the session, 10 % within
three days, ``fee_percent_bp`` before that). Percentages are rounded half up to the fen; a fee
never exceeds the ticket's price."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

BASIS_POINTS = 10_000


@dataclass(frozen=True, slots=True)
class Terms:
    paid_before: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    fee_fixed: int
    fee_percent_bp: int
    fee_tiers: Sequence[tuple[int, int]]  # (hours before the session, basis points)


def refusal(
    terms: Terms | None, *, paid_at: datetime | None, session_starts: datetime, now: datetime
) -> str | None:
    """Why an order paid at ``paid_at`` may not be refunded now (a machine-readable code), or
    None when it may. Refunds close when the session starts unless the policy says later (a
    cancelled session's)."""
    if terms is None or terms.closed_at is not None:
        return "refunds_closed"
    if terms.closes_at is not None and now >= terms.closes_at:
        return "refunds_closed"
    if terms.closes_at is None and now >= session_starts:
        return "refunds_closed"
    if paid_at is None or paid_at > terms.paid_before:
        return "order_not_eligible"
    return None


def percent_of(amount: int, basis_points: int) -> int:
    """``amount × basis_points / 10 000`` rounded half up (non-negative integers)."""
    return (2 * amount * basis_points + BASIS_POINTS) // (2 * BASIS_POINTS)


def fee_rate(terms: Terms, *, session_starts: datetime, now: datetime) -> int:
    hours_left = (session_starts - now).total_seconds() / 3600
    for hours, rate in sorted(terms.fee_tiers):
        if hours_left <= hours:
            return rate
    return terms.fee_percent_bp


def ticket_fee(terms: Terms, price: int, *, session_starts: datetime, now: datetime) -> int:
    """The part of a ticket's ``price`` the policy keeps."""
    rate = fee_rate(terms, session_starts=session_starts, now=now)
    return min(price, terms.fee_fixed + percent_of(price, rate))

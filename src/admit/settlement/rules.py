"""The arithmetic of a settlement (pure): a party's share of its base, and the organiser's
remainder. Rounding: each party's percentage is rounded half-even to the fen on its own, and
whatever the rounding leaves goes to the organiser — so the shares of a period always add up
to its net takings exactly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BASIS = 10_000  # percentages are in basis points: 250 = 2.5 %


def half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half to even, in integers (no float ever)."""
    quotient, remainder = divmod(numerator, denominator)  # floor division, remainder ≥ 0
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


@dataclass(frozen=True, slots=True)
class Terms:
    percent_bp: int = 0
    per_ticket: int = 0


def share(terms: Terms, *, base: int, tickets: int) -> int:
    """A party's share: its percentage of ``base`` (gross net of refunds; negative when a
    period's refunds exceed its sales, and then the party gives back), plus the fixed fee."""
    return half_even(base * terms.percent_bp, BASIS) + terms.per_ticket * tickets


def organiser_remainder(net: int, shares: Iterable[int]) -> int:
    """What stays with the organiser: the period's net less every other party's share."""
    return net - sum(shares)

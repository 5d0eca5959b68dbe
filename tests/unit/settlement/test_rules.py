"""The settlement's arithmetic (pure): half-even rounding in integers agrees with exact
rational rounding for every sign, and the organiser's remainder makes the shares add up."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from admit.settlement.rules import Terms, half_even, organiser_remainder, share

MONEY = st.integers(-(10**12), 10**12)
BP = st.integers(0, 10_000)


@given(MONEY, st.integers(1, 10**6))
def test_half_even_is_exact_rounding(numerator: int, denominator: int) -> None:
    assert half_even(numerator, denominator) == round(Fraction(numerator, denominator))


def test_halves_go_to_the_even_fen() -> None:
    assert [half_even(n, 10) for n in (5, 15, 25, -5, -15, 14, 16)] == [0, 2, 2, 0, -2, 1, 2]


@given(MONEY, st.lists(st.tuples(BP, st.integers(0, 500), st.integers(0, 1000)), max_size=6))
def test_the_shares_add_up_to_the_net(net: int, parties: list[tuple[int, int, int]]) -> None:
    shares = [share(Terms(bp, fee), base=net, tickets=n) for bp, fee, n in parties]
    assert organiser_remainder(net, shares) + sum(shares) == net


def test_a_share_is_its_percentage_plus_its_fee() -> None:
    # 2.5 % of 18 999 = 474.975 → 475; plus 3 tickets × 50.
    assert share(Terms(250, 50), base=18_999, tickets=3) == 475 + 150
    assert share(Terms(1000, 0), base=-2000, tickets=0) == -200  # refunds give back

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from admit.sales.rules import SaleState, channel_left, quota_from_ratio, sale_state
from admit.sales.selling import seats_text

START = datetime(2026, 12, 1, 10, tzinfo=UTC)
END = START + timedelta(days=3)


@pytest.mark.parametrize(
    ("now", "enabled", "expected"),
    [
        (START - timedelta(seconds=1), True, SaleState.NOT_YET),
        (START, True, SaleState.ON_SALE),
        (END - timedelta(seconds=1), True, SaleState.ON_SALE),
        (END, True, SaleState.ENDED),
        (START + timedelta(hours=1), False, SaleState.CLOSED),
    ],
)
def test_sale_state(now: datetime, enabled: bool, expected: SaleState) -> None:
    assert sale_state(starts_at=START, ends_at=END, enabled=enabled, now=now) == expected


def test_quota_from_ratio_rounds_down_to_whole_tickets() -> None:
    assert quota_from_ratio(1000, Fraction("0.3")) == 300
    assert quota_from_ratio(7, Fraction(1, 3)) == 2
    assert quota_from_ratio(7, Fraction(1)) == 7
    with pytest.raises(ValueError, match="ratio"):
        quota_from_ratio(10, Fraction(3, 2))


def test_what_a_channel_may_still_sell_per_level() -> None:
    free = {1: 10, 2: 3, 3: 7, None: 4}  # level 3 has no quota; None: seats without a level
    quota_left = {1: 2, 2: 8, 4: 5}  # level 4 has nothing free
    assert channel_left(free, quota_left) == {1: 2, 2: 3, 4: 0}
    assert channel_left(free, {1: -1}) == {1: 0}  # an overdrawn quota sells nothing
    assert channel_left(free, {}) == {}  # a window without quotas sells no level


@pytest.mark.parametrize(
    ("labels", "text"),
    [
        (["Hall 1 · Row A · Seat 5", "Hall 1 · Row A · Seat 6"], "Hall 1 Row A Seats 5, 6"),
        (["Section 107 · Row 11 · Seat 3"], "Sec 107 Row 11 Seat 3"),
        (
            ["Section 107 · Row 11 · Seat 3", "Section 107 · Row 12 · Seat 3"],
            "Sec 107 Row 11 Seat 3 +1 more",
        ),
        (["Floor (standing)", "Floor (standing)"], "Floor (standing) ×2"),
    ],
)
def test_seats_in_a_short_message_name_the_row_once(labels: list[str], text: str) -> None:
    assert seats_text(labels) == text
    assert len(text) <= 35  # a carrier's cap on one template variable

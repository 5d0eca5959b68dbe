from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from admit.sales.rules import SaleState, quota_from_ratio, sale_state

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

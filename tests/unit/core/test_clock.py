from datetime import UTC, datetime, timedelta, timezone

import pytest

from admit.core.clock import FixedClock, SystemClock, as_utc


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(minutes=15))
    assert clock.now() == datetime(2026, 1, 1, 0, 15, tzinfo=UTC)


def test_naive_times_are_refused_and_system_time_is_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001
    assert SystemClock().now().tzinfo is UTC


def test_as_utc_normalises() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert as_utc(datetime(2026, 1, 1, 8, tzinfo=shanghai)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert as_utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)  # noqa: DTZ001

"""How a counter is split into slices and which slice a hold uses."""

from __future__ import annotations

from admit.core.sliced_counters import (
    MAX_SLICES,
    PLACES_PER_SLICE,
    home_slice,
    slice_rows,
    slices_for,
    spread,
)


def test_small_counters_stay_whole_and_large_ones_get_at_most_the_maximum() -> None:
    assert slices_for(0) == slices_for(PLACES_PER_SLICE - 1) == 1
    assert slices_for(2 * PLACES_PER_SLICE) == 2
    assert slices_for(10_000) == MAX_SLICES


def test_spread_adds_up_and_differs_by_at_most_one() -> None:
    for total in (0, 1, 7, 100, 10_001):
        for slices in (1, 3, 16):
            parts = spread(total, slices)
            assert len(parts) == slices
            assert sum(parts) == total
            assert max(parts) - min(parts) <= 1


def test_new_slices_hold_the_total_with_nothing_taken() -> None:
    rows = slice_rows(7, 100, 6)
    assert [r["slice"] for r in rows] == list(range(6))
    assert sum(r["capacity"] for r in rows) == 100
    assert {(r["counter_id"], r["held"], r["sold"]) for r in rows} == {(7, 0, 0)}


def test_consecutive_holds_land_on_different_slices() -> None:
    assert [home_slice(hold_id, 4) for hold_id in range(100, 108)] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert home_slice(12345, 1) == 0

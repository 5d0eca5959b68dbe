from datetime import UTC, datetime, timedelta

import pytest

from admit.inventory.rules import (
    Category,
    CategoryLocked,
    SeatStatus,
    check_category_change,
    resting_status,
)

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _rest(**overrides: object) -> SeatStatus:
    args: dict[str, object] = {
        "category": "sellable",
        "excluded": False,
        "unusable": False,
        "reserved_client_id": None,
        "reserved_group_id": None,
        "reserved_until": None,
        "now": NOW,
    }
    args.update(overrides)
    return resting_status(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, SeatStatus.AVAILABLE),
        ({"category": "occupied"}, SeatStatus.BLOCKED),
        ({"category": "emergency"}, SeatStatus.BLOCKED),
        ({"excluded": True}, SeatStatus.BLOCKED),
        ({"unusable": True, "reserved_client_id": 1}, SeatStatus.BLOCKED),
        ({"reserved_client_id": 1, "reserved_until": NOW + timedelta(days=1)}, SeatStatus.RESERVED),
        ({"reserved_group_id": 1, "reserved_until": NOW + timedelta(days=1)}, SeatStatus.RESERVED),
        ({"reserved_client_id": 1, "reserved_until": NOW}, SeatStatus.AVAILABLE),
        ({"reserved_until": NOW + timedelta(days=1)}, SeatStatus.AVAILABLE),
    ],
)
def test_resting_status(overrides: dict[str, object], expected: SeatStatus) -> None:
    assert _rest(**overrides) == expected


def test_before_confirmation_any_free_seat_may_change() -> None:
    for new in Category:
        check_category_change(
            confirmed=False,
            confirmed_category=None,
            current="sellable",
            new=new,
            status="available",
        )


@pytest.mark.parametrize("status", ["held", "sold"])
def test_a_held_or_sold_seat_keeps_its_category(status: str) -> None:
    with pytest.raises(ValueError, match=status):
        check_category_change(
            confirmed=False,
            confirmed_category=None,
            current="sellable",
            new="occupied",
            status=status,
        )


def test_after_confirmation_only_emergency_seats_move_and_only_to_sellable() -> None:
    check_category_change(
        confirmed=True,
        confirmed_category="emergency",
        current="emergency",
        new="sellable",
        status="blocked",
    )
    check_category_change(
        confirmed=True,
        confirmed_category="emergency",
        current="sellable",
        new="emergency",
        status="available",
    )
    with pytest.raises(CategoryLocked):
        check_category_change(
            confirmed=True,
            confirmed_category="emergency",
            current="emergency",
            new="occupied",
            status="blocked",
        )
    with pytest.raises(CategoryLocked):
        check_category_change(
            confirmed=True,
            confirmed_category="sellable",
            current="sellable",
            new="emergency",
            status="available",
        )

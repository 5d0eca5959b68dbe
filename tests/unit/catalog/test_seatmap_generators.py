"""Demo seat maps: exact shapes of the cinema hall and the stadium bowl, validity and speed."""

from __future__ import annotations

import math

import pytest

from admit.catalog.seatmap_generators import cinema_hall, stadium_bowl
from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec
from admit.catalog.seatmap_validate import validate_spec


def _by_key(spec: SeatMapSpec) -> dict[str, SeatSpec]:
    return {seat.key: seat for seat in spec.seats}


def _with(spec: SeatMapSpec, attribute: str) -> set[str]:
    return {seat.key for seat in spec.seats if attribute in seat.attributes}


def test_cinema_hall_defaults() -> None:
    hall = cinema_hall()
    assert hall.name == "Hall 1"
    assert hall.levels == (LevelSpec("L1", "Stalls"),)
    assert hall.sections == (SectionSpec("HALL", "Hall", "L1"),)
    assert hall.ga_areas == ()
    assert len(hall.seats) == 204
    assert len(_by_key(hall)) == 204
    assert [seat.row for seat in hall.seats[::17]] == list("ABCDEFGHJKLM")
    assert [seat.number for seat in hall.seats[:17]] == [str(n) for n in range(1, 18)]
    assert _with(hall, "accessible") == {"L1-HALL-M-1", "L1-HALL-M-17"}
    assert _with(hall, "obstructed") == {"L1-HALL-A-1", "L1-HALL-A-17"}
    assert hall.capacity == 204


def test_cinema_hall_geometry_has_a_centre_aisle_and_rows_away_from_the_screen() -> None:
    seats = _by_key(cinema_hall())
    assert (seats["L1-HALL-A-1"].x, seats["L1-HALL-A-1"].y) == (10.0, 30.0)
    assert (seats["L1-HALL-B-1"].x, seats["L1-HALL-B-1"].y) == (10.0, 42.0)
    row_a = [seats[f"L1-HALL-A-{n}"].x for n in range(1, 18)]
    gaps = [b - a for a, b in zip(row_a, row_a[1:], strict=False)]
    assert gaps == [10.0] * 8 + [30.0] + [10.0] * 7
    assert seats["L1-HALL-M-17"].y == 162.0


def test_cinema_hall_labels_rows_past_z_and_marks_a_single_row() -> None:
    big = cinema_hall(name="Big", rows=26, seats_per_row=3)
    assert [seat.row for seat in big.seats[::3]][-3:] == ["Z", "AA", "AB"]
    single = cinema_hall(rows=1, seats_per_row=1)
    assert single.seats == (
        SeatSpec(
            "HALL", "A", "1", 10.0, 30.0, frozenset({"accessible", "obstructed"}), "L1-HALL-A-1"
        ),
    )


@pytest.mark.parametrize(("rows", "seats_per_row"), [(0, 10), (5, 0)])
def test_cinema_hall_rejects_an_empty_hall(rows: int, seats_per_row: int) -> None:
    with pytest.raises(ValueError, match="at least one row of one seat"):
        cinema_hall(rows=rows, seats_per_row=seats_per_row)


def test_stadium_bowl_defaults() -> None:
    bowl = stadium_bowl()
    assert bowl.name == "Stadium"
    assert bowl.levels == (LevelSpec("L1", "Lower tier"), LevelSpec("L2", "Upper tier"))
    codes = [section.code for section in bowl.sections]
    assert codes == [f"{n}" for n in range(101, 125)] + [f"{n}" for n in range(201, 225)]
    assert {s.level for s in bowl.sections[:24]} == {"L1"}
    assert {s.level for s in bowl.sections[24:]} == {"L2"}
    assert len(bowl.seats) == 24 * 20 * 20 + 24 * 22 * 20 == 20_160
    assert len(_by_key(bowl)) == 20_160
    assert bowl.ga_areas == (GAAreaSpec("FLOOR", "Floor", 2000, "L1"),)
    assert bowl.capacity == 22_160


def test_stadium_bowl_accessible_seats_sit_in_the_first_row_of_lower_sections() -> None:
    accessible = _with(stadium_bowl(), "accessible")
    expected = {f"L1-{code}-1-{n}" for code in range(101, 125) for n in (1, 2, 19, 20)}
    assert accessible == expected


def test_stadium_rows_and_tiers_move_away_from_the_pitch() -> None:
    bowl = stadium_bowl()
    seats = _by_key(bowl)
    centre_x = sum(s.x for s in bowl.seats) / len(bowl.seats)
    centre_y = sum(s.y for s in bowl.seats) / len(bowl.seats)

    def distance(key: str) -> float:
        return math.hypot(seats[key].x - centre_x, seats[key].y - centre_y)

    for section in range(1, 25):
        for number in (1, 10, 20):
            lower = [distance(f"L1-1{section:02d}-{row}-{number}") for row in range(1, 21)]
            upper = [distance(f"L2-2{section:02d}-{row}-{number}") for row in range(1, 23)]
            assert lower == sorted(lower)
            assert upper == sorted(upper)
            assert upper[0] > lower[-1]
    assert min(min(s.x, s.y) for s in bowl.seats) > 0


def test_stadium_bowl_is_deterministic_and_valid() -> None:
    bowl = stadium_bowl()
    assert bowl == stadium_bowl()
    assert validate_spec(bowl) == bowl


def test_stadium_bowl_takes_its_shape_from_arguments() -> None:
    bowl = stadium_bowl(
        "Arena", sections_per_level=3, rows_per_level=(2, 1, 1), seats_per_row=2, floor_capacity=0
    )
    assert [level.code for level in bowl.levels] == ["L1", "L2", "L3"]
    assert bowl.levels[2].name == "Tier 3"
    assert [s.code for s in bowl.sections] == [f"{t}0{n}" for t in (1, 2, 3) for n in (1, 2, 3)]
    assert len(bowl.seats) == 3 * 2 * 2 + 3 * 1 * 2 * 2
    assert bowl.ga_areas == (GAAreaSpec("FLOOR", "Floor", 0, "L1"),)


@pytest.mark.parametrize(
    "arguments",
    [
        {"sections_per_level": 0},
        {"sections_per_level": 100},
        {"rows_per_level": ()},
        {"rows_per_level": (1,) * 10},
        {"rows_per_level": (3, 0)},
        {"seats_per_row": 0},
    ],
)
def test_stadium_bowl_rejects_impossible_shapes(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="a stadium"):
        stadium_bowl(**arguments)  # type: ignore[arg-type]

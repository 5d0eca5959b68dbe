"""Choosing the best N seats: side by side in one row when possible, no lone empty seat left
beside the block when another choice avoids it, the front rows and the middle first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from admit.inventory.best_available import Row, Spot, choose


def row(rank: int, pattern: str) -> Row:
    """'.' free, 'x' taken; keys are R<rank>-<position>."""
    return Row(rank, [Spot(f"R{rank}-{i}", c == ".") for i, c in enumerate(pattern)])


def test_side_by_side_in_the_front_row_middle() -> None:
    assert choose([row(0, "........."), row(1, ".........")], 3) == ["R0-3", "R0-4", "R0-5"]


def test_no_lone_seat_is_left_when_it_can_be_avoided() -> None:
    # Row 0 "x....x": a pair in the middle would leave lone seats at both ends.
    assert choose([row(0, "x....x")], 2) in (["R0-1", "R0-2"], ["R0-3", "R0-4"])
    # A worse row is better than a lone seat in the front row.
    assert choose([row(0, "x...x"), row(1, "......")], 2)[0].startswith("R1")


def test_a_lone_seat_is_accepted_when_nothing_else_fits() -> None:
    assert choose([row(0, "x...x")], 2) in (["R0-1", "R0-2"], ["R0-2", "R0-3"])


def test_split_over_rows_only_when_no_row_has_room() -> None:
    got = choose([row(0, ".x.x."), row(1, "..x..")], 3)
    assert got == ["R1-0", "R1-1", "R1-3"]  # the biggest runs first: fewest pieces
    assert choose([row(0, "x.x")], 2) == []


@given(
    st.lists(st.text(alphabet=".x", min_size=1, max_size=12), min_size=1, max_size=6),
    st.integers(1, 6),
)
def test_always_n_free_distinct_seats_and_side_by_side_when_any_row_can(
    patterns: list[str], n: int
) -> None:
    rows = [row(i, p) for i, p in enumerate(patterns)]
    free = {s.key for r in rows for s in r.spots if s.free}
    got = choose(rows, n)
    if len(free) < n:
        assert got == []
        return
    assert len(got) == n
    assert len(set(got)) == n
    assert set(got) <= free
    if any("." * n in p for p in patterns):
        ranks = {k.split("-")[0] for k in got}
        positions = sorted(int(k.split("-")[1]) for k in got)
        assert len(ranks) == 1
        assert positions == list(range(positions[0], positions[0] + n))

"""Choosing the best N seats: side by side in one row when possible, no lone empty seat left
beside the block when another choice avoids it, the front rows and the middle first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from admit.inventory.best_available import Row, Search, Spot, choose, fallback_order


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


# --- under contention: the claim takes the first n seats of the wish list nobody else holds --


def claim(wish: list[str], n: int, others: set[str]) -> list[str]:
    """What ``FOR UPDATE SKIP LOCKED … LIMIT n`` over the wish list gets."""
    return [key for key in wish if key not in others][:n]


def test_fallback_order_is_best_rows_first_from_the_middle_outwards() -> None:
    rows = [row(1, "......"), row(0, "x.x..")]
    front = ["R0-3", "R0-4", "R0-1"]
    assert fallback_order(rows) == [*front, "R1-2", "R1-3", "R1-4", "R1-5", "R1-1", "R1-0"]


def test_uncontended_the_chosen_seats_are_kept_at_the_first_try() -> None:
    search = Search([row(0, "........."), row(1, ".........")], 3)
    wish = search.wish()
    assert wish is not None
    assert wish[:3] == ["R0-3", "R0-4", "R0-5"] == choose(search.rows, 3)
    assert search.keep(claim(wish, 3, set()))


def test_a_seat_taken_meanwhile_sends_the_search_to_the_next_best_block() -> None:
    search = Search([row(0, "....."), row(1, ".....")], 2)
    others = {"R0-1"}  # another buyer took a seat of the chosen pair
    wish = search.wish()
    assert wish is not None
    assert wish[:2] == ["R0-0", "R0-1"]
    got = claim(wish, 2, others)
    assert got == ["R0-0", "R0-2"]  # not side by side: undone, and the search learns
    assert not search.keep(got)
    assert search.passed_over(set(got)) == {"R0-1"}
    wish = search.wish()
    assert wish is not None
    got = claim(wish, 2, others)
    assert sorted(got) == ["R1-0", "R1-1"]  # row 0 would leave lone seats: row 1 is better
    assert search.keep(got)


def test_seats_side_by_side_that_were_not_chosen_are_kept() -> None:
    search = Search([row(0, "........")], 2)
    wish = search.wish()
    assert wish is not None
    others = set(wish[:2])
    got = claim(wish, 2, others)
    assert search.side_by_side(got)
    assert search.keep(got)


def test_the_last_try_keeps_seats_apart_and_a_short_claim_ends_the_search() -> None:
    search = Search([row(0, "......")], 3, tries=1)
    wish = search.wish()
    assert wish is not None
    got = claim(wish, 3, {"R0-2", "R0-4"})
    assert not search.side_by_side(got)
    assert search.keep(got)  # the last try: apart rather than not at all

    short = Search([row(0, "......")], 3)
    wish = short.wish()
    assert wish is not None
    assert not short.keep(claim(wish, 3, {"R0-0", "R0-1", "R0-2", "R0-3"}))
    assert short.wish() is None  # fewer than 3 left that nobody holds: wait for the others


@given(
    st.lists(st.text(alphabet=".x", min_size=1, max_size=12), min_size=1, max_size=6),
    st.integers(1, 6),
    st.sets(st.integers(0, 80)),
    st.integers(1, 4),
)
def test_the_search_gets_n_seats_nobody_holds_whenever_there_are_n(
    patterns: list[str], n: int, held: set[int], tries: int
) -> None:
    rows = [row(i, p) for i, p in enumerate(patterns)]
    free = [s.key for r in rows for s in r.spots if s.free]
    others = {key for i, key in enumerate(free) if i in held}
    search = Search(rows, n, tries=tries)
    kept: list[str] | None = None
    while (wish := search.wish()) is not None:
        got = claim(wish, n, others)
        assert len(set(wish)) == len(wish)
        if search.keep(got):
            kept = got
            break
    assert search.tried <= tries
    if len(set(free) - others) >= n:
        assert kept is not None
        assert len(set(kept)) == n
        assert set(kept) <= set(free) - others
    else:
        assert kept is None

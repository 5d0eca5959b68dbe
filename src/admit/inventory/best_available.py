""" "Best available N seats at level X" (S5): pure choice over a plan's rows. Seats side by side
in one row where possible, never leaving a lone empty seat beside the block when another
choice avoids it, nearest the front (the map's first rows) and the middle of the row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spot:
    key: str
    free: bool  # claimable now at the wanted level


@dataclass(frozen=True, slots=True)
class Row:
    """A row's seats in the order they stand; ``rank`` 0 is the best row."""

    rank: int
    spots: Sequence[Spot]


def _runs(row: Row) -> list[tuple[int, int]]:
    """(start, length) of each run of free seats side by side."""
    runs, start = [], None
    for i, spot in enumerate([*row.spots, Spot("", False)]):
        if spot.free and start is None:
            start = i
        elif not spot.free and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def _blocks(row: Row, n: int) -> list[tuple[tuple[int, int, float, int], list[str]]]:
    """Every placement of n seats side by side in this row, with its score (lower is better):
    (leaves a lone seat, row rank, distance from the row's middle, position)."""
    middle = (len(row.spots) - 1) / 2
    out = []
    for start, length in _runs(row):
        for s in range(start, start + length - n + 1):
            left, right = s - start, start + length - (s + n)
            lone = int(left == 1) + int(right == 1)
            centre = s + (n - 1) / 2
            score = (lone, row.rank, abs(centre - middle), s)
            out.append((score, [spot.key for spot in row.spots[s : s + n]]))
    return out


def choose(rows: Sequence[Row], n: int) -> list[str]:
    """The keys of the best n seats, or [] when fewer than n are free. Side by side in one row
    when any row can take them; otherwise the largest blocks of the best rows."""
    if n < 1:
        raise ValueError("choose at least one seat")
    placements = [p for row in rows for p in _blocks(row, n)]
    if placements:
        return min(placements, key=lambda p: p[0])[1]
    if sum(spot.free for row in rows for spot in row.spots) < n:
        return []
    # Split: the biggest runs first (fewest pieces), better rows first among equals.
    runs = sorted(
        ((length, row.rank, start, row) for row in rows for start, length in _runs(row)),
        key=lambda r: (-r[0], r[1], r[2]),
    )
    chosen: list[str] = []
    for length, _, start, row in runs:
        take = min(length, n - len(chosen))
        chosen += [spot.key for spot in row.spots[start : start + take]]
        if len(chosen) == n:
            break
    return chosen

""" "Best available N seats at level X" (S5): pure choice over a plan's rows. Seats side by side
in one row where possible, never leaving a lone empty seat beside the block when another
choice avoids it, nearest the front (the map's first rows) and the middle of the row.

``Search`` is that choice under contention: the claim takes the first N seats of a wish list
that nobody else holds, and the search decides whether to keep them or learn from them and
choose again."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field


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


def fallback_order(rows: Sequence[Row]) -> list[str]:
    """Every free seat, in the order seats are taken when the chosen ones cannot all be had:
    the best rows first, and in a row from its middle to one end, then from the middle to the
    other, so that seats next to each other in this order stand side by side."""
    order: list[str] = []
    for row in sorted(rows, key=lambda r: r.rank):
        middle = (len(row.spots) - 1) // 2
        for spot in [*row.spots[middle:], *reversed(row.spots[:middle])]:
            if spot.free:
                order.append(spot.key)
    return order


def without(rows: Sequence[Row], gone: Collection[str]) -> list[Row]:
    """The rows with these seats no longer free."""
    if not gone:
        return list(rows)
    return [
        Row(row.rank, [Spot(s.key, s.free and s.key not in gone) for s in row.spots])
        for row in rows
    ]


@dataclass
class Search:
    """The best ``n`` seats when other buyers claim at the same time. Each try names a wish
    list — the seats ``choose`` picks, then every other free seat in ``fallback_order`` — and
    the claim takes the first ``n`` of it that are free and held by no one else. The search
    keeps them when they are the chosen seats, or side by side in one row, or on the last
    try; otherwise (the claim is undone) it marks the seats the claim passed over as gone and
    chooses again. ``wish`` is ``None`` once the tries are spent or fewer than ``n`` seats are
    known to be free: then only a claim that waits for the others can tell."""

    rows: list[Row]
    n: int
    tries: int = 3
    tried: int = 0
    chosen: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    _place: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (row, position)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("choose at least one seat")
        self._place = {
            spot.key: (r, i) for r, row in enumerate(self.rows) for i, spot in enumerate(row.spots)
        }

    def wish(self) -> list[str] | None:
        if self.tried >= self.tries:
            return None
        self.chosen = choose(self.rows, self.n)
        if not self.chosen:
            return None
        self.tried += 1
        first = set(self.chosen)
        self.order = self.chosen + [k for k in fallback_order(self.rows) if k not in first]
        return self.order

    def keep(self, claimed: Collection[str]) -> bool:
        """Whether to keep what the claim of the last wish got; if not, learn from it."""
        got = set(claimed)
        if len(got) == self.n and (
            got == set(self.chosen) or self.side_by_side(got) or self.tried >= self.tries
        ):
            return True
        self.rows = without(self.rows, self.passed_over(got))
        return False

    def passed_over(self, got: Collection[str]) -> set[str]:
        """Seats of the wish list the claim went past without taking them: another buyer holds
        them, or is claiming them now. A claim short of ``n`` went past all the others."""
        if len(got) < self.n:
            return set(self.order) - set(got)
        index = {key: i for i, key in enumerate(self.order)}
        last = max((index[k] for k in got if k in index), default=-1)
        return set(self.order[:last]) - set(got)

    def side_by_side(self, keys: Collection[str]) -> bool:
        places = sorted(self._place[k] for k in keys if k in self._place)
        if len(places) != len(keys) or len({r for r, _ in places}) != 1:
            return False
        return [p for _, p in places] == list(range(places[0][1], places[0][1] + len(places)))

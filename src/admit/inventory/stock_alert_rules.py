"""Low-stock alert levels and their crossings (G7). Pure: the stock, the levels and what has
been raised are passed in.

A level is a percentage of a session × price level's sellable total; 0 means sold out. Stock
*left* is the sellable total less what is sold — holds come and go within minutes, so they
neither raise nor re-arm a level. A level is crossed while ``left <= total × level / 100``
(integer maths: ``left × 100 <= total × level``); it is raised once when first found crossed
and re-armed when stock is back above it (a refund), so a later crossing alerts again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_LEVELS = 6


class BadLevels(ValueError):
    """Levels that are not distinct whole percentages from 0 to 99."""


def normalise(levels: Iterable[int]) -> tuple[int, ...]:
    """Distinct percentages, highest first; raises :class:`BadLevels`."""
    found = sorted(set(levels), reverse=True)
    if any(not 0 <= level <= 99 for level in found) or len(found) > MAX_LEVELS:
        raise BadLevels(f"levels are up to {MAX_LEVELS} whole percentages from 0 to 99")
    return tuple(found)


def parse(text: str) -> tuple[int, ...]:
    """``"20,5,0"`` → ``(20, 5, 0)``; an empty text is no levels. Raises :class:`BadLevels`."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise BadLevels(f"levels are comma-separated whole percentages, not {text!r}")
    return normalise(int(p) for p in parts)


@dataclass(frozen=True, slots=True)
class Stock:
    """One session × price level: its sellable total and what of it is not sold."""

    session_id: int
    price_level_id: int
    total: int
    left: int


def is_crossed(stock: Stock, level: int) -> bool:
    """At or below the level (a level of 0: nothing left). A level with nothing to sell
    (total 0) is never crossed: there is no stock to run low."""
    return stock.total > 0 and stock.left * 100 <= stock.total * level


Key = tuple[int, int, int]  # (session id, price level id, level)


@dataclass(frozen=True, slots=True)
class Alert:
    """What to announce for one session × price level: the lowest level newly crossed, and
    every level newly crossed (each is marked raised, one alert says it)."""

    stock: Stock
    level: int
    levels: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Changes:
    crossed: list[Key]  # levels to mark raised (the database decides which are new)
    rearmed: list[Key]  # raised levels stock is back above


def changes(
    stocks: Sequence[Stock],
    levels_of: Mapping[tuple[int, int], Sequence[int]],
    raised: Iterable[Key],
) -> Changes:
    """Which levels are crossed and not yet raised, and which raised levels re-arm (including
    levels no longer configured: a removed level forgets that it was raised)."""
    raised_set = set(raised)
    crossed: list[Key] = []
    seen: set[Key] = set()
    for stock in stocks:
        for level in levels_of.get((stock.session_id, stock.price_level_id), ()):
            key = (stock.session_id, stock.price_level_id, level)
            if is_crossed(stock, level):
                seen.add(key)
                if key not in raised_set:
                    crossed.append(key)
    counted = {(s.session_id, s.price_level_id) for s in stocks}
    rearmed = [k for k in sorted(raised_set - seen) if (k[0], k[1]) in counted]
    return Changes(crossed=crossed, rearmed=rearmed)


def alerts(new: Iterable[Key], stocks: Iterable[Stock]) -> list[Alert]:
    """One alert per session × price level among the keys newly raised: its lowest level."""
    by_pair: dict[tuple[int, int], list[int]] = {}
    for session_id, level_id, level in new:
        by_pair.setdefault((session_id, level_id), []).append(level)
    stock_of = {(s.session_id, s.price_level_id): s for s in stocks}
    return [
        Alert(stock_of[pair], min(levels), tuple(sorted(levels, reverse=True)))
        for pair, levels in sorted(by_pair.items())
        if pair in stock_of
    ]

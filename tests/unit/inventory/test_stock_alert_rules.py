"""Alert levels and their crossings, without a database."""

from __future__ import annotations

import pytest

from admit.inventory.stock_alert_rules import (
    BadLevels,
    Stock,
    alerts,
    changes,
    is_crossed,
    normalise,
    parse,
)


def test_levels_parse_to_distinct_percentages_highest_first() -> None:
    assert parse("5, 20,0,20") == (20, 5, 0)
    assert parse("") == ()
    for bad in ("20;5", "-1", "100", "1,2,3,4,5,6,7"):
        with pytest.raises(BadLevels):
            parse(bad)
    with pytest.raises(BadLevels):
        normalise([120])


@pytest.mark.parametrize(
    ("left", "total", "level", "crossed"),
    [
        (2, 20, 5, False),  # 10 %: above 5 %
        (1, 20, 5, True),  # exactly 5 %: at the level counts
        (4, 20, 20, True),
        (5, 20, 20, False),
        (1, 20, 0, False),  # sold out means nothing left
        (0, 20, 0, True),
        (0, 0, 0, False),  # nothing to sell: never low
    ],
)
def test_a_level_is_crossed_at_or_below_it(
    left: int, total: int, level: int, crossed: bool
) -> None:
    assert is_crossed(Stock(1, 7, total, left), level) is crossed


def test_new_crossings_and_re_armed_levels() -> None:
    stocks = [Stock(1, 7, 20, 1), Stock(1, 8, 20, 10), Stock(2, 9, 10, 0)]
    levels = {(1, 7): (20, 5, 0), (1, 8): (20, 5, 0), (2, 9): (50,)}
    raised = [(1, 7, 20), (1, 8, 20), (3, 1, 5)]  # session 3 was not counted: left alone
    found = changes(stocks, levels, raised)
    assert found.crossed == [(1, 7, 5), (2, 9, 50)]
    assert found.rearmed == [(1, 8, 20)]  # 10 of 20 left: back above 20 %


def test_one_alert_per_price_level_names_its_lowest_new_level() -> None:
    stocks = [Stock(1, 7, 20, 0), Stock(1, 8, 20, 1)]
    found = alerts([(1, 7, 20), (1, 7, 5), (1, 7, 0), (1, 8, 5)], stocks)
    assert [(a.stock.price_level_id, a.level, a.levels) for a in found] == [
        (7, 0, (20, 5, 0)),
        (8, 5, (5,)),
    ]

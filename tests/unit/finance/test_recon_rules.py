"""Reconciliation rules (C5, A2): every difference between the platform's records and a
cinema's report or a gateway's statement is named exactly once, and agreeing records give
none."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from admit.finance.recon_rules import Difference, Record, compare, correction


def _sale(no: str, amount: int, tickets: int = 1) -> Record:
    return Record(no, "sale", amount, tickets)


def test_agreeing_days_match_line_by_line_and_in_total() -> None:
    ours = [_sale("A1", 9000, 2), _sale("A2", 4500)]
    result = compare(ours, list(reversed(ours)))
    assert result.matched == ("A1", "A2")
    assert result.differences == ()
    assert (result.platform_total, result.partner_total) == (13500, 13500)


def test_each_kind_of_difference_is_named() -> None:
    ours = [_sale("A1", 9000, 2), _sale("A2", 4500), _sale("A3", 6500), _sale("A4", 4500, 1)]
    theirs = [
        _sale("A2", 4000),  # amount differs
        _sale("A3", 6500),
        _sale("A3", 6500),  # reported twice
        _sale("A4", 4500, 2),  # tickets differ
        _sale("Z9", 5000),  # not ours
    ]
    result = compare(ours, theirs)
    assert result.matched == ()
    assert result.differences == (
        Difference("A1", "missing_at_cinema", 9000, None),
        Difference("A2", "amount_differs", 4500, 4000),
        Difference("A3", "duplicate_at_cinema", 6500, 6500),
        Difference("A4", "tickets_differ", 4500, 4500),
        Difference("Z9", "missing_on_platform", None, 5000),
    )
    assert (result.platform_total, result.partner_total) == (24500, 26500)


def test_refunds_count_against_the_total_and_pair_by_kind() -> None:
    ours = [_sale("A1", 9000), Record("A1", "refund", 9000, 1)]
    theirs = [_sale("A1", 9000)]
    result = compare(ours, theirs)
    assert result.matched == ("A1",)
    assert result.differences == (Difference("A1", "missing_at_cinema", 9000, None, "refund"),)
    assert (result.platform_total, result.partner_total) == (0, 9000)


orders = st.dictionaries(
    st.from_regex(r"A[0-9]{4}", fullmatch=True),
    st.tuples(st.integers(1, 100_000), st.integers(1, 8)),
    max_size=30,
)


@given(orders, st.data())
def test_dropping_and_changing_lines_reports_exactly_those(
    day: dict[str, tuple[int, int]], data: st.DataObject
) -> None:
    ours = [_sale(no, amount, n) for no, (amount, n) in day.items()]
    dropped = set(data.draw(st.sets(st.sampled_from(sorted(day))) if day else st.just(set())))
    kept = [no for no in sorted(day) if no not in dropped]
    changed = set(data.draw(st.sets(st.sampled_from(kept)) if kept else st.just(set())))
    theirs = [_sale(no, day[no][0] + (1 if no in changed else 0), day[no][1]) for no in kept]
    result = compare(ours, theirs)
    assert {(d.ref, d.kind) for d in result.differences} == {
        (no, "missing_at_cinema") for no in dropped
    } | {(no, "amount_differs") for no in changed}
    assert set(result.matched) == set(kept) - changed


def _pay(ref: str, amount: int) -> Record:
    return Record(ref, "pay", amount)


def test_a_gateways_statement_names_its_side_and_corrections_follow_the_money() -> None:
    ours = [_pay("P1", 9000), _pay("P2", 4500), _pay("P3", 6500), Record("R1", "refund", 2000)]
    theirs = [
        _pay("P2", 4000),  # the gateway took less
        _pay("P3", 6500),
        _pay("P3", 6500),
        _pay("P3", 6500),  # listed three times
        Record("R1", "refund", 2000),
        _pay("X9", 100),  # not ours
    ]
    result = compare(ours, theirs, side="gateway")
    assert result.matched == ("R1",)
    assert result.differences == (
        Difference("P1", "missing_at_gateway", 9000, None, "pay"),
        Difference("P2", "amount_differs", 4500, 4000, "pay"),
        Difference("P3", "duplicate_at_gateway", 6500, 13000, "pay"),
        Difference("X9", "missing_on_platform", None, 100, "pay"),
    )
    assert (result.platform_total, result.partner_total) == (18000, 4000 + 3 * 6500 - 2000 + 100)
    assert [
        correction(d.kind, d.line_kind, d.platform_amount, d.partner_amount)
        for d in result.differences
    ] == [-9000, -500, 13000, 100]
    assert correction("missing_at_gateway", "refund", 2000, None) == 2000  # never paid out
    assert correction("missing_on_platform", "refund", None, 2000) == -2000

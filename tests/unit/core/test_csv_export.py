"""Every CSV export is safe to open in a spreadsheet (issue 30, item 15): no text cell begins
with ``= + - @``, a tab or a carriage return; numbers stay numbers; the seat map, which the
platform reads back, survives the round trip whatever its names are."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admit.catalog.seatmap_format import parse_csv, to_csv
from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec
from admit.core import csv_export
from admit.finance import bills as finance_bills
from admit.partners import bills as partner_bills

HOSTILE = (
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@A1",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil")',
)
AT = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _dangerous(cells: list[str]) -> list[str]:
    """Cells a spreadsheet would evaluate: formula-like text that is not a plain number."""
    return [
        c
        for c in cells
        if c.startswith(csv_export.FORMULA_STARTS) and not csv_export._NUMBER.fullmatch(c)
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_a_leading_quote(text: str) -> None:
    assert csv_export.safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (-1500, -1500),
        (-3.5, -3.5),
        ("-12", "-12"),
        ("-0.25", "-0.25"),
        ("-1e-05", "-1e-05"),
        ("Anne-Marie", "Anne-Marie"),
        ("O'Brien", "O'Brien"),
        ("", ""),
        (None, None),
    ],
)
def test_numbers_and_ordinary_text_are_written_as_they_are(value: object, cell: object) -> None:
    assert csv_export.safe_cell(value) == cell


@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_a_reversible_file_reads_back_as_written(row: list[str]) -> None:
    out = io.StringIO()
    csv_export.writer(out, reversible=True).writerow(row)
    [back] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert [csv_export.restore(c) for c in back] == row
    assert _dangerous(back) == []


def test_the_daily_bill_neutralises_text_and_keeps_negative_amounts() -> None:
    lines = [
        finance_bills.BillLine(AT, "refund", text, f"A-{i}", "=bank", -500)
        for i, text in enumerate(HOSTILE)
    ]
    bill = finance_bills.DailyBill(1, date(2026, 12, 1), "CNY", lines, 0, 3500, -3500, -3500)
    text = finance_bills.bill_csv(bill)
    cells = _cells(text)
    assert _dangerous(cells) == []
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # A carriage return inside a cell becomes a (quoted) line feed: it cannot start a row.
    assert [row[2] for row in rows[1:8]] == ["'" + h.replace("\r", "\n") for h in HOSTILE]
    assert len(rows) == 1 + len(HOSTILE) + 1 + 4
    assert cells.count("-500") == len(HOSTILE)
    assert "net,-3500" in text


def test_the_cinema_bill_neutralises_what_the_partner_sent() -> None:
    lines = tuple(
        partner_bills.BillLine(AT, f"A-{i}", text, "@session", 2, 9000)
        for i, text in enumerate(HOSTILE)
    )
    bill = partner_bills.CinemaBill(7, "=Cinema", date(2026, 12, 1), 7, 14, 63000, lines)
    cells = _cells(partner_bills.bill_csv(bill))
    assert _dangerous(cells) == []
    assert "'@session" in cells
    assert {"'" + h for h in HOSTILE} <= set(cells)


def test_a_seat_map_with_formula_like_names_and_negative_coordinates_round_trips() -> None:
    spec = SeatMapSpec(
        name="=Main hall",
        levels=(LevelSpec("L1", "+Lower"),),
        sections=(SectionSpec("112", "@Section", "L1"),),
        seats=(
            SeatSpec("112", "@A", "=1", -10.5, -0.00001, frozenset({"accessible"}), "-L1-A-1"),
            SeatSpec("112", "'B", "+2", 11.5, -20.0, frozenset(), "=GATE-7"),
        ),
        ga_areas=(GAAreaSpec("FLOOR", "-Floor-", 2000, "L1"),),
    )
    text = to_csv(spec)
    assert _dangerous(_cells(text)) == []
    assert "-10.5" in _cells(text)  # coordinates are numbers, written as they are
    assert parse_csv(text) == spec

"""The generic statement upload (docs/reconciliation.md): a well-formed file gives its lines
(and writing them gives the file back); a malformed one is refused whole, naming each bad row
and what is wrong with it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from admit.finance.statement_csv import COLUMNS, MalformedStatement, parse, write
from admit.payments.gateway import StatementLine

DAY = date(2026, 11, 22)
HEADER = ",".join(COLUMNS)
PAY = "bank,T1,P1,pay,8000,48,2026-11-22T10:15:00+00:00,"
REFUND = "bank,T1,P1,refund,3000,18,2026-11-22T19:00:00+08:00,P1R1"


def test_a_well_formed_statement_is_read_and_written_back() -> None:
    lines = parse(f"\ufeff{HEADER}\n{PAY}\n\n{REFUND}\n", gateway="bank", day=DAY)
    assert lines == [
        StatementLine(
            "T1", "P1", "pay", 8000, 48, datetime(2026, 11, 22, 10, 15, tzinfo=UTC), None
        ),
        StatementLine(
            "T1", "P1", "refund", 3000, 18, datetime(2026, 11, 22, 11, tzinfo=UTC), "P1R1"
        ),
    ]
    assert parse(write("bank", lines), gateway="bank", day=DAY) == lines


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("wallet,T1,P1,pay,8000,48,2026-11-22T10:15:00+00:00,", "gateway is 'wallet'"),
        ("bank,T1,,pay,8000,48,2026-11-22T10:15:00+00:00,", "out_trade_no are required"),
        ("bank,T1,P1,paid,8000,48,2026-11-22T10:15:00+00:00,", "type must be pay or refund"),
        ("bank,T1,P1,pay,80.00,48,2026-11-22T10:15:00+00:00,", "whole numbers of fen"),
        ("bank,T1,P1,pay,-8000,48,2026-11-22T10:15:00+00:00,", "whole numbers of fen"),
        ("bank,T1,P1,pay,0,0,2026-11-22T10:15:00+00:00,", "above zero"),
        ("bank,T1,P1,pay,8000,48,2026-11-22 10:15,", "with a UTC offset"),
        ("bank,T1,P1,pay,8000,48,2026-11-23T09:00:00+08:00,", "not within 2026-11-22"),
        ("bank,T1,P1,refund,8000,48,2026-11-22T10:15:00+00:00,", "out_refund_no is required"),
        ("bank,T1,P1,pay,8000,48,2026-11-22T10:15:00+00:00", "7 columns, not 8"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_taken(row: str, error: str) -> None:
    with pytest.raises(MalformedStatement) as refused:
        parse(f"{HEADER}\n{PAY}\n{row}\n{REFUND}\n", gateway="bank", day=DAY)
    assert refused.value.code == "malformed_statement"
    [found] = refused.value.details["rows"]
    assert found["row"] == 2
    assert error in found["error"]
    assert refused.value.details["count"] == 1


def test_a_wrong_header_and_many_bad_rows() -> None:
    with pytest.raises(MalformedStatement) as header:
        parse("gateway,trade_no\n" + PAY, gateway="bank", day=DAY)
    assert header.value.details["rows"] == [{"row": 0, "error": "wrong header"}]
    with pytest.raises(MalformedStatement) as many:
        parse(HEADER + "\n" + "x\n" * 80, gateway="bank", day=DAY)
    assert len(many.value.details["rows"]) == 50
    assert many.value.details["count"] == 80

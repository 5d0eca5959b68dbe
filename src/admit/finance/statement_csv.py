"""The generic statement format an operator uploads when a gateway's statement comes some
other way (a download from the gateway's merchant portal, a bank's e-mail): CSV, UTF-8, a
header row and one row per line, the columns of ``COLUMNS`` in that order (described in
``docs/reconciliation.md``). A file is taken whole or not at all: every malformed row is named
in the refusal. Pure: no I/O."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from admit.core.errors import InvalidInput
from admit.payments.bank_notice import aware, digits
from admit.payments.gateway import StatementLine

COLUMNS = ("gateway", "trade_no", "out_trade_no", "type", "amount", "fee", "time", "out_refund_no")
KINDS: dict[str, Literal["pay", "refund"]] = {"pay": "pay", "refund": "refund"}
MAX_LINES = 1_000_000
SHOWN_ERRORS = 50  # rows named in a refusal; the count says how many there were


class MalformedStatement(InvalidInput):
    """``details``: ``rows`` (the first malformed rows: ``row`` — 1 for the first after the
    header — and ``error``) and ``count`` (how many rows were malformed)."""

    code = "malformed_statement"


def _problem(record: dict[str, str], gateway: str, day: date) -> str | None:
    kind = record["type"]
    at = aware(record["time"])
    if record["gateway"] != gateway:
        return f"gateway is {record['gateway']!r}, not {gateway!r}"
    if not record["trade_no"] or not record["out_trade_no"]:
        return "trade_no and out_trade_no are required"
    if kind not in KINDS:
        return f"type must be pay or refund, not {kind!r}"
    if not digits(record["amount"]) or not digits(record["fee"]):
        return "amount and fee must be whole numbers of fen (no sign, no decimal point)"
    if int(record["amount"]) == 0:
        return "amount must be above zero"
    if at is None:
        return "time must be an ISO 8601 date-time with a UTC offset"
    start = datetime.combine(day, time(0), tzinfo=UTC)
    if not start <= at < start + timedelta(days=1):
        return f"time is not within {day.isoformat()} (UTC)"
    if (kind == "refund") != bool(record["out_refund_no"]):
        return "out_refund_no is required on a refund line and empty on a pay line"
    return None


def parse(text: str, *, gateway: str, day: date) -> list[StatementLine]:
    """The lines of an uploaded statement of ``gateway``'s ``day``; raises
    :class:`MalformedStatement` naming the bad rows (nothing is taken then)."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(rows, None)
    if header is None or tuple(h.strip() for h in header) != COLUMNS:
        raise MalformedStatement(
            f"the first row must be the header {','.join(COLUMNS)}",
            details={"rows": [{"row": 0, "error": "wrong header"}], "count": 1},
        )
    lines: list[StatementLine] = []
    errors: list[dict[str, object]] = []
    count = 0
    for n, row in enumerate(rows, start=1):
        if not row:
            continue  # a blank line (a trailing newline)
        if n > MAX_LINES:
            raise MalformedStatement(f"a statement has at most {MAX_LINES:,} lines")
        if len(row) != len(COLUMNS):
            problem: str | None = f"{len(row)} columns, not {len(COLUMNS)}"
        else:
            record = dict(zip(COLUMNS, (v.strip() for v in row), strict=True))
            problem = _problem(record, gateway, day)
        if problem is not None:
            count += 1
            if len(errors) < SHOWN_ERRORS:
                errors.append({"row": n, "error": problem})
            continue
        at = aware(record["time"])
        assert at is not None  # checked by _problem
        lines.append(
            StatementLine(
                trade_no=record["trade_no"],
                out_trade_no=record["out_trade_no"],
                kind=KINDS[record["type"]],
                amount=int(record["amount"]),
                fee=int(record["fee"]),
                at=at,
                out_refund_no=record["out_refund_no"] or None,
            )
        )
    if errors:
        raise MalformedStatement(
            f"{count} malformed row(s): nothing was taken", details={"rows": errors, "count": count}
        )
    return lines


def write(gateway: str, lines: Iterable[StatementLine]) -> str:
    """Lines in the upload format (what an operator's file looks like)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for ln in lines:
        writer.writerow(
            [
                gateway,
                ln.trade_no,
                ln.out_trade_no,
                ln.kind,
                ln.amount,
                ln.fee,
                ln.at.isoformat(),
                ln.out_refund_no or "",
            ]
        )
    return out.getvalue()

"""A report as a file: CSV streamed line by line (through ``core.csv_export``, safe to open
in a spreadsheet) and XLSX written by openpyxl's write-only workbook, which streams rows to
its file instead of holding a worksheet in memory. The rows are a report's groups — never
payments or tickets — and a totals line closes both."""

from __future__ import annotations

import io
from collections.abc import Iterator

from openpyxl import Workbook

from admit.core import csv_export
from admit.reports.figures import Figures, Row
from admit.reports.kinds import Column, Kind, cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CHUNK = 256  # rows per piece of a streamed CSV


def table_lines(kind: Kind, fig: Figures, rows: list[Row]) -> Iterator[list[str | int]]:
    header: list[str | int] = [fig.dimension if c == "key" else c for c in kind.columns]
    yield header
    for row in rows:
        yield [cell(row, c) for c in kind.columns]
    yield [_total(c, rows) for c in kind.columns]


def _total(column: Column, rows: list[Row]) -> str | int:
    """The totals line: the sums of the rows shown (a ranking's top rows only)."""
    if column == "key":
        return "total"
    if column == "label":
        return f"{len(rows)} rows"
    return sum(int(cell(r, column)) for r in rows)


def csv_chunks(kind: Kind, fig: Figures, rows: list[Row]) -> Iterator[str]:
    """The CSV in pieces of ``_CHUNK`` lines, for a streamed response."""
    out = io.StringIO()
    writer = csv_export.writer(out, lineterminator="\n")
    for n, line in enumerate(table_lines(kind, fig, rows), 1):
        writer.writerow(line)
        if n % _CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def xlsx_bytes(kind: Kind, fig: Figures, rows: list[Row]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind.name)
    sheet.append([f"{kind.title} by {fig.dimension}", f"{fig.period.first} to {fig.period.last}"])
    for line in table_lines(kind, fig, rows):
        # Text cells go in as text: openpyxl would take one beginning with "=" for a formula.
        sheet.append([csv_export.safe_cell(v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""One day's bill (``finance.bills.daily_bill``, the same figures as its JSON and CSV) as
XLSX: the lines, then paid, refunded, net and the ledger's net for the day."""

from __future__ import annotations

import io

from openpyxl import Workbook

from admit.core.csv_export import safe_cell
from admit.finance.bills import DailyBill


def xlsx_bytes(bill: DailyBill) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"bill {bill.day}")
    sheet.append(["time", "type", "reference", "order", "method", "amount"])
    for line in bill.lines:
        sheet.append(
            [
                line.at.replace(tzinfo=None),  # UTC: a spreadsheet keeps no time zone
                line.kind,
                safe_cell(line.reference),
                safe_cell(line.order_number),
                safe_cell(line.method),
                line.amount,
            ]
        )
    sheet.append([])
    for name, value in (
        ("paid", bill.paid),
        ("refunded", bill.refunded),
        ("net", bill.net),
        ("ledger_net", bill.ledger_net),
    ):
        sheet.append([name, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

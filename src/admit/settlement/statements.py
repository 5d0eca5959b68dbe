"""A party's statement for one settled period, as CSV and as PDF (fpdf2, its core fonts:
statements hold codes, numbers and dates only, so no embedded font is needed). Both are
rendered from the share row, so asking again returns the same statement."""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from admit.core import csv_export
from admit.core.money import Money
from admit.settlement.models import SettlementRun, SettlementShare


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    value: str


def lines(run: SettlementRun, share: SettlementShare) -> list[Line]:
    """The statement's lines, the same for both formats. Amounts are in minor units (fen)."""
    net = share.gross - share.refunded
    return [
        Line("organiser", str(run.organiser_id)),
        Line("party", f"{share.kind}:{share.party}"),
        Line("period_start", share.period_start.isoformat()),
        Line("period_end", share.period_end.isoformat()),
        Line("currency", run.currency),
        Line("run", str(run.id)),
        Line("agreement", "" if share.agreement_id is None else str(share.agreement_id)),
        Line("gross", str(share.gross)),
        Line("refunded", str(share.refunded)),
        Line("net", str(net)),
        Line("tickets", str(share.tickets)),
        Line("percent_bp", str(share.percent_bp)),
        Line("per_ticket", str(share.per_ticket)),
        Line("amount", str(share.amount)),
        Line("account", share.account),
        Line("ledger_entry", share.entry_ref or ""),
    ]


def statement_csv(run: SettlementRun, share: SettlementShare) -> str:
    out = io.StringIO()
    writer = csv_export.writer(out, lineterminator="\n")
    writer.writerow(["field", "value"])
    for line in lines(run, share):
        writer.writerow([line.label, line.value])
    return out.getvalue()


def _ascii(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def statement_pdf(run: SettlementRun, share: SettlementShare) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"Settlement {share.kind}:{share.party} {share.period_start}")
    pdf.set_creator("Admit")
    pdf.set_creation_date(run.created_at)  # the same statement, byte for byte, when asked again
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 10, "Settlement statement", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    for line in lines(run, share):
        pdf.cell(50, 7, _ascii(line.label))
        pdf.cell(0, 7, _ascii(line.value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Helvetica", style="B", size=12)
    owed = Money(share.amount, run.currency).format()
    pdf.cell(0, 8, _ascii(f"Owed to the party: {owed}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())

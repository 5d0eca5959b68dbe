"""Ticket renderings: the QR code as SVG (web pages, e-mail) or PNG, and the PDF e-ticket.

The QR text is the signed payload from :mod:`admit.ticketing.qr_payload`; segno encodes it in
alphanumeric mode at error correction level M, which survives a scratched phone screen or a
crumpled print-out without growing the symbol much. The PDF has one A6 page per ticket, set in
DejaVu Sans so names and seat labels outside Latin-1 print; characters the font lacks (CJK, for
one) print as "?" rather than as empty boxes and a warning in the log. The output is
deterministic: the same tickets give the same bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos
from fpdf.fonts import TTFFont

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_SANS_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
QR_ERROR = "m"
SVG_SCALE = 4  # pixels per module: a version 8 code is 228 px wide with its quiet zone

# Fixed so the same tickets give the same PDF bytes (the date is not a fact about the ticket).
_PDF_DATE = datetime(2000, 1, 1, tzinfo=UTC)

# A6 portrait, millimetres.
_PAGE = (105.0, 148.0)
_MARGIN = 7.0
_WIDTH = _PAGE[0] - 2 * _MARGIN
_BOTTOM = _PAGE[1] - _MARGIN
_QR_SIZE = 42.0


@dataclass(frozen=True, slots=True)
class TicketView:
    """Everything printed on one e-ticket, already formatted for the reader."""

    event: str
    session_time: str
    venue: str
    seat: str
    holder: str  # masked name, or "" for an unnamed ticket
    ticket_type: str
    price: str
    order_number: str
    pickup_code: str
    ticket_code: str
    admission_notes: str
    qr_text: str


def _qr(text: str) -> segno.QRCode:
    return segno.make(text, error=QR_ERROR, micro=False, boost_error=False)


def qr_svg(text: str) -> str:
    """An ``<svg>`` element of the QR code (no XML declaration), sized for a web page."""
    out = io.BytesIO()
    _qr(text).save(
        out,
        kind="svg",
        scale=SVG_SCALE,
        xmldecl=False,
        svgns=True,
        nl=False,
        svgclass="admit-qr",
        lineclass=None,
        title="Ticket QR code",
    )
    return out.getvalue().decode("utf-8")


def qr_png(text: str, scale: int = 6) -> bytes:
    """The QR code as PNG, ``scale`` pixels per module, with the standard 4-module quiet zone."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    out = io.BytesIO()
    _qr(text).save(out, kind="png", scale=scale)
    return out.getvalue()


def ticket_pdf(tickets: Sequence[TicketView]) -> bytes:
    """A PDF with one A6 page per ticket; ``ValueError`` for no tickets (an empty PDF is a bug)."""
    if not tickets:
        raise ValueError("a ticket PDF needs at least one ticket")
    pdf = FPDF(orientation="P", unit="mm", format=_PAGE)
    pdf.set_creation_date(_PDF_DATE)
    events = list(dict.fromkeys(ticket.event for ticket in tickets))
    pdf.set_title(" / ".join(events) + (" - e-ticket" if len(tickets) == 1 else " - e-tickets"))
    pdf.set_creator("Admit")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(False)  # every ticket on exactly one page: long text is cut short
    family = _load_fonts(pdf)
    for ticket in tickets:
        _page(_Writer(pdf, family), ticket)
    return bytes(pdf.output())


def _load_fonts(pdf: FPDF) -> str:
    """DejaVu Sans when installed (fonts-dejavu-core), else the core Helvetica (Latin-1 only)."""
    if DEJAVU_SANS.is_file() and DEJAVU_SANS_BOLD.is_file():
        pdf.add_font("DejaVu", "", DEJAVU_SANS)
        pdf.add_font("DejaVu", "B", DEJAVU_SANS_BOLD)
        return "DejaVu"
    return "Helvetica"


class _Writer:
    """Top-down text on one page: only glyphs the font has, at most so many lines per field."""

    def __init__(self, pdf: FPDF, family: str) -> None:
        self.pdf = pdf
        self.family = family

    def font(self, size: float, *, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def printable(self, text: str) -> str:
        """``text`` with every character the current font cannot draw replaced by "?"."""
        font = self.pdf.current_font
        if isinstance(font, TTFFont):
            cmap = font.cmap
            return "".join(char if ord(char) in cmap or char == "\n" else "?" for char in text)
        return text.encode("latin-1", "replace").decode("latin-1")

    def lines(self, text: str, height: float, *, max_lines: int, align: Align = Align.L) -> None:
        """Wrap ``text`` to the page width and print at most ``max_lines`` lines of it."""
        text = self.printable(text.strip())
        if not text or max_lines < 1:
            return
        wrapped = self.pdf.multi_cell(
            _WIDTH, height, text, dry_run=True, output=MethodReturnValue.LINES
        )
        assert isinstance(wrapped, list)
        shown: list[str] = [str(line) for line in wrapped[:max_lines]]
        if len(wrapped) > max_lines:
            shown[-1] = self._ellipsize(shown[-1])
        for line in shown:
            self.pdf.set_x(_MARGIN)
            self.pdf.cell(_WIDTH, height, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def lines_until(self, text: str, height: float, bottom: float) -> None:
        """Wrap ``text`` into the space left above ``bottom``."""
        self.lines(text, height, max_lines=int((bottom - self.pdf.get_y()) // height))

    def _ellipsize(self, line: str) -> str:
        mark = "…" if isinstance(self.pdf.current_font, TTFFont) else "..."
        while line and self.pdf.get_string_width(line + mark) > _WIDTH:
            line = line[:-1]
        return line.rstrip() + mark

    def gap(self, height: float) -> None:
        self.pdf.set_y(self.pdf.get_y() + height)


def _page(out: _Writer, ticket: TicketView) -> None:
    pdf = out.pdf
    pdf.add_page()
    pdf.set_y(_MARGIN)
    _header(out, ticket)
    _qr_block(out, ticket)
    out.gap(1.5)
    out.font(7)
    out.lines_until(ticket.admission_notes, 3.2, _BOTTOM)


def _header(out: _Writer, ticket: TicketView) -> None:
    """Event, time and venue, then the seat and what was bought."""
    out.font(14, bold=True)
    out.lines(ticket.event, 6.2, max_lines=2)
    out.font(10)
    out.lines(ticket.session_time, 5, max_lines=1)
    out.font(9)
    out.lines(ticket.venue, 4.5, max_lines=2)
    out.gap(1.5)
    out.pdf.set_draw_color(160)
    out.pdf.line(_MARGIN, out.pdf.get_y(), _MARGIN + _WIDTH, out.pdf.get_y())
    out.gap(1.5)
    out.font(12, bold=True)
    out.lines(ticket.seat, 5.8, max_lines=2)
    out.font(9.5)
    out.lines(
        " · ".join(part for part in (ticket.ticket_type, ticket.price) if part), 5, max_lines=1
    )
    if ticket.holder:
        out.lines(f"Holder: {ticket.holder}", 5, max_lines=1)


def _qr_block(out: _Writer, ticket: TicketView) -> None:
    """The QR code centred, the ticket code under it, then order number and pickup code."""
    pdf = out.pdf
    out.gap(1)
    top = pdf.get_y()
    pdf.image(
        io.BytesIO(qr_png(ticket.qr_text, scale=8)),
        x=(_PAGE[0] - _QR_SIZE) / 2,
        y=top,
        w=_QR_SIZE,
        h=_QR_SIZE,
        alt_text=f"QR code of ticket {ticket.ticket_code}",
    )
    pdf.set_y(top + _QR_SIZE)
    out.font(11, bold=True)
    out.lines(ticket.ticket_code, 5.5, max_lines=1, align=Align.C)
    out.font(8)
    reference = f"Order {ticket.order_number} · Pickup code {ticket.pickup_code}"
    out.lines(reference, 4, max_lines=2, align=Align.C)

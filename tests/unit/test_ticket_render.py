"""Ticket renderings: QR as SVG and PNG, and the one-page-per-ticket PDF e-ticket."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from admit.ticketing import render
from admit.ticketing.qr_payload import TicketClaims, generate_key, sign
from admit.ticketing.render import TicketView, qr_png, qr_svg, ticket_pdf

PRIVATE, _ = generate_key()
SEAT = "North Stand · Block 112 · Row 23 · Seat 17"
QR_TEXT = sign(
    TicketClaims(code="K7Q2M9X4P8ZD", session_id=48213, seat=SEAT, issued_at=1_795_000_000),
    kid="org1-2026",
    private_key=PRIVATE,
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TICKET = TicketView(
    event="Spring Gala",
    session_time="Sat 21 Nov 2026, 19:30",
    venue="Grand Theatre, Main Hall",
    seat=SEAT,
    holder="Zoë Ångström",
    ticket_type="Adult",
    price="380.00 CNY",
    order_number="A-2026-000123",
    pickup_code="738291",
    ticket_code="K7Q2M9X4P8ZD",
    admission_notes="Doors open 18:30. Bring the ID document the ticket was bought with.",
    qr_text=QR_TEXT,
)


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _pages_text(pdf: bytes) -> list[str]:
    """Each page's text with line breaks as spaces: wrapping is the layout's business."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_svg_is_an_svg_element_without_xml_declaration() -> None:
    svg = qr_svg(QR_TEXT)
    assert svg.startswith("<svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.attrib["width"]) >= 100


def test_png_signature_and_size_grow_with_scale() -> None:
    small, large = qr_png(QR_TEXT, scale=2), qr_png(QR_TEXT)
    assert small.startswith(PNG_SIGNATURE)
    assert large.startswith(PNG_SIGNATURE)
    width, height = _png_size(small)
    assert width == height
    assert _png_size(large) == (width * 3, height * 3)
    with pytest.raises(ValueError, match="scale"):
        qr_png(QR_TEXT, scale=0)


def test_pdf_has_one_page_per_ticket_with_its_text_and_qr_image() -> None:
    second = replace(TICKET, seat="Stalls · Row C · Seat 4", ticket_code="QW3E7R9T2Y5U")
    pdf = ticket_pdf([TICKET, second])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert reader.metadata is not None
    assert reader.metadata.title is not None
    assert "Spring Gala" in reader.metadata.title
    first_text, second_text = _pages_text(pdf)
    for text, ticket in ((first_text, TICKET), (second_text, second)):
        for expected in (
            ticket.event,
            ticket.seat,
            ticket.ticket_code,
            ticket.session_time,
            ticket.venue,
            ticket.order_number,
            ticket.pickup_code,
            ticket.price,
            "Zoë Ångström",
            "Doors open 18:30.",
        ):
            assert expected in text
    assert all(len(page.images) == 1 for page in reader.pages)


def test_pdf_is_deterministic() -> None:
    assert ticket_pdf([TICKET]) == ticket_pdf([TICKET])


def test_long_text_is_cut_to_keep_one_page_per_ticket() -> None:
    long = replace(
        TICKET,
        event="A Very Long Festival Name " * 10,
        venue="Somewhere " * 30,
        seat="Block " * 30,
        admission_notes="Read the rules carefully. " * 200,
    )
    pdf = ticket_pdf([long, long, long])
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    first = _pages_text(pdf)[0]
    assert "…" in first
    assert long.ticket_code in first


def test_characters_outside_the_font_print_as_question_marks() -> None:
    # DejaVu Sans has no CJK glyphs: "?" instead of empty boxes, and no warning.
    text = _pages_text(ticket_pdf([replace(TICKET, holder="张*", event="Gala 春节")]))[0]
    assert "Gala ??" in text
    assert "?*" in text


def test_without_dejavu_falls_back_to_helvetica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "DEJAVU_SANS", Path("/nonexistent/DejaVuSans.ttf"))
    pdf = ticket_pdf([replace(TICKET, event="Gala — 春节 Zoë")])
    text = _pages_text(pdf)[0]
    assert "Gala ? ?? Zoë" in text
    assert TICKET.ticket_code in text
    assert b"Helvetica" in pdf


def test_no_tickets_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one ticket"):
        ticket_pdf([])

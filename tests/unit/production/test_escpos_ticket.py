"""A ticket's ESC/POS job for an 80 mm printer: read back, it prints the event, session,
seat, price, holder and code, and its QR code holds the signed payload, which verifies."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from admit.production.escpos_ticket import ticket_job
from admit.sims.escpos_reader import read
from admit.ticketing import qr_payload
from admit.ticketing.render import TicketView

PRIVATE, PUBLIC = qr_payload.generate_key()
KID = "7-abc123"
CODE = "K7Q2M9X4P8ZD"


def _view(*, reprint: int = 0, holder: str = "Li Lei") -> TicketView:
    claims = qr_payload.TicketClaims(
        code=CODE, session_id=4821, seat="L1-HALL-A-7", issued_at=1_795_000_000, reprint=reprint
    )
    return TicketView(
        event="Swan Lake",
        session_time="Thu 24 Dec 2026, 19:30",
        venue="Grand Theatre",
        seat="Stalls · Row A · Seat 7",
        holder=holder,
        ticket_type="Adult",
        price="CNY 180.00",
        order_number="A1B2C3",
        pickup_code="",
        ticket_code=CODE,
        admission_notes="",
        qr_text=qr_payload.sign(claims, kid=KID, private_key=PRIVATE),
    )


def test_the_job_prints_the_ticket_and_its_qr_verifies() -> None:
    view = _view()
    job = ticket_job(view)
    assert job.startswith(b"\x1b@")  # initialised
    reading = read(job)
    assert reading.qr_codes == [view.qr_text]
    kid, claims = qr_payload.verify(reading.qr_codes[0], {KID: PUBLIC})
    assert (kid, claims.code, claims.session_id, claims.reprint) == (KID, CODE, 4821, 0)
    for shown in ("Swan Lake", "Thu 24 Dec 2026, 19:30", "Grand Theatre", "Row A", "Adult",
                  "CNY 180.00", "Holder: Li Lei", CODE, "Order A1B2C3"):  # fmt: skip
        assert shown in reading.text, shown
    assert reading.cuts == 1
    assert "Reprint" not in reading.text


def test_price_is_on_the_type_line_within_48_columns() -> None:
    line = next(ln for ln in read(ticket_job(_view())).text.splitlines() if "Adult" in ln)
    assert len(line) == 48
    assert line.startswith("Adult")
    assert line.endswith("CNY 180.00")


def test_a_ticket_without_holder_prints_no_holder_line() -> None:
    assert "Holder" not in read(ticket_job(_view(holder=""))).text


def test_a_reprint_says_so_and_its_qr_carries_the_reprint_number() -> None:
    reading = read(ticket_job(_view(reprint=2), reprint=2))
    assert "Reprint 2: earlier copies are void" in reading.text
    _, claims = qr_payload.verify(reading.qr_codes[0], {KID: PUBLIC})
    assert claims.reprint == 2


def test_the_same_view_gives_the_same_bytes() -> None:
    view = _view()
    assert ticket_job(view) == ticket_job(dataclasses.replace(view))


def test_importing_the_renderer_leaves_the_root_logger_alone() -> None:
    """python-escpos calls ``logging.basicConfig()`` on import; a fresh process importing the
    renderer still has no root handler (the JSON logs get no plain-text lines)."""
    code = (
        "import logging, admit.production.escpos_ticket; print(len(logging.getLogger().handlers))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"

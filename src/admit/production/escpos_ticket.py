"""A ticket as an ESC/POS job for an 80 mm thermal printer (S7), made with python-escpos.

The job prints the event, the session time, the venue, the seat, the ticket type and price, the
holder's name when the ticket has one, the signed QR payload as a native ESC/POS QR code
(``GS ( k``: model 2, error correction M, the printer draws it, so the text stays exactly the
payload a gate verifies) and the ticket code, then cuts. A reprinted ticket says which
printing it is. Text outside the printer's code pages prints as "?".

No I/O: python-escpos's ``Dummy`` printer only collects the bytes. The same view gives the same
bytes."""

from __future__ import annotations

import logging

from admit.ticketing.render import TicketView

# python-escpos calls ``logging.basicConfig()`` when imported (``escpos.capabilities``): a
# plain-text handler on the root logger, before a process has configured its own, would
# write lines past the JSON logs. Imported here with the root's handlers put back after.
_root_handlers = logging.getLogger().handlers[:]
from escpos.constants import QR_ECLEVEL_M  # noqa: E402
from escpos.printer import Dummy  # noqa: E402

logging.getLogger().handlers[:] = _root_handlers

PROFILE = "TM-T88V"  # an 80 mm printer: 48 columns of font A, 576 dots
COLUMNS = 48
QR_MODULE_DOTS = 5  # a version 8 code (49 modules + quiet zone) is ~ 300 of 576 dots


def _line(left: str, right: str) -> str:
    room = max(1, COLUMNS - len(left) - len(right))
    return f"{left}{' ' * room}{right}\n"


def ticket_job(view: TicketView, *, reprint: int = 0) -> bytes:
    """The ESC/POS bytes of one ticket, from initialisation to the cut."""
    p = Dummy(profile=PROFILE)
    p.hw("INIT")
    p.set(align="center", bold=True, double_height=True, double_width=False)
    p.text(f"{view.event}\n")
    p.set(align="center", bold=False, normal_textsize=True)
    p.text(f"{view.session_time}\n{view.venue}\n")
    p.text("-" * COLUMNS + "\n")
    p.set(align="left", bold=True, normal_textsize=True)
    p.text(f"{view.seat}\n")
    p.set(align="left", bold=False, normal_textsize=True)
    p.text(_line(view.ticket_type, view.price))
    if view.holder:
        p.text(f"Holder: {view.holder}\n")
    p.text(f"Order {view.order_number}\n")
    p.set(align="center", normal_textsize=True)
    p.qr(view.qr_text, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS, model=2, native=True, center=False)
    p.set(align="center", bold=True, normal_textsize=True)
    p.text(f"{view.ticket_code}\n")
    p.set(align="center", bold=False, normal_textsize=True)
    if reprint:
        p.text(f"Reprint {reprint}: earlier copies are void\n")
    if view.admission_notes:
        p.text(f"{view.admission_notes}\n")
    p.cut()
    return bytes(p.output)

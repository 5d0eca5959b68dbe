"""Tables of ticket production: the printers at outlet terminals, the sessions whose tickets
are thermal, each ticket's production status, the print log and the print exceptions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime

# What one attempt to print one ticket came to (a print log row).
PrintResult = Literal[
    "printed",  # the printer acknowledged the job: the ticket came out
    "paper_out",  # the printer reported no paper before the job: nothing was sent
    "unreachable",  # no connection to the printer: nothing was sent
    "unacknowledged",  # sent (perhaps partly), no acknowledgement: an exception
]
LogResult = Literal[PrintResult, "sending"]  # "sending": the job is (or was, at a crash) out
# Why an exception was opened: the record and the printer may disagree.
ExceptionKind = Literal[
    "unacknowledged",  # a job went out, the printer never acknowledged it (dropped, timed out)
    "reported_not_printed",  # recorded as printed, staff report it did not come out
]
ExceptionStatus = Literal["open", "resolved"]
Resolution = Literal["reprinted", "confirmed"]


class Printer(Base):
    """An 80 mm ESC/POS printer at an outlet terminal, reached at host:port (raw TCP, 9100).
    ``thermal``: the terminal is designated for thermal ticket stock (S7)."""

    __tablename__ = "production_printer"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    outlet: Mapped[str] = mapped_column(ForeignKey("sales_outlet.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]
    thermal: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ThermalSession(Base):
    """A session whose tickets are thermal: printed on stock held at designated terminals."""

    __tablename__ = "production_thermal_session"

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TicketProduction(Base):
    """A ticket's production status: absent until its first print; ``printed`` only after a
    printer acknowledged the job (or a reviewer confirmed it came out)."""

    __tablename__ = "production_ticket"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))  # printed, exception
    code: Mapped[str] = mapped_column(String(16))  # the code on the stub, when printed
    printer_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_printer.id"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PrintLog(Base):
    """One attempt to print one ticket: where, by whom, with which code, and how it went."""

    __tablename__ = "production_print_log"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    printer_id: Mapped[int] = mapped_column(ForeignKey("production_printer.id"), index=True)
    job: Mapped[str] = mapped_column(String(8))  # the job id the printer acknowledges
    staff: Mapped[str] = mapped_column(String(80))
    result: Mapped[str] = mapped_column(String(16))  # PrintResult
    detail: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PrintException(Base):
    """The record and the printer may disagree about a ticket: open until a reviewer reprints
    it (a new code, the old one void) or confirms it was printed, with a note."""

    __tablename__ = "production_print_exception"
    # At most one open exception per ticket.
    __table_args__ = (
        Index(
            "uq_print_exception_open",
            "ticket_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(16))  # the code the disputed stub carries
    printer_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_printer.id"), default=None
    )
    kind: Mapped[str] = mapped_column(String(24))  # ExceptionKind
    detail: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(12), default="open")
    resolution: Mapped[str | None] = mapped_column(String(12), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(80), default=None)

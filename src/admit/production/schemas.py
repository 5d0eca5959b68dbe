"""The bodies of ticket production's routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.production.models import (
    ExceptionKind,
    ExceptionStatus,
    LogResult,
    Printer,
    PrintException,
    PrintResult,
    Resolution,
)
from admit.production.printing import TicketPrinted

Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class PrinterIn(Model):
    code: Code
    outlet: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    host: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.:-]+$")]
    port: int = Field(default=9100, ge=1, le=65535)
    thermal: bool = Field(default=True, description="designated for thermal ticket stock")


class PrinterChangeIn(Model):
    host: Annotated[
        str | None, Field(default=None, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.:-]+$")
    ] = None
    port: int | None = Field(default=None, ge=1, le=65535)
    thermal: bool | None = None
    enabled: bool | None = None


class PrinterOut(Model):
    id: int
    code: str
    outlet: str
    name: str
    host: str
    port: int
    thermal: bool
    enabled: bool


class ThermalIn(Model):
    thermal: bool


class ThermalOut(Model):
    session_id: int
    thermal: bool


class PrintIn(Model):
    printer: Code


class TicketPrintOut(Model):
    code: str = Field(description="the ticket code sent (the current one)")
    result: PrintResult | Literal["skipped"] = Field(
        description="printed (acknowledged), paper_out or unreachable (nothing sent), "
        "unacknowledged (sent, no acknowledgement: see exception_id), or skipped "
        "(already printed, being printed, or under a print exception)"
    )
    detail: str | None
    exception_id: int | None


class PrintOut(Model):
    order_number: str
    printer: str
    tickets: list[TicketPrintOut]


def print_out(number: str, printer: str, done: list[TicketPrinted]) -> PrintOut:
    return PrintOut(
        order_number=number,
        printer=printer,
        tickets=[TicketPrintOut.model_validate(d) for d in done],
    )


class ReportIn(Model):
    code: Annotated[str, Field(min_length=1, max_length=16)]
    note: Note


class ReprintIn(Model):
    printer: Code
    note: Note


class ConfirmIn(Model):
    note: Note


class ExceptionOut(Model):
    id: int
    ticket_id: int
    order_number: str
    code: str = Field(description="the code the disputed stub carries (after a reprint: the new)")
    printer_id: int | None
    kind: ExceptionKind
    detail: str | None
    status: ExceptionStatus
    resolution: Resolution | None
    note: str | None
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


def exception_out(row: PrintException) -> ExceptionOut:
    return ExceptionOut.model_validate(row)


class ReprintOut(Model):
    exception: ExceptionOut
    old_code: str
    new_code: str
    result: PrintResult
    detail: str | None


class PrintLogOut(Model):
    id: int
    ticket_id: int
    code: str
    printer_id: int
    job: str
    staff: str
    result: LogResult
    detail: str | None
    at: datetime


def printer_out(p: Printer) -> PrinterOut:
    return PrinterOut.model_validate(p)

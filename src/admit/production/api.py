"""Administration of ticket production (S7, G16): printers at outlet terminals, thermal
sessions, the print log and the review of print exceptions. Printers are the platform's
(global ``sales.configure``, as outlets are); a session's thermal marking is its organiser's."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from admit.catalog.api import SESSION_ORGANISER
from admit.core.permissions import Permission, Principal
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    PrincipalDep,
    RuntimeDep,
    staff_actor,
    staff_may,
    staff_reader,
    staff_writer,
)
from admit.production import exceptions, printers
from admit.production.models import PrintLog
from admit.production.schemas import (
    ConfirmIn,
    ExceptionOut,
    PrinterChangeIn,
    PrinterIn,
    PrinterOut,
    PrintLogOut,
    ReprintIn,
    ReprintOut,
    ThermalIn,
    ThermalOut,
    exception_out,
    printer_out,
)
from admit.ticketing.models import Ticket

router = APIRouter(prefix="/admin", tags=["admin: ticket production"])
Writer = Annotated[UnitOfWork, staff_writer(Permission.SALES_CONFIGURE)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.SALES_CONFIGURE)]
SessionWriter = Annotated[
    UnitOfWork, staff_writer(Permission.SALES_CONFIGURE, scope=SESSION_ORGANISER)
]
# A reprint talks to a printer: no unit of work is held open meanwhile.
Reprinter = Annotated[Principal, staff_may(Permission.SALES_CONFIGURE)]


@router.post("/printers", status_code=201)
async def register_printer(body: PrinterIn, uow: Writer, now: Now) -> PrinterOut:
    """Register an outlet terminal's ESC/POS printer (raw TCP, port 9100 by default)."""
    return printer_out(await printers.create_printer(uow, **body.model_dump(), now=now))


@router.get("/printers")
async def list_printers(
    uow: Reader, outlet: Annotated[str | None, Query(max_length=40)] = None
) -> list[PrinterOut]:
    return [printer_out(p) for p in await printers.list_printers(uow, outlet=outlet)]


@router.patch("/printers/{printer_id}")
async def change_printer(
    printer_id: int, body: PrinterChangeIn, uow: Writer, now: Now
) -> PrinterOut:
    """Move a printer to another address, (un)designate it for thermal stock, switch it."""
    printer = await printers.update_printer(
        uow, printer_id=printer_id, **body.model_dump(), now=now
    )
    return printer_out(printer)


@router.put("/sessions/{session_id}/thermal")
async def set_thermal(session_id: int, body: ThermalIn, uow: SessionWriter, now: Now) -> ThermalOut:
    """Mark the session's tickets as thermal: they print only at designated terminals."""
    thermal = await printers.set_thermal(uow, session_id=session_id, thermal=body.thermal, now=now)
    return ThermalOut(session_id=session_id, thermal=thermal)


@router.get("/print-log")
async def print_log(
    uow: Reader,
    order: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[PrintLogOut]:
    """Every attempt to print a ticket (of one order), newest first."""
    query = select(PrintLog).order_by(PrintLog.id.desc()).limit(limit)
    if order is not None:
        query = query.join(Ticket, Ticket.id == PrintLog.ticket_id).where(
            Ticket.order_number == order
        )
    return [PrintLogOut.model_validate(r) for r in (await uow.session.scalars(query)).all()]


@router.get("/print-exceptions")
async def list_exceptions(
    uow: Reader,
    status: Literal["open", "resolved"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[ExceptionOut]:
    """Tickets whose record and printer may disagree, newest first."""
    rows = await exceptions.list_exceptions(uow, status=status, limit=limit)
    return [exception_out(r) for r in rows]


@router.post("/print-exceptions/{exception_id}/reprint")
async def reprint(
    exception_id: int, body: ReprintIn, who: Reprinter, rt: RuntimeDep, now: Now
) -> ReprintOut:
    """Resolve by reprinting: the disputed code is voided (gates refuse it), the ticket gets
    a new code with a bumped QR reprint number, and is printed at ``printer``. Resolved when
    the printer acknowledges; otherwise it stays open about the new code (409
    ``print_exception_resolved`` for a resolved one)."""
    done = await exceptions.reprint(
        rt,
        rt.crypto,
        staff_actor(who),
        exception_id=exception_id,
        printer_code=body.printer,
        note=body.note,
        now=now,
    )
    return ReprintOut(
        exception=exception_out(done.exception),
        old_code=done.old_code,
        new_code=done.printed.code,
        result=done.printed.result,
        detail=done.printed.detail,
    )


@router.post("/print-exceptions/{exception_id}/confirm")
async def confirm(
    exception_id: int, body: ConfirmIn, uow: Writer, who: PrincipalDep, now: Now
) -> ExceptionOut:
    """Resolve by confirming the stub came out: the ticket is recorded as printed."""
    row = await exceptions.confirm(
        uow, exception_id=exception_id, note=body.note, who=who.username, now=now
    )
    return exception_out(row)

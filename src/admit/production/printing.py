"""Printing an order's tickets at an outlet's printer (S7, G16).

Each ticket goes out as its own job, one after the other, and no database transaction is held
open while a printer is talked to:

1. checks (one transaction): a counter sale of this outlet, the printer enabled and at that
   outlet, and — for a session whose tickets are thermal — a terminal designated for thermal
   stock (409 ``not_thermal_terminal`` otherwise; nothing is sent);
2. per ticket, a claim (one transaction): its production status becomes ``printing`` only
   from nothing or ``unprinted`` — a printed ticket, one being printed, or one under a print
   exception is skipped — with a print log row ``sending``, committed before the job leaves,
   so that even a crash mid-job leaves a trace;
3. the job (``TicketPrinter``); then the outcome (one transaction): ``printed`` only on the
   printer's acknowledgement; paper out or unreachable: ``unprinted`` (nothing was sent);
   sent but unacknowledged: ``exception`` and an open print exception.

After a failure the remaining tickets are not sent (the printer is in trouble)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.core import audit
from admit.core.audit_context import Actor
from admit.core.errors import Conflict, NotFound
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.production import printers
from admit.production.escpos_ticket import ticket_job
from admit.production.faces import ticket_faces
from admit.production.models import Printer, PrintException, PrintLog, TicketProduction
from admit.production.printer import PrinterAddress, PrintOutcome, TicketPrinter
from admit.sales.models import Hold, Order
from admit.ticketing import issue
from admit.ticketing.models import Ticket

JOB_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class NotThermalTerminal(Conflict):
    code = "not_thermal_terminal"


class PrinterDisabled(Conflict):
    code = "printer_disabled"


class PrinterElsewhere(Conflict):
    code = "printer_at_another_outlet"


class NoTicketsYet(Conflict):
    code = "no_tickets_yet"


@dataclass(frozen=True, slots=True)
class TicketPrinted:
    """How one ticket's print went: a ``PrintResult``, or ``skipped`` with the reason."""

    code: str
    result: str
    detail: str | None = None
    exception_id: int | None = None


def new_job_id() -> str:
    return "".join(secrets.choice(JOB_ALPHABET) for _ in range(4))


def address(printer: Printer) -> PrinterAddress:
    return PrinterAddress(printer.host, printer.port)


async def counter_order(uow: UnitOfWork, number: str) -> tuple[Order, str]:
    """A counter sale's order and its outlet (a web or app order is not printed here: 404)."""
    found = (
        await uow.session.execute(
            select(Order, Hold.outlet)
            .join(Hold, Hold.id == Order.hold_id)
            .where(Order.number == number)
        )
    ).one_or_none()
    if found is None or not found[0].buyer.startswith("staff:") or not found[1]:
        raise NotFound(f"order {number} does not exist")
    return found[0], found[1]


async def check_printer(uow: UnitOfWork, printer: Printer, tickets: Sequence[Ticket]) -> None:
    """Refuse a disabled printer, and thermal tickets at a terminal not designated for them."""
    if not printer.enabled:
        raise PrinterDisabled(f"printer {printer.code} is switched off")
    if printer.thermal:
        return
    for session_id in sorted({t.session_id for t in tickets}):
        if await printers.is_thermal(uow, session_id):
            raise NotThermalTerminal(
                f"the tickets of session {session_id} are thermal: they print only at a "
                f"terminal designated for thermal stock, not at {printer.code}"
            )


async def print_order(
    rt: Runtime, actor: Actor, *, number: str, printer_code: str, now: datetime
) -> list[TicketPrinted]:
    """Print the order's valid tickets not yet printed at ``printer_code`` (see the module)."""
    async with rt.uow(actor, readonly=True) as uow:
        order, outlet = await counter_order(uow, number)
        printer = await printers.printer_by_code(uow, printer_code)
        if printer.outlet != outlet:
            raise PrinterElsewhere(
                f"printer {printer.code} is at outlet {printer.outlet}, the sale at {outlet}"
            )
        tickets = [t for t in await issue.tickets_of(uow, number) if t.status == "valid"]
        if not tickets:
            raise NoTicketsYet(f"order {number} has no valid tickets to print")
        await check_printer(uow, printer, tickets)
        faces = await ticket_faces(
            uow, tickets, currency=order.currency, pickup_code=order.pickup_code
        )
    device = rt.adapter(TicketPrinter)  # type: ignore[type-abstract]
    done: list[TicketPrinted] = []
    for ticket in tickets:
        async with rt.uow(actor) as uow:
            log = await claim(uow, ticket, printer, actor, now=now)
        if log is None:
            done.append(TicketPrinted(ticket.code, "skipped", "printed, printing or disputed"))
            continue
        outcome = await device.print_job(address(printer), ticket_job(faces[ticket.id]), log.job)
        async with rt.uow(actor) as uow:
            done.append(await record_outcome(uow, log.id, outcome, now=now))
        if outcome.result != "printed":
            break
    return done


async def claim(
    uow: UnitOfWork, ticket: Ticket, printer: Printer, actor: Actor, *, now: datetime
) -> PrintLog | None:
    """Take the ticket for printing (None when it is printed, being printed or disputed) and
    write its log row ``sending``."""
    values = {"code": ticket.code, "printer_id": printer.id, "updated_at": now}
    # First print: insert, or nothing when a row exists (a concurrent claim's insert waits
    # for the other to commit, then does nothing). Later ones: only from "unprinted".
    first = _insert(uow).values(ticket_id=ticket.id, status="printing", **values)
    inserted = await uow.session.execute(first.on_conflict_do_nothing(index_elements=["ticket_id"]))
    if not inserted.rowcount:  # type: ignore[attr-defined]
        taken = await uow.session.execute(
            update(TicketProduction)
            .where(TicketProduction.ticket_id == ticket.id, TicketProduction.status == "unprinted")
            .values(status="printing", **values),
            execution_options={"synchronize_session": False},
        )
        if not taken.rowcount:  # type: ignore[attr-defined]
            return None
    return await start_log(uow, ticket.id, ticket.code, printer, actor, now=now)


def _insert(uow: UnitOfWork) -> Any:
    return (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(TicketProduction)


async def start_log(
    uow: UnitOfWork, ticket_id: int, code: str, printer: Printer, actor: Actor, *, now: datetime
) -> PrintLog:
    log = PrintLog(
        ticket_id=ticket_id,
        code=code,
        printer_id=printer.id,
        job=new_job_id(),
        staff=actor.name or actor.id,
        result="sending",
        at=now,
    )
    uow.session.add(log)
    await uow.session.flush()
    return log


async def record_outcome(
    uow: UnitOfWork, log_id: int, outcome: PrintOutcome, *, now: datetime
) -> TicketPrinted:
    """Write what the printer said: the log row, the production status, an exception when the
    job went out unacknowledged (or reuse the ticket's open one, on a reprint)."""
    log = await uow.session.get(PrintLog, log_id)
    assert log is not None
    log.result, log.detail = outcome.result, outcome.detail
    opened = await open_exception(uow, log.ticket_id)
    status = "printed" if outcome.result == "printed" else "unprinted"
    if outcome.result == "unacknowledged" or (opened is not None and status != "printed"):
        status = "exception"  # a disputed ticket is printed again only through its exception
    await uow.session.execute(
        update(TicketProduction)
        .where(TicketProduction.ticket_id == log.ticket_id)
        .values(status=status, code=log.code, printer_id=log.printer_id, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    if outcome.result == "unacknowledged":
        if opened is None:
            opened = await _open(uow, log, outcome, now)
        else:
            opened.code, opened.printer_id, opened.detail = log.code, log.printer_id, outcome.detail
    await audit.record(
        uow,
        action=f"ticket.print.{outcome.result}",
        entity_type="ticket",
        entity_id=log.ticket_id,
        data={"code": log.code, "printer_id": log.printer_id, "job": log.job},
        now=now,
    )
    await uow.session.flush()
    return TicketPrinted(
        log.code, outcome.result, outcome.detail, opened.id if opened is not None else None
    )


async def open_exception(uow: UnitOfWork, ticket_id: int) -> PrintException | None:
    return await uow.session.scalar(
        select(PrintException)
        .where(PrintException.ticket_id == ticket_id, PrintException.status == "open")
        .with_for_update()
    )


async def _open(
    uow: UnitOfWork, log: PrintLog, outcome: PrintOutcome, now: datetime
) -> PrintException:
    order_number = await uow.session.scalar(
        select(Ticket.order_number).where(Ticket.id == log.ticket_id)
    )
    row = PrintException(
        ticket_id=log.ticket_id,
        order_number=order_number or "",
        code=log.code,
        printer_id=log.printer_id,
        kind="unacknowledged",
        detail=outcome.detail,
        opened_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        action="print_exception.opened",
        entity_type="production_print_exception",
        entity_id=row.id,
        data={"ticket_id": log.ticket_id, "code": log.code, "kind": row.kind},
        now=now,
    )
    return row

"""Print exceptions (S7): the record and the printer disagree about a ticket — a job went out
and was never acknowledged (it may have printed), or a ticket recorded as printed did not come
out (reported by the staff at the printer). Reviewers list them and resolve each:

- **reprint**: the ticket is reissued — its code retired (gates revoke it) and a new code with
  a bumped QR reprint number signed — and printed again; exactly one valid code remains
  whatever happened to the first stub. If the reprint is not acknowledged either, the
  exception stays open, now about the new code;
- **confirm**: someone saw the stub; the ticket is recorded as printed under its current code.

Each resolution carries a note and leaves an audit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.core import audit
from admit.core.audit_context import Actor
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, NotFound
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.production import printers
from admit.production.escpos_ticket import ticket_job
from admit.production.faces import ticket_faces
from admit.production.models import PrintException, TicketProduction
from admit.production.printer import TicketPrinter
from admit.production.printing import (
    TicketPrinted,
    address,
    check_printer,
    record_outcome,
    start_log,
)
from admit.sales.models import Order
from admit.ticketing import reissue
from admit.ticketing.models import Ticket


class ExceptionResolved(Conflict):
    code = "print_exception_resolved"


class NotPrinted(Conflict):
    code = "ticket_not_printed"


class ExceptionOpen(Conflict):
    code = "print_exception_open"


async def list_exceptions(
    uow: UnitOfWork, *, status: str | None, limit: int = 200
) -> list[PrintException]:
    query = select(PrintException).order_by(PrintException.id.desc()).limit(limit)
    if status is not None:
        query = query.where(PrintException.status == status)
    return list((await uow.session.scalars(query)).all())


async def _locked(uow: UnitOfWork, exception_id: int) -> PrintException:
    row = await uow.session.scalar(
        select(PrintException)
        .where(PrintException.id == exception_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(f"print exception {exception_id} does not exist")
    if row.status != "open":
        raise ExceptionResolved(f"print exception {exception_id} is already {row.status}")
    return row


def _resolve(row: PrintException, how: str, note: str, who: str, now: datetime) -> None:
    row.status, row.resolution, row.note = "resolved", how, note
    row.resolved_by, row.resolved_at = who, now


async def _audit(uow: UnitOfWork, row: PrintException, action: str, now: datetime) -> None:
    await audit.record(
        uow,
        action=action,
        entity_type="production_print_exception",
        entity_id=row.id,
        data={"ticket_id": row.ticket_id, "code": row.code, "note": row.note},
        now=now,
    )


async def report_not_printed(
    uow: UnitOfWork, *, number: str, code: str, note: str, now: datetime
) -> PrintException:
    """Staff at the printer say a ticket recorded as printed (or left printing by a server
    that died mid-job) did not come out, or cannot tell: open an exception for review."""
    ticket = await uow.session.scalar(
        select(Ticket).where(Ticket.order_number == number, Ticket.code == code)
    )
    if ticket is None:
        raise NotFound(f"order {number} has no ticket {code}")
    state = await uow.session.scalar(
        select(TicketProduction).where(TicketProduction.ticket_id == ticket.id).with_for_update()
    )
    # "printing" too: a job whose server died before the outcome was written stays so.
    if state is None or state.status not in ("printed", "printing"):
        status = state.status if state is not None else "never printed"
        raise NotPrinted(f"ticket {code} is not recorded as printed ({status})")
    state.status, state.updated_at = "exception", now
    row = PrintException(
        ticket_id=ticket.id,
        order_number=number,
        code=code,
        printer_id=state.printer_id,
        kind="reported_not_printed",
        detail=note[:200],
        opened_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await _audit(uow, row, "print_exception.reported", now)
    return row


async def confirm(
    uow: UnitOfWork, *, exception_id: int, note: str, who: str, now: datetime
) -> PrintException:
    """The stub was seen: the ticket is printed under the code the exception is about."""
    row = await _locked(uow, exception_id)
    ticket = await uow.session.get(Ticket, row.ticket_id)
    assert ticket is not None
    state = await uow.session.get(TicketProduction, row.ticket_id)
    if state is not None:
        state.status, state.code, state.updated_at = "printed", ticket.code, now
    _resolve(row, "confirmed", note, who, now)
    await uow.session.flush()
    await _audit(uow, row, "print_exception.confirmed", now)
    return row


@dataclass(frozen=True, slots=True)
class Reprinted:
    exception: PrintException
    old_code: str
    printed: TicketPrinted


async def reprint(
    rt: Runtime,
    crypto: FieldCrypto,
    actor: Actor,
    *,
    exception_id: int,
    printer_code: str,
    note: str,
    now: datetime,
) -> Reprinted:
    """Void the disputed code, issue the ticket a new one and print it (see the module).
    The new code is committed before the job leaves: from then on the old one is refused at
    the gates, whatever the printer does."""
    async with rt.uow(actor) as uow:
        row = await _locked(uow, exception_id)
        printer = await printers.printer_by_code(uow, printer_code)
        ticket = await uow.session.get(Ticket, row.ticket_id)
        assert ticket is not None
        await check_printer(uow, printer, [ticket])
        old_code = ticket.code
        ticket = await reissue.reissue(
            uow, crypto, ticket_id=ticket.id, reason="print_exception", now=now
        )
        row.code, row.note = ticket.code, note
        state = await uow.session.get(TicketProduction, ticket.id)
        assert state is not None
        state.status, state.code, state.updated_at = "printing", ticket.code, now
        log = await start_log(uow, ticket.id, ticket.code, printer, actor, now=now)
        order = await uow.session.scalar(select(Order).where(Order.number == ticket.order_number))
        assert order is not None
        face = (
            await ticket_faces(
                uow, [ticket], currency=order.currency, pickup_code=order.pickup_code
            )
        )[ticket.id]
        reprint_number = await reissue.reprints(uow, ticket.id)
        where, log_id = address(printer), log.id
    device = rt.adapter(TicketPrinter)  # type: ignore[type-abstract]
    outcome = await device.print_job(where, ticket_job(face, reprint=reprint_number), log.job)
    async with rt.uow(actor) as uow:
        printed = await record_outcome(uow, log_id, outcome, now=now)
        after = await uow.session.get(PrintException, exception_id)
        assert after is not None
        if outcome.result == "printed":
            _resolve(after, "reprinted", note, actor.name or actor.id, now)
            await uow.session.flush()
            await _audit(uow, after, "print_exception.reprinted", now)
    return Reprinted(after, old_code, printed)

"""Printing at the counter (S7): staff selling at an outlet print a sale's tickets at one of
its printers, and report a ticket recorded as printed that did not come out.

The print route holds no unit of work open while the printer is talked to: the caller's
``sales.sell`` grant is checked first (globally or scoped to the order's outlet or channel)
and each step commits on its own (``production.printing``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from admit.core.errors import Forbidden
from admit.core.permissions import Permission, Principal, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    Place,
    PrincipalDep,
    RuntimeDep,
    by_path,
    require_any_scope,
    staff_actor,
    staff_reader,
    staff_writer,
)
from admit.production import exceptions, printers, printing
from admit.production.schemas import (
    ExceptionOut,
    PrinterOut,
    PrintIn,
    PrintOut,
    ReportIn,
    exception_out,
    print_out,
    printer_out,
)

router = APIRouter(prefix="/counter", tags=["counter sales"])
AT_COUNTER = (ScopeKind.OUTLET, ScopeKind.CHANNEL)


async def _order_places(uow: UnitOfWork, value: str) -> list[Place]:
    order, outlet = await printing.counter_order(uow, value)
    return [(ScopeKind.OUTLET, outlet), (ScopeKind.CHANNEL, order.channel)]


def _may_sell() -> Any:
    """Any grant of ``sales.sell`` (the route narrows it to the order), no unit of work."""

    async def dependency(who: PrincipalDep) -> Principal:
        if not who.scopes_of(Permission.SELL):
            raise Forbidden(f"this needs the {Permission.SELL.value} permission")
        return who

    dependency.required_permission = Permission.SELL  # type: ignore[attr-defined]
    return Depends(dependency)


Seller = Annotated[Principal, _may_sell()]
OrderSeller = Annotated[
    UnitOfWork,
    staff_writer(Permission.SELL, scope=by_path("number", *AT_COUNTER, locate=_order_places)),
]
OutletSeller = Annotated[
    UnitOfWork, staff_reader(Permission.SELL, scope=by_path("outlet", ScopeKind.OUTLET))
]


@router.post("/orders/{number}/print")
async def print_tickets(
    number: str, body: PrintIn, who: Seller, rt: RuntimeDep, now: Now
) -> PrintOut:
    """Print the sale's tickets at one of its outlet's printers, one job per ticket. A ticket
    is recorded as printed only when the printer acknowledged it; one sent but never
    acknowledged opens a print exception. Thermal tickets print only at a terminal designated
    for them (409 ``not_thermal_terminal``); a printer of another outlet is 409
    ``printer_at_another_outlet``. Printed tickets are skipped (reprints go through an
    exception)."""
    actor = staff_actor(who)
    async with rt.uow(actor, readonly=True) as uow:
        require_any_scope(who, Permission.SELL, await _order_places(uow, number))
    done = await printing.print_order(rt, actor, number=number, printer_code=body.printer, now=now)
    return print_out(number, body.printer, done)


@router.post("/orders/{number}/print-exceptions", status_code=201)
async def report_not_printed(
    number: str, body: ReportIn, uow: OrderSeller, now: Now
) -> ExceptionOut:
    """A ticket recorded as printed did not come out (jam, blank stub): open a print
    exception for review (409 ``ticket_not_printed`` when it is not recorded as printed)."""
    row = await exceptions.report_not_printed(
        uow, number=number, code=body.code, note=body.note, now=now
    )
    return exception_out(row)


@router.get("/outlets/{outlet}/printers")
async def outlet_printers(outlet: str, uow: OutletSeller) -> list[PrinterOut]:
    """The printers at an outlet, for its counter page to choose from (404: no such
    outlet)."""
    return [printer_out(p) for p in await printers.list_printers(uow, outlet=outlet)]

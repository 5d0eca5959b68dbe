"""What the counter does with an order besides taking cash (FE2, S7): take it on the card
terminal or as the agent's own collection (``sales.collected``: paid and issued at once, the
money owed by the terminal's acquirer or by the agent until settled), and print its tickets
on one of the outlet's ticket printers (``production.printing``: a ticket counts as printed
only once the printer acknowledged it; one sent and not acknowledged opens a print
exception for review).

Printing holds no unit of work open while the printer is talked to: the order is checked
in a short read, then each ticket's claim and outcome commit on their own."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from admit.core.runtime import Runtime
from admit.production import printing
from admit.sales import collected
from admit.web.auth import SameOrigin
from admit.web.counter_auth import ClerkDep, ClerkWriter
from admit.web.counter_layout import CounterRoute
from admit.web.counter_views import clerk_order

router = APIRouter(route_class=CounterRoute, include_in_schema=False)

# How the last print of an order went, shown on its page: a print log's result, or every
# ticket skipped (printed already, or awaiting review).
PrintOutcome = Literal["printed", "paper_out", "unreachable", "unacknowledged", "skipped"]
Reference = Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$")]
PrinterCode = Annotated[str, Form(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def _collect(
    request: Request,
    number: str,
    clerk: ClerkDep,
    uow: ClerkWriter,
    method: collected.CollectedMethod,
    reference: str,
) -> Response:
    order = await clerk_order(uow, clerk, number)
    await collected.pay_collected(
        uow,
        _runtime(request).crypto,
        order_number=order.number,
        buyer=clerk.buyer,
        method=method,
        reference=reference,
        outlet=clerk.outlet,
        taken_by=clerk.username,
        now=_runtime(request).clock.now(),
    )
    return RedirectResponse(f"/counter/orders/{order.number}", status_code=303)


@router.post("/counter/orders/{number}/card", dependencies=[SameOrigin])
async def counter_card(
    request: Request, number: str, clerk: ClerkDep, uow: ClerkWriter, reference: Reference
) -> Response:
    """Paid on the card terminal under its transaction reference."""
    return await _collect(request, number, clerk, uow, "card", reference)


@router.post("/counter/orders/{number}/agent-collection", dependencies=[SameOrigin])
async def counter_agent_collection(
    request: Request, number: str, clerk: ClerkDep, uow: ClerkWriter, reference: Reference
) -> Response:
    """Collected by the agent with its own payment system (an agent's outlet only: 409
    ``outlet_not_in_channel`` elsewhere)."""
    return await _collect(request, number, clerk, uow, "agent", reference)


@router.post("/counter/orders/{number}/print", dependencies=[SameOrigin])
async def counter_print(
    request: Request, number: str, clerk: ClerkDep, printer: PrinterCode
) -> Response:
    """Send the order's tickets to one of the outlet's printers; back to the order's page
    with how many printed and how the last one went."""
    rt = _runtime(request)
    async with rt.uow(clerk.actor, readonly=True) as uow:
        order = await clerk_order(uow, clerk, number)
    done = await printing.print_order(
        rt, clerk.actor, number=order.number, printer_code=printer, now=rt.clock.now()
    )
    tried = [d for d in done if d.result != "skipped"]
    query = {
        "printed": sum(d.result == "printed" for d in done),
        "printer": tried[-1].result if tried else "skipped",
    }
    return RedirectResponse(f"/counter/orders/{order.number}?{urlencode(query)}", status_code=303)

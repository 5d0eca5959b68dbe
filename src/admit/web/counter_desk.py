"""The counter's desk work (FE2): collecting a paid order by its pickup code after checking
the document of the person collecting (``sales.pickups``), and the clerk's shift — open it
with the float, see the till report (totals by payment method, the cash the drawer should
hold), close it with the cash counted (``sales.shifts``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from admit.accounts.documents import DocumentType
from admit.core.errors import NotFound
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.sales import counter_gate, pickups, shifts
from admit.sales.models import Order, Pickup
from admit.sales.ticket_api import tickets_pdf
from admit.ticketing import issue
from admit.web.auth import SameOrigin
from admit.web.counter_auth import ClerkDep, ClerkReader, ClerkWriter
from admit.web.counter_layout import CounterRoute, counter_page
from admit.web.counter_sale import cash_amount

router = APIRouter(route_class=CounterRoute, include_in_schema=False)

Clean = r"^[^\x00-\x1f\x7f]*$"


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


# --- pickups ------------------------------------------------------------------------------


@router.get("/counter/pickup", response_class=HTMLResponse)
async def pickup_form(request: Request, clerk: ClerkDep) -> HTMLResponse:
    context = {"title": "Pickup", "clerk": clerk, "doc_types": list(DocumentType)}
    return await counter_page(request, "pickup.html", context)


@router.post("/counter/pickup", dependencies=[SameOrigin])
async def collect(
    request: Request,
    clerk: ClerkDep,
    uow: ClerkWriter,
    code: Annotated[str, Form(min_length=10, max_length=12, pattern=Clean)],
    number: Annotated[str, Form(min_length=4, max_length=40, pattern=Clean)],
    doc_type: Annotated[DocumentType, Form()] = DocumentType.CN_ID,
) -> Response:
    """Hand over the order named by the code, once, to its buyer or a ticket holder."""
    rt = _runtime(request)
    await counter_gate.refuse_if_closed(uow, clerk.outlet)
    _, pickup = await pickups.collect(
        uow,
        rt.crypto,
        pickups.PickupRequest(
            code=code,
            doc_type=doc_type.value,
            doc_number=number.strip(),
            outlet=clerk.outlet,
            staff_id=clerk.who.staff_id,
        ),
        per_day=rt.settings.pickups_per_person_day,
        now=rt.clock.now(),
    )
    return RedirectResponse(f"/counter/pickups/{pickup.id}", status_code=303)


async def _pickup(uow: UnitOfWork, outlet: str, pickup_id: int) -> tuple[Pickup, Order]:
    pickup = await uow.session.get(Pickup, pickup_id)
    if pickup is None or pickup.outlet != outlet:
        raise NotFound(f"pickup {pickup_id} was not made at this outlet")
    order = await uow.session.scalar(select(Order).where(Order.id == pickup.order_id))
    assert order is not None
    return pickup, order


@router.get("/counter/pickups/{pickup_id}", response_class=HTMLResponse)
async def pickup_page(
    request: Request, pickup_id: int, clerk: ClerkDep, uow: ClerkReader
) -> HTMLResponse:
    pickup, order = await _pickup(uow, clerk.outlet, pickup_id)
    context = {
        "title": "Collected",
        "clerk": clerk,
        "pickup": pickup,
        "order": order,
        "tickets": await issue.tickets_of(uow, order.number),
    }
    return await counter_page(request, "collected.html", context)


@router.get("/counter/pickups/{pickup_id}/tickets.pdf")
async def pickup_pdf(pickup_id: int, clerk: ClerkDep, uow: ClerkReader) -> Response:
    _, order = await _pickup(uow, clerk.outlet, pickup_id)
    return await tickets_pdf(uow, order, await issue.tickets_of(uow, order.number))


# --- the shift and its till report ---------------------------------------------------------


@router.get("/counter/till", response_class=HTMLResponse)
async def till(request: Request, clerk: ClerkDep, uow: ClerkReader) -> HTMLResponse:
    """The open shift's till report so far, and the clerk's recent shifts."""
    now = _runtime(request).clock.now()
    shift = await shifts.current_shift(uow, clerk.who.staff_id)
    context = {
        "title": "Till",
        "clerk": clerk,
        "report": await shifts.till_report(uow, shift, now=now) if shift else None,
        "recent": await shifts.recent_shifts(uow, clerk.who.staff_id),
    }
    return await counter_page(request, "till.html", context)


@router.post("/counter/till/open", dependencies=[SameOrigin])
async def open_shift(
    request: Request,
    clerk: ClerkDep,
    uow: ClerkWriter,
    opening_float: Annotated[str, Form(max_length=20)] = "0",
) -> Response:
    await shifts.open_shift(
        uow,
        staff_id=clerk.who.staff_id,
        staff=clerk.username,
        outlet=clerk.outlet,
        opening_float=cash_amount(opening_float or "0"),
        now=_runtime(request).clock.now(),
    )
    return RedirectResponse("/counter/till", status_code=303)


@router.post("/counter/till/close", dependencies=[SameOrigin])
async def close_shift(
    request: Request,
    clerk: ClerkDep,
    uow: ClerkWriter,
    counted: Annotated[str, Form(min_length=1, max_length=20)],
) -> Response:
    shift = await shifts.close_shift(
        uow,
        staff_id=clerk.who.staff_id,
        counted_cash=cash_amount(counted),
        now=_runtime(request).clock.now(),
    )
    return RedirectResponse(f"/counter/till/{shift.id}", status_code=303)


@router.get("/counter/till/{shift_id}", response_class=HTMLResponse)
async def shift_report(
    request: Request, shift_id: int, clerk: ClerkDep, uow: ClerkReader
) -> HTMLResponse:
    """A shift's till report (the clerk's own shifts only)."""
    shift = await shifts.get_shift(uow, shift_id, staff_id=clerk.who.staff_id)
    now = _runtime(request).clock.now()
    context = {
        "title": "Till report",
        "clerk": clerk,
        "report": await shifts.till_report(uow, shift, now=now),
        "recent": [],
    }
    return await counter_page(request, "till.html", context)

"""The counter's sale (FE2, G19, U1): find a session (with what remains), pick seats from a
keyboard-first list or ask for the best N of a level, hold them through the clerk's channel
and outlet, check one identity per ticket on the spot, order, take cash (the change shown),
then show the tickets and print them as a PDF (``web.counter_order_actions``: the card
terminal, the agent's collection, the outlet's ticket printer).

Pages call the same services as the counter API (``sales/counter_sale_api.py``), as the
clerk (``staff:<id>``) at the outlet of their sign-in; every write refuses a switched-off
outlet (``web.counter_auth`` checks it on each request, the services again in their own
transaction)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.catalog.queries import SessionFilter
from admit.content.announcements import showing_announcements
from admit.core import audit
from admit.core.errors import InvalidInput
from admit.core.runtime import Runtime
from admit.inventory.public_api import find_summaries
from admit.production import printers
from admit.sales import checkout, counter_gate, holds, order_views, orders, shifts
from admit.sales.ticket_api import tickets_pdf
from admit.ticketing import issue
from admit.web.auth import SameOrigin
from admit.web.counter_auth import ClerkDep, ClerkReader, ClerkWriter
from admit.web.counter_layout import CounterRoute, counter_page
from admit.web.counter_order_actions import PrintOutcome
from admit.web.counter_views import clerk_hold, clerk_order, hold_page, sale_page

router = APIRouter(route_class=CounterRoute, include_in_schema=False)

Clean = r"^[^\x00-\x1f\x7f]*$"
SeatKey = Annotated[str, Form(min_length=1, max_length=60, pattern=Clean)]


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


@router.get("/counter", response_class=RedirectResponse)
async def counter_root() -> RedirectResponse:
    return RedirectResponse("/counter/", status_code=308)


@router.get("/counter/", response_class=HTMLResponse)
async def counter_home(
    request: Request,
    clerk: ClerkDep,
    uow: ClerkReader,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Announcements, the session search (with what remains) and the clerk's shift."""
    rt = _runtime(request)
    now = rt.clock.now()
    found = await find_summaries(uow, rt, SessionFilter(q=q.strip(), limit=30), now)
    context = {
        "title": "Counter",
        "clerk": clerk,
        "q": q,
        "found": found,
        "announcements": await showing_announcements(uow, now=now, limit=5),
        "shift": await shifts.current_shift(uow, clerk.who.staff_id),
    }
    return await counter_page(request, "home.html", context)


@router.get("/counter/sessions/{session_id}", response_class=HTMLResponse)
async def counter_session(
    request: Request, session_id: int, clerk: ClerkDep, uow: ClerkReader
) -> HTMLResponse:
    """The sale form: free seats by level (a list to tick), or a quantity of a level."""
    page = await sale_page(uow, clerk, session_id, _runtime(request).clock.now())
    context = {"title": page.row.event.name, "clerk": clerk, "page": page}
    return await counter_page(request, "session.html", context)


@router.post("/counter/sessions/{session_id}/hold", dependencies=[SameOrigin])
async def counter_hold(
    request: Request,
    session_id: int,
    clerk: ClerkDep,
    uow: ClerkWriter,
    seat: Annotated[list[SeatKey] | None, Form(max_length=100)] = None,
    level: Annotated[str, Form(max_length=20, pattern=Clean)] = "",
    quantity: Annotated[int, Form(ge=0, le=100)] = 0,
) -> Response:
    """Hold the ticked seats, or the best ``quantity`` of ``level``, through the clerk's
    channel and outlet."""
    seats = list(dict.fromkeys(seat or []))
    if not seats and not (level and quantity):
        raise InvalidInput("tick seats, or give a level and a quantity")
    await counter_gate.refuse_if_closed(uow, clerk.outlet)
    placed = await holds.place_hold(
        uow,
        holds.HoldRequest(
            session_id=session_id,
            buyer=clerk.buyer,
            channel=clerk.channel,
            outlet=clerk.outlet,
            seat_keys=seats,
            best=None if seats else (level, quantity),
        ),
        now=_runtime(request).clock.now(),
    )
    return RedirectResponse(f"/counter/holds/{placed.id}", status_code=303)


def holder_ids(text: str, lines: int) -> list[int | None]:
    """The identities checked so far, one per line (``12,,15``): what the page carries."""
    parts = (text or "").split(",")[:lines]
    parts += [""] * (lines - len(parts))
    return [int(p) if p.isdigit() and len(p) <= 18 else None for p in parts]


def holder_ids_text(ids: list[int | None]) -> str:
    return ",".join("" if i is None else str(i) for i in ids)


@router.get("/counter/holds/{hold_id}", response_class=HTMLResponse)
async def counter_hold_page(
    request: Request,
    hold_id: int,
    clerk: ClerkDep,
    uow: ClerkReader,
    ids: Annotated[str, Query(max_length=2000)] = "",
    checked: Annotated[str, Query(max_length=40)] = "",
    names: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    """The held seats: a ticket type and a checked identity for each, then order."""
    page = await hold_page(uow, clerk, hold_id)
    holders = holder_ids(ids, len(page.seats))
    shown = (names or "").split("|")[: len(page.seats)]
    shown += [""] * (len(page.seats) - len(shown))
    line, _, status = checked.partition(":")
    context = {
        "title": "Held seats",
        "clerk": clerk,
        "page": page,
        "holders": holders,
        "names": shown,
        "ids_text": holder_ids_text(holders),
        "names_text": "|".join(shown),
        "checked_line": int(line) if line.isdigit() else None,
        "checked_status": status,
    }
    return await counter_page(request, "hold.html", context)


@router.post("/counter/holds/{hold_id}/order", dependencies=[SameOrigin])
async def counter_order(
    request: Request,
    hold_id: int,
    clerk: ClerkDep,
    uow: ClerkWriter,
    seat: Annotated[list[SeatKey], Form(min_length=1, max_length=100)],
    ticket_type: Annotated[list[str], Form(max_length=100)],
    ids: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Order the held seats, each with its type and (a real-name sale) its checked holder."""
    hold = await clerk_hold(uow, clerk, hold_id)
    await counter_gate.refuse_if_closed(uow, hold.outlet)
    if len(ticket_type) != len(seat):
        raise InvalidInput("one ticket type a seat")
    holders = holder_ids(ids, len(seat))
    order = await orders.place_order(
        uow,
        hold_id=hold.id,
        buyer=clerk.buyer,
        idempotency_key=f"counter-page-{hold.id}",
        now=_runtime(request).clock.now(),
        lines=[
            order_views.LineInput(ticket_type=t[:40], seat=s, holder=h)
            for s, t, h in zip(seat, ticket_type, holders, strict=True)
        ],
    )
    return RedirectResponse(f"/counter/orders/{order.number}", status_code=303)


@router.get("/counter/orders/{number}", response_class=HTMLResponse)
async def counter_order_page(
    request: Request,
    number: str,
    clerk: ClerkDep,
    uow: ClerkReader,
    change: Annotated[int | None, Query(ge=0)] = None,
    printed: Annotated[int | None, Query(ge=0, le=1000)] = None,
    printer: Annotated[PrintOutcome | None, Query()] = None,
) -> HTMLResponse:
    """The order: take cash, the card terminal's or the agent's collection; once paid, the
    change to hand back, the pickup code, the tickets, and the outlet's printers to print
    them on (with how the last print went)."""
    order = await clerk_order(uow, clerk, number)
    context = {
        "title": f"Order {order.number}",
        "clerk": clerk,
        "order": await orders.view_of(uow, order),
        "tickets": await issue.tickets_of(uow, order.number),
        "change": change,
        "printers": await printers.list_printers(uow, outlet=clerk.outlet),
        "printed": printed,
        "print_result": printer,
    }
    return await counter_page(request, "order.html", context)


def cash_amount(text: str) -> int:
    """Cash typed at the till, in yuan (``100`` or ``85.50``), as fen."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput("type the cash received, e.g. 100 or 85.50") from None
    if (
        not value.is_finite()
        or value < 0
        or value > 10_000_000
        or value != value.quantize(Decimal("0.01"))
    ):
        raise InvalidInput("type the cash received, e.g. 100 or 85.50")
    return int(value * 100)


@router.post("/counter/orders/{number}/cash", dependencies=[SameOrigin])
async def counter_cash(
    request: Request,
    number: str,
    clerk: ClerkDep,
    uow: ClerkWriter,
    received: Annotated[str, Form(min_length=1, max_length=20)],
) -> Response:
    """Take cash: the order is paid and its tickets issued; the page shows the change."""
    rt = _runtime(request)
    order = await clerk_order(uow, clerk, number)
    await counter_gate.refuse_if_closed(uow, clerk.outlet)
    _, change = await checkout.pay_cash(
        uow,
        rt.crypto,
        order_number=order.number,
        buyer=clerk.buyer,
        staff=clerk.username,
        outlet=clerk.outlet,
        received=cash_amount(received),
        now=rt.clock.now(),
    )
    query = urlencode({"change": change})
    return RedirectResponse(f"/counter/orders/{order.number}?{query}", status_code=303)


@router.get("/counter/orders/{number}/tickets.pdf")
async def counter_tickets_pdf(
    request: Request, number: str, clerk: ClerkDep, uow: ClerkWriter
) -> Response:
    """The order's tickets as one PDF to print at the counter (audited ``tickets.printed``)."""
    order = await clerk_order(uow, clerk, number)
    tickets = await issue.tickets_of(uow, order.number)
    await audit.record(
        uow,
        action="tickets.printed",
        entity_type="order",
        entity_id=order.number,
        data={"outlet": clerk.outlet},
        now=_runtime(request).clock.now(),
    )
    return await tickets_pdf(uow, order, tickets)

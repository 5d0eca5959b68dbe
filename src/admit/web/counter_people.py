"""The people at the counter (U1, G19): a ticket holder's document checked on the spot
through the public-security service (``accounts.counter_identities``), and a customer's
account opened on their behalf with the code sent to their phone, their real name filed and
verified (``accounts.customers``, ``accounts.verification``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.accounts import counter_registration, customers
from admit.accounts.counter_identities import check_at_counter
from admit.accounts.documents import DocumentType
from admit.accounts.identities import DocumentIn
from admit.accounts.verification import file_and_verify
from admit.core.runtime import Runtime
from admit.sales import counter_gate
from admit.web.auth import SameOrigin
from admit.web.counter_auth import ClerkDep, ClerkReader, ClerkWriter
from admit.web.counter_layout import CounterRoute, counter_page
from admit.web.counter_sale import holder_ids, holder_ids_text
from admit.web.counter_views import hold_page

router = APIRouter(route_class=CounterRoute, include_in_schema=False)

Clean = r"^[^\x00-\x1f\x7f]*$"
Name = Annotated[str, Form(min_length=1, max_length=60, pattern=Clean)]
Number = Annotated[str, Form(min_length=4, max_length=30, pattern=Clean)]
Kind = Annotated[DocumentType, Form()]


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


@router.post("/counter/holds/{hold_id}/check", dependencies=[SameOrigin])
async def check_holder(
    request: Request,
    hold_id: int,
    clerk: ClerkDep,
    line: Annotated[int, Form(ge=0, le=99)],
    name: Name,
    number: Number,
    doc_type: Kind = DocumentType.CN_ID,
    ids: Annotated[str, Form(max_length=2000)] = "",
    names: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the document of the person a held seat is for: verified, the identity is the
    line's holder; otherwise the page says why and the line stays without one."""
    rt = _runtime(request)
    async with rt.uow(clerk.actor, readonly=True) as uow:
        page = await hold_page(uow, clerk, hold_id)
        await counter_gate.refuse_if_closed(uow, clerk.outlet)
    lines = len(page.seats)
    if line >= lines:
        line = lines - 1
    result = await check_at_counter(
        rt,
        clerk.actor,
        document=DocumentIn(doc_type=doc_type, number=number.strip(), name=name, nationality="CN"),
        outlet=clerk.outlet,
    )
    holders = holder_ids(ids, lines)
    shown = (names or "").split("|")[:lines]
    shown += [""] * (lines - len(shown))
    holders[line] = result.identity_id
    shown[line] = f"{result.masked_name} {result.masked_number}" if result.identity_id else ""
    query = urlencode(
        {
            "ids": holder_ids_text(holders),
            "names": "|".join(s.replace("|", " ") for s in shown),
            "checked": f"{line}:{result.status}",
        }
    )
    return RedirectResponse(f"/counter/holds/{hold_id}?{query}", status_code=303)


# --- a customer's account opened at the counter (U1) -------------------------------------


@router.get("/counter/customers", response_class=HTMLResponse)
async def customer_form(request: Request, clerk: ClerkDep, uow: ClerkReader) -> HTMLResponse:
    context = {"title": "Register a customer", "clerk": clerk, "done": None, "status": ""}
    return await counter_page(request, "customer.html", context)


@router.post("/counter/customers", dependencies=[SameOrigin])
async def register_customer(
    request: Request,
    clerk: ClerkDep,
    uow: ClerkWriter,
    login: Annotated[str, Form(min_length=3, max_length=254, pattern=Clean)],
    code: Annotated[str, Form(pattern=r"^\d{6}$")],
    password: Annotated[str, Form(min_length=1, max_length=128)],
) -> Response:
    """Open the account with the code the customer reads out, at the clerk's outlet; the
    real name is filed next (``/counter/customers/{id}/identity``)."""
    rt = _runtime(request)
    await counter_gate.refuse_if_closed(uow, clerk.outlet)
    customer_id = await counter_registration.register_at_outlet(
        uow,
        rt.crypto,
        customers.Registration(
            login=login,
            code=code,
            password=password,
            source_channel="agent" if clerk.channel == "agent" else "kiosk",
            device=f"counter:{clerk.username}",
        ),
        outlet=clerk.outlet,
        registered_by=clerk.actor.label,
        now=rt.clock.now(),
    )
    return RedirectResponse(f"/counter/customers/{customer_id}", status_code=303)


@router.get("/counter/customers/{customer_id}", response_class=HTMLResponse)
async def customer_page(
    request: Request, customer_id: int, clerk: ClerkDep, uow: ClerkReader
) -> HTMLResponse:
    await counter_registration.require_registered_at(uow, customer_id, clerk.outlet)
    context = {
        "title": "Customer registered",
        "clerk": clerk,
        "done": customer_id,
        "status": request.query_params.get("status", "")[:12],
    }
    return await counter_page(request, "customer.html", context)


@router.post("/counter/customers/{customer_id}/identity", dependencies=[SameOrigin])
async def file_customer_identity(
    request: Request,
    customer_id: int,
    clerk: ClerkDep,
    name: Name,
    number: Number,
    doc_type: Kind = DocumentType.CN_ID,
) -> Response:
    """File the customer's own document (their real name, on their behalf) and verify it."""
    rt = _runtime(request)
    async with rt.uow(clerk.actor, readonly=True) as uow:
        await counter_registration.require_registered_at(uow, customer_id, clerk.outlet)
        await counter_gate.refuse_if_closed(uow, clerk.outlet)
    identity = await file_and_verify(
        rt,
        clerk.actor,
        customer_id=customer_id,
        document=DocumentIn(doc_type=doc_type, number=number.strip(), name=name, nationality="CN"),
        is_self=True,
    )
    query = urlencode({"status": identity.status})
    return RedirectResponse(f"/counter/customers/{customer_id}?{query}", status_code=303)

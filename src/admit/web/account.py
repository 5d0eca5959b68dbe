"""The customer's account (FE3, G10, G12, RN1): orders by status, one order with its
e-tickets (QR and PDF), and the real-name holders they buy for. Signing in, registering and
signing out are in ``web.sign_in``, whose pages this router carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.accounts.documents import DocumentType
from admit.accounts.holder_edits import HolderChange, edit_holder
from admit.accounts.identities import DocumentIn
from admit.accounts.verification import file_and_verify
from admit.aftersale import requests as refund_requests
from admit.core.errors import AdmitError, InvalidInput
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import runtime
from admit.http.int_bounds import DB_INT_MAX
from admit.sales import holder_removal, orders, ticket_api
from admit.web import provider_sign_in, sign_in
from admit.web.auth import (
    SameOrigin,
    SignedIn,
    Visitor,
    VisitorReader,
    safe_next,
)
from admit.web.errors import PageRoute
from admit.web.purchase_views import (
    HolderChoice,
    holder_choices,
    order_detail,
    orders_by_status,
)
from admit.web.refusals import holder_reason_text, refusal_text
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
router.include_router(sign_in.router)
router.include_router(provider_sign_in.router)

Clean = r"^[^\x00-\x1f\x7f]*$"
Next = Annotated[str, Form(max_length=2000)]
NextQuery = Annotated[str, Query(max_length=2000)]
OrderNumber = Annotated[str, Path(pattern=r"^[A-Z0-9]{4,20}$")]


Rt = Annotated[Runtime, Depends(runtime)]


# --- my account -----------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, rt: Rt, visitor: SignedIn, uow: VisitorReader) -> Response:
    """Orders by status, and the holders linked to the account."""
    return await render(
        request,
        "account/account.html",
        {
            "title": "My account",
            "visitor": visitor,
            "groups": await orders_by_status(uow, buyer=visitor.buyer),
            "holders": await holder_choices(uow, rt.crypto, visitor.customer_id),
            "providers": await provider_sign_in.providers_of(request, uow, visitor.customer_id),
        },
    )


@router.get("/account/orders/{number}", response_class=HTMLResponse)
async def order_page(
    number: OrderNumber, request: Request, rt: Rt, visitor: SignedIn, uow: VisitorReader
) -> Response:
    """One order: what was bought, its payments, each e-ticket's QR with the PDF, and — while
    refunds are open for its session — the refund form and the order's refund requests."""
    detail = await order_detail(uow, number=number, buyer=visitor.buyer)
    return await render(
        request,
        "account/order.html",
        {
            "title": f"Order {detail.order.number}",
            "visitor": visitor,
            "detail": detail,
            "refunds": await refund_requests.open_policy_for(uow, detail.order, rt.clock.now()),
            "requests": await refund_requests.list_requests(
                uow, buyer=visitor.buyer, order_number=number
            ),
        },
    )


@router.post("/account/orders/{number}/refund-requests", response_model=None)
async def apply_for_refund(
    number: OrderNumber,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    tickets: Annotated[list[str], Form(min_length=1, max_length=100)],
    reason: Annotated[str, Form(max_length=200, pattern=Clean)] = "",
) -> Response:
    """Ask for a refund of the ticked tickets (the policy's fee is kept)."""
    async with rt.uow(visitor.actor) as uow:
        await refund_requests.apply(
            uow,
            order_number=number,
            buyer=visitor.buyer,
            codes=tickets,
            reason=reason,
            who=visitor.buyer,
            now=rt.clock.now(),
        )
    return RedirectResponse(f"/account/orders/{number}?msg=refund_requested", status_code=303)


@router.get("/account/orders/{number}/tickets.pdf", response_class=Response)
async def order_pdf(number: OrderNumber, visitor: SignedIn, uow: VisitorReader) -> Response:
    """The order's e-tickets as one PDF (the API's own rendering, with the cookie)."""
    return await ticket_api.order_pdf(number, uow, visitor.customer_id)


@router.post("/account/orders/{number}/cancel", response_model=None)
async def cancel_order(
    number: OrderNumber, rt: Rt, visitor: SignedIn, _: Annotated[None, SameOrigin]
) -> Response:
    """Give up an order still waiting for payment: its seats go back at once."""
    async with rt.uow(visitor.actor) as uow:
        await orders.cancel_order(uow, number=number, buyer=visitor.buyer, now=rt.clock.now())
    return RedirectResponse(f"/account/orders/{number}", status_code=303)


# --- holders --------------------------------------------------------------------------


@router.get("/account/holders", response_class=HTMLResponse)
async def holders_page(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    uow: VisitorReader,
    next: NextQuery = "",  # noqa: A002
) -> Response:
    holders = await holder_choices(uow, rt.crypto, visitor.customer_id)
    return await _holders_view(request, visitor, holders, next=next)


async def _holders_view(
    request: Request,
    visitor: Visitor,
    holders: list[HolderChoice],
    *,
    next: str,  # noqa: A002
    problem: str | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "account/holders.html",
        {
            "title": "Ticket holders",
            "visitor": visitor,
            "holders": [(h, holder_reason_text(h.reason)) for h in holders],
            # A rejected own identity does not count: filing again replaces it.
            "has_self": any(h.is_self and h.status != "rejected" for h in holders),
            "rejected_self": any(h.is_self and h.status == "rejected" for h in holders),
            "doc_types": [(t.value, DOC_TYPE_NAMES[t]) for t in DocumentType],
            "next": safe_next(next, ""),
            "problem": problem,
        },
        status,
    )


DOC_TYPE_NAMES = {
    DocumentType.CN_ID: "Mainland resident ID card",
    DocumentType.HK_MACAU_PERMIT: "Hong Kong / Macau travel permit",
    DocumentType.TAIWAN_PERMIT: "Taiwan travel permit",
    DocumentType.HK_PASSPORT: "Hong Kong passport",
    DocumentType.MACAU_PASSPORT: "Macau passport",
    DocumentType.FOREIGN_PASSPORT: "Foreign passport",
}


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidInput("the visa date is not a real date") from None


@router.post("/account/holders", response_model=None)
async def add_holder(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    doc_type: Annotated[DocumentType, Form()],
    number: Annotated[str, Form(min_length=4, max_length=30, pattern=Clean)],
    name: Annotated[str, Form(min_length=1, max_length=60, pattern=Clean)],
    whose: Annotated[str, Form(pattern=r"^(self|other)$")] = "other",
    nationality: Annotated[str, Form(pattern=r"^([A-Za-z]{2})?$")] = "CN",
    visa_expires: Annotated[str, Form(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
    next: Next = "",  # noqa: A002
) -> Response:
    """File a document for yourself or a holder; a mainland ID card is verified online at
    once (the identity service), other documents wait for staff review."""
    try:
        document = DocumentIn(
            doc_type, number, name, (nationality or "CN").upper(), _date(visa_expires)
        )
        filed = await file_and_verify(
            rt,
            visitor.actor,
            customer_id=visitor.customer_id,
            document=document,
            is_self=whose == "self",
        )
    except AdmitError as refused:
        return await _holders_again(
            request, rt, visitor, next, refusal_text(refused), refused.status
        )
    async with rt.uow(visitor.actor, readonly=True) as uow:
        holders = await holder_choices(uow, rt.crypto, visitor.customer_id)
    rejected = [h for h in holders if h.identity_id == filed.id and h.status == "rejected"]
    if rejected:
        # Said on the form, not lost on the way back to checkout: correct it and file again.
        problem = holder_reason_text(rejected[0].reason)
        return await _holders_view(
            request, visitor, holders, next=next, problem=problem, status=422
        )
    target = safe_next(next, "/account/holders")
    return RedirectResponse(target, status_code=303)


@router.post("/account/holders/{identity_id}/remove", response_model=None)
async def remove_holder(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    identity_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
    next: Next = "",  # noqa: A002
) -> Response:
    """Take a holder off the account (a verified own identity stays, and a holder on a ticket
    still to be used stays until its session is over)."""

    async def remove(uow: UnitOfWork) -> None:
        await holder_removal.remove_holder(
            uow, customer_id=visitor.customer_id, identity_id=identity_id, now=rt.clock.now()
        )

    return await _change_holders(request, rt, visitor, next, remove)


@router.post("/account/holders/{identity_id}/phone", response_model=None)
async def change_holder_phone(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    identity_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
    contact_phone: Annotated[str, Form(pattern=r"^(1[3-9]\d{9})?$")] = "",
    next: Next = "",  # noqa: A002
) -> Response:
    """Set a holder's contact phone, or (empty) remove it; the document stays as filed."""
    change = HolderChange(contact_phone=contact_phone or None, set_contact_phone=True)

    async def set_phone(uow: UnitOfWork) -> None:
        await edit_holder(
            uow,
            rt.crypto,
            customer_id=visitor.customer_id,
            identity_id=identity_id,
            change=change,
            now=rt.clock.now(),
        )

    return await _change_holders(request, rt, visitor, next, set_phone)


async def _change_holders(
    request: Request,
    rt: Runtime,
    visitor: Visitor,
    next_path: str,
    change: Callable[[UnitOfWork], Awaitable[None]],
) -> Response:
    """Make ``change`` in one transaction, then back to the holders page — or the page again
    with the refusal said on it."""
    try:
        async with rt.uow(visitor.actor) as uow:
            await change(uow)
    except AdmitError as refused:
        return await _holders_again(
            request, rt, visitor, next_path, refusal_text(refused), refused.status
        )
    return RedirectResponse(_back_to_holders(next_path), status_code=303)


def _back_to_holders(next_path: str) -> str:
    return "/account/holders" + (
        f"?{urlencode({'next': next_path})}" if safe_next(next_path, "") else ""
    )


async def _holders_again(
    request: Request, rt: Runtime, visitor: Visitor, next_path: str, problem: str, status: int
) -> Response:
    async with rt.uow(visitor.actor, readonly=True) as uow:
        holders = await holder_choices(uow, rt.crypto, visitor.customer_id)
    return await _holders_view(
        request, visitor, holders, next=next_path, problem=problem, status=status
    )

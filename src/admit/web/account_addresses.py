"""The customer's delivery addresses page (FE3): the list with the default first, a form to
add one, and for each an edit form, "make default" and "remove" — plain server-rendered forms
(same-origin checked, as every account form), a refusal said on the page with what was typed
kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.accounts import addresses
from admit.accounts.address_rules import (
    FIELD_NAMES,
    LABEL_MAX,
    MAX_ADDRESSES,
    REGION_MAX,
    STREET_MAX,
    AddressFields,
)
from admit.accounts.documents import mask_phone
from admit.core.errors import AdmitError
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import runtime
from admit.http.int_bounds import DB_INT_MAX
from admit.web.auth import SameOrigin, SignedIn, Visitor, VisitorReader
from admit.web.errors import PageRoute
from admit.web.refusals import refusal_text
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Rt = Annotated[Runtime, Depends(runtime)]
AddressId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
PAGE = "/account/addresses"
# Room for what a person may type (spaces trimmed later); the service says what is wrong.
Region = Annotated[str, Form(max_length=REGION_MAX * 4)]
Street = Annotated[str, Form(max_length=STREET_MAX * 4)]
Short = Annotated[str, Form(max_length=200)]
Label = Annotated[str, Form(max_length=LABEL_MAX * 4)]
Flag = Annotated[str, Form(pattern=r"^(on)?$")]


async def _page(
    request: Request,
    rt: Runtime,
    visitor: Visitor,
    uow: UnitOfWork,
    *,
    problem: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    listed = await addresses.list_addresses(uow, rt.crypto, customer_id=visitor.customer_id)
    return await render(
        request,
        "account/addresses.html",
        {
            "title": "Delivery addresses",
            "visitor": visitor,
            "addresses": [(a, mask_phone(a.fields.phone)) for a in listed],
            "full": len(listed) >= MAX_ADDRESSES,
            "limit": MAX_ADDRESSES,
            "problem": problem,
            "typed": typed or {},
            "limits": {"region": REGION_MAX, "street": STREET_MAX, "label": LABEL_MAX},
        },
        status,
    )


@router.get(PAGE, response_class=HTMLResponse)
async def addresses_page(
    request: Request, rt: Rt, visitor: SignedIn, uow: VisitorReader
) -> Response:
    return await _page(request, rt, visitor, uow)


@router.post(PAGE, response_model=None)
async def add_address(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    province: Region,
    city: Region,
    district: Region,
    street: Street,
    recipient: Short,
    phone: Short,
    postal_code: Short = "",
    label: Label = "",
    is_default: Flag = "",
) -> Response:
    """Add an address (the first is the default; "make it my default" for a later one)."""
    fields = AddressFields(
        province, city, district, street, recipient, phone, postal_code or None, label or None
    )
    typed = {name: getattr(fields, name) or "" for name in FIELD_NAMES}
    typed["is_default"] = is_default

    async def add(uow: UnitOfWork) -> None:
        await addresses.add_address(
            uow,
            rt.crypto,
            customer_id=visitor.customer_id,
            fields=fields,
            make_default=is_default == "on",
            now=rt.clock.now(),
        )

    return await _change(request, rt, visitor, add, typed=typed)


@router.post(PAGE + "/{address_id}", response_model=None)
async def change_address(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    address_id: AddressId,
    province: Region,
    city: Region,
    district: Region,
    street: Street,
    recipient: Short,
    phone: Short = "",
    postal_code: Short = "",
    label: Label = "",
) -> Response:
    """Save an edited address; an empty phone keeps the one on file (the page shows it
    masked), an empty postal code or label removes it."""
    changes: dict[str, str | None] = {
        "province": province,
        "city": city,
        "district": district,
        "street": street,
        "recipient": recipient,
        "postal_code": postal_code or None,
        "label": label or None,
    }
    if phone.strip():
        changes["phone"] = phone

    async def change(uow: UnitOfWork) -> None:
        await addresses.change_address(
            uow,
            rt.crypto,
            customer_id=visitor.customer_id,
            address_id=address_id,
            changes=changes,
            now=rt.clock.now(),
        )

    return await _change(request, rt, visitor, change)


@router.post(PAGE + "/{address_id}/default", response_model=None)
async def make_default(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    address_id: AddressId,
) -> Response:
    async def choose(uow: UnitOfWork) -> None:
        await addresses.make_default(
            uow, customer_id=visitor.customer_id, address_id=address_id, now=rt.clock.now()
        )

    return await _change(request, rt, visitor, choose)


@router.post(PAGE + "/{address_id}/remove", response_model=None)
async def remove_address(
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    address_id: AddressId,
) -> Response:
    async def remove(uow: UnitOfWork) -> None:
        await addresses.remove_address(
            uow, customer_id=visitor.customer_id, address_id=address_id, now=rt.clock.now()
        )

    return await _change(request, rt, visitor, remove)


async def _change(
    request: Request,
    rt: Runtime,
    visitor: Visitor,
    change: Callable[[UnitOfWork], Awaitable[None]],
    *,
    typed: dict[str, str] | None = None,
) -> Response:
    """Make ``change`` in one transaction, then back to the page — or the page again with the
    refusal said on it (and the new address's fields as typed)."""
    try:
        async with rt.uow(visitor.actor) as uow:
            await change(uow)
    except AdmitError as refused:
        if refused.status == 404:
            raise
        async with rt.uow(visitor.actor, readonly=True) as uow:
            return await _page(
                request,
                rt,
                visitor,
                uow,
                problem=refusal_text(refused),
                typed=typed,
                status=refused.status,
            )
    return RedirectResponse(PAGE, status_code=303)

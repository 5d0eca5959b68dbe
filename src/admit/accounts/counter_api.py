"""Kiosk and agent-outlet staff registering a customer who stands at the counter (U1, FE2):
the customer reads out the code sent to their phone; the account records the outlet's channel,
the outlet and who opened it; their real-name document is filed and checked like any other.

Which customers a clerk reaches (issue 30, item 2): a clerk whose ``sales.sell`` grant is
scoped to outlets registers at one of them (named in the body, or their only one) and files
documents only for customers registered at their outlets; a globally granted seller registers
at any outlet (or none) and files for any customer opened at a counter. Nobody files, as a
customer's own, the document of a customer who registered on the web or in the app: 404, the
same answer as for a customer who does not exist."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import select

from admit.accounts import customers
from admit.accounts.customer_schemas import DocumentBody, Model
from admit.accounts.identity_models import CustomerHolder, IdentityStatus
from admit.accounts.models import Customer
from admit.accounts.outlet_switch import OutletSwitch
from admit.accounts.verification import file_and_verify
from admit.core.errors import InvalidInput, NotFound
from admit.core.permissions import Permission, Principal, ScopeKind
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    CONCEALED,
    Now,
    Place,
    PrincipalDep,
    RuntimeDep,
    by_path,
    narrowed,
    path_int,
    reach,
    require_scope,
    staff_actor,
    staff_reader,
    staff_writer,
)
from admit.http.errors import error_response


async def _counter_customer(uow: UnitOfWork, value: str) -> list[Place]:
    """Where a customer opened at a counter lies: their outlet (none for accounts opened
    before outlets were recorded). Any other customer is not found."""
    row = (
        await uow.session.execute(
            select(Customer.registered_by, Customer.registered_outlet).where(
                Customer.id == path_int(value, "customer")
            )
        )
    ).first()
    if row is None or row.registered_by is None:
        raise NotFound(CONCEALED)
    return [(ScopeKind.OUTLET, row.registered_outlet)] if row.registered_outlet else []


router = APIRouter(prefix="/admin/counter", tags=["box office: customers"])
Seller = Annotated[UnitOfWork, staff_writer(Permission.SELL, scope=narrowed(ScopeKind.OUTLET))]
SellerCheck = Annotated[
    UnitOfWork,
    staff_reader(
        Permission.SELL,
        scope=by_path("customer_id", ScopeKind.OUTLET, locate=_counter_customer, conceal=True),
    ),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no customer opened at a counter within your outlets"}
}


class CounterRegisterIn(Model):
    login: Annotated[str, Field(min_length=3, max_length=254)]
    code: Annotated[str, Field(pattern=r"^\d{6}$")]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    source_channel: Literal["kiosk", "agent"]
    outlet: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=40,
            description="the outlet's code; by default the one your grant is scoped to",
        ),
    ] = None


class CounterCustomerOut(Model):
    customer_id: int
    outlet: str | None


class CounterIdentityOut(Model):
    identity_id: int
    status: IdentityStatus


def _outlets(rt: Runtime) -> OutletSwitch:
    return rt.adapter(OutletSwitch)  # type: ignore[type-abstract]


def _outlet(who: Principal, asked: str | None) -> str | None:
    """The outlet the account is opened at: the one asked for, within the clerk's grants, or
    the clerk's only outlet. Raises ``Forbidden`` and ``InvalidInput``."""
    if asked is not None:
        require_scope(who, Permission.SELL, ScopeKind.OUTLET, asked)
        return asked
    mine = reach(who, Permission.SELL, ScopeKind.OUTLET)
    if mine is None:
        return None
    if len(mine) != 1:
        raise InvalidInput("name the outlet you register at", details={"outlets": sorted(mine)})
    return next(iter(mine))


@router.post(
    "/customers",
    status_code=201,
    response_model=CounterCustomerOut,
    responses={403: {"description": "the outlet is outside your grants"}},
)
async def register_at_counter(
    body: CounterRegisterIn, uow: Seller, rt: RuntimeDep, who: PrincipalDep, now: Now
) -> CounterCustomerOut | JSONResponse:
    """Open the account with the code the customer received (they read it out), at an
    outlet of the clerk's."""
    outlet = _outlet(who, body.outlet)
    await _outlets(rt).refuse_if_closed(uow, outlet)
    registration = customers.Registration(
        login=body.login,
        code=body.code,
        password=body.password,
        source_channel=body.source_channel,
        device=f"counter:{who.username}",
    )
    attempt = await customers.register(
        uow, rt.crypto, registration, now=now, registered_by=staff_actor(who).label
    )
    if attempt.token is None:
        return error_response(attempt.refusal)
    customer = await uow.session.get(Customer, attempt.token.subject_id)
    assert customer is not None
    customer.registered_outlet = outlet
    return CounterCustomerOut(customer_id=customer.id, outlet=outlet)


@router.post("/customers/{customer_id}/identity", status_code=201, responses=NOT_FOUND)
async def file_identity_at_counter(
    customer_id: int, body: DocumentBody, uow: SellerCheck, rt: RuntimeDep, who: PrincipalDep
) -> CounterIdentityOut:
    """File the customer's own document, seen at the counter (a customer opened at one of
    your outlets; that outlet switched off: 409 ``outlet_disabled``)."""
    registered_at = await uow.session.scalar(
        select(Customer.registered_outlet).where(Customer.id == customer_id)
    )
    await _outlets(rt).refuse_if_closed(uow, registered_at)
    identity = await file_and_verify(
        rt,
        staff_actor(who),
        customer_id=customer_id,
        document=body.to_document(),
        is_self=True,
        contact_phone=body.contact_phone,
    )
    async with rt.uow(staff_actor(who), readonly=True) as reader:
        holder = await reader.session.scalar(
            select(CustomerHolder).where(
                CustomerHolder.customer_id == customer_id,
                CustomerHolder.identity_id == identity.id,
            )
        )
    assert holder is not None
    return CounterIdentityOut(identity_id=identity.id, status=holder.status(identity))

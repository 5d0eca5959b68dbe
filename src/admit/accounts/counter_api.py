"""Kiosk and agent-outlet staff registering a customer who stands at the counter (U1, FE2):
the customer reads out the code sent to their phone; the account records the outlet's channel
and who opened it; their real-name document is filed and checked like any other."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from admit.accounts import customers
from admit.accounts.customer_schemas import DocumentBody, Model
from admit.accounts.permissions import Permission
from admit.accounts.verification import file_and_verify
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PrincipalDep, RuntimeDep, staff_actor, staff_reader, staff_writer
from admit.http.errors import error_response

router = APIRouter(prefix="/admin/counter", tags=["box office: customers"])
Seller = Annotated[UnitOfWork, staff_writer(Permission.SELL)]
SellerCheck = Annotated[UnitOfWork, staff_reader(Permission.SELL)]


class CounterRegisterIn(Model):
    login: Annotated[str, Field(min_length=3, max_length=254)]
    code: Annotated[str, Field(pattern=r"^\d{6}$")]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    source_channel: Literal["kiosk", "agent"]


class CounterCustomerOut(Model):
    customer_id: int


class CounterIdentityOut(Model):
    identity_id: int
    status: str


@router.post("/customers", status_code=201, response_model=CounterCustomerOut)
async def register_at_counter(
    body: CounterRegisterIn, uow: Seller, rt: RuntimeDep, who: PrincipalDep, now: Now
) -> CounterCustomerOut | JSONResponse:
    """Open the account with the code the customer received (they read it out)."""
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
    return CounterCustomerOut(customer_id=attempt.token.subject_id)


@router.post("/customers/{customer_id}/identity", status_code=201)
async def file_identity_at_counter(
    customer_id: int, body: DocumentBody, _: SellerCheck, rt: RuntimeDep, who: PrincipalDep
) -> CounterIdentityOut:
    """File the customer's own document, seen at the counter."""
    identity = await file_and_verify(
        rt,
        staff_actor(who),
        customer_id=customer_id,
        document=body.to_document(),
        is_self=True,
        contact_phone=body.contact_phone,
    )
    return CounterIdentityOut(identity_id=identity.id, status=identity.status)

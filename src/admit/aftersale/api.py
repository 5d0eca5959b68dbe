"""Refunds after the sale over HTTP (S11, G11): operators open and close refund policies for
an event or a session and review requests; customers apply for their orders' tickets, see
their requests and withdraw undecided ones. Staff act within the session's organiser."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from admit.aftersale import decisions, session_cancel
from admit.aftersale import policies as refund_policies
from admit.aftersale import requests as refund_requests
from admit.aftersale.models import OpenedBecause, RefundPolicy, RefundRequest, RequestStatus
from admit.catalog import ownership
from admit.catalog.api import EVENT_ORGANISER, SESSION_ORGANISER
from admit.core.errors import NotFound
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    CustomerId,
    CustomerReader,
    CustomerUoW,
    Now,
    Place,
    PrincipalDep,
    by_path,
    staff_reader,
    staff_writer,
)
from admit.sales.hold_api import Model
from admit.sales.models import Order

router = APIRouter(tags=["refunds"])


async def _organiser_of(uow: UnitOfWork, session_id: int | None, what: str) -> list[Place]:
    if session_id is None:
        raise NotFound(f"{what} does not exist")
    organiser, _ = await ownership.places_of_session(uow, session_id)
    return [(ScopeKind.ORGANISER, organiser)]


async def _request_organiser(uow: UnitOfWork, value: str) -> list[Place]:
    session_id = await uow.session.scalar(
        select(RefundRequest.session_id).where(RefundRequest.number == value)
    )
    return await _organiser_of(uow, session_id, f"refund request {value}")


async def _order_organiser(uow: UnitOfWork, value: str) -> list[Place]:
    session_id = await uow.session.scalar(select(Order.session_id).where(Order.number == value))
    return await _organiser_of(uow, session_id, f"order {value}")


SessionRefunds = Annotated[
    UnitOfWork,
    staff_writer(
        Permission.REFUNDS,
        scope=SESSION_ORGANISER,
    ),
]
SessionRefundsReader = Annotated[
    UnitOfWork,
    staff_reader(
        Permission.REFUNDS,
        scope=SESSION_ORGANISER,
    ),
]
EventRefunds = Annotated[
    UnitOfWork,
    staff_writer(Permission.REFUNDS, scope=EVENT_ORGANISER),
]
RequestReviewer = Annotated[
    UnitOfWork,
    staff_writer(
        Permission.REFUNDS,
        scope=by_path("request_number", ScopeKind.ORGANISER, locate=_request_organiser),
    ),
]
OrderRefunds = Annotated[
    UnitOfWork,
    staff_writer(
        Permission.REFUNDS,
        scope=by_path("order_number", ScopeKind.ORGANISER, locate=_order_organiser),
    ),
]
Reader = Annotated[UnitOfWork, staff_reader(Permission.REFUNDS)]

FeeTier = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]


class PolicyIn(Model):
    reason: OpenedBecause
    note: Annotated[str, Field(max_length=200)] = ""
    paid_before: datetime | None = Field(
        default=None, description="orders paid up to this time are eligible (default: now)"
    )
    closes_at: datetime | None = Field(
        default=None, description="last moment to apply (default: when the session starts)"
    )
    fee_fixed: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    fee_percent_bp: Annotated[int, Field(ge=0, le=10_000)] = 0
    fee_tiers: list[FeeTier] = Field(
        default_factory=list,
        max_length=20,
        description="[hours before the session, basis points]: the nearest tier at or above "
        "the hours left applies instead of fee_percent_bp",
    )
    approval_required: bool = True
    exchanges: bool = Field(
        default=True, description="tickets may be changed for another session or seat"
    )
    exchange_fee_fixed: Annotated[int, Field(ge=0, le=10_000_000)] = 0


class PolicyOut(Model):
    target: str
    reason: OpenedBecause
    note: str
    paid_before: datetime
    closes_at: datetime | None
    fee_fixed: int
    fee_percent_bp: int
    fee_tiers: list[list[int]]
    approval_required: bool
    exchanges: bool
    exchange_fee_fixed: int
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None


def policy_out(p: RefundPolicy) -> PolicyOut:
    return PolicyOut(
        target=p.target,
        reason=cast(OpenedBecause, p.reason),
        note=p.note,
        paid_before=p.paid_before,
        closes_at=p.closes_at,
        fee_fixed=p.fee_fixed,
        fee_percent_bp=p.fee_percent_bp,
        fee_tiers=[[int(h), int(bp)] for h, bp in p.fee_tiers],
        approval_required=p.approval_required,
        exchanges=p.exchanges,
        exchange_fee_fixed=p.exchange_fee_fixed,
        opened_at=p.opened_at,
        opened_by=p.opened_by,
        closed_at=p.closed_at,
    )


def _terms(body: PolicyIn) -> refund_policies.PolicyInput:
    return refund_policies.PolicyInput(
        reason=body.reason,
        note=body.note,
        paid_before=body.paid_before,
        closes_at=body.closes_at,
        fee_fixed=body.fee_fixed,
        fee_percent_bp=body.fee_percent_bp,
        fee_tiers=[(h, bp) for h, bp in body.fee_tiers],
        approval_required=body.approval_required,
        exchanges=body.exchanges,
        exchange_fee_fixed=body.exchange_fee_fixed,
    )


class ApplyIn(Model):
    tickets: list[Annotated[str, Field(min_length=1, max_length=16)]] | None = Field(
        default=None, min_length=1, max_length=100, description="ticket codes; all when absent"
    )
    reason: Annotated[str, Field(max_length=200)] = ""


class DecisionIn(Model):
    note: Annotated[str, Field(max_length=200)] = ""


class RequestOut(Model):
    number: str
    order_number: str
    session_id: int
    status: RequestStatus
    tickets: int
    amount: int
    fee: int
    refund: int
    physical: bool = Field(description="printed tickets: mailed back before the money moves")
    reason: str
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    returned_at: datetime | None
    refund_number: str | None
    done_at: datetime | None


def request_out(r: RefundRequest) -> RequestOut:
    return RequestOut(
        number=r.number,
        order_number=r.order_number,
        session_id=r.session_id,
        status=cast(RequestStatus, r.status),
        tickets=r.tickets,
        amount=r.amount,
        fee=r.fee,
        refund=r.refund,
        physical=r.physical,
        reason=r.reason,
        created_at=r.created_at,
        decided_at=r.decided_at,
        decision_note=r.decision_note,
        returned_at=r.returned_at,
        refund_number=r.refund_number,
        done_at=r.done_at,
    )


# --- operators: policies -----------------------------------------------------------------


@router.put("/admin/sessions/{session_id}/refund-policy")
async def open_session_refunds(
    session_id: int, body: PolicyIn, uow: SessionRefunds, who: PrincipalDep, now: Now
) -> PolicyOut:
    """Open refunds for a session's eligible orders (or change the terms)."""
    policy = await refund_policies.open_policy(
        uow, session_id=session_id, terms=_terms(body), who=who.username, now=now
    )
    return policy_out(policy)


@router.put("/admin/events/{event_id}/refund-policy")
async def open_event_refunds(
    event_id: int, body: PolicyIn, uow: EventRefunds, who: PrincipalDep, now: Now
) -> PolicyOut:
    """Open refunds for every session of an event (a session's own policy wins)."""
    policy = await refund_policies.open_policy(
        uow, event_id=event_id, terms=_terms(body), who=who.username, now=now
    )
    return policy_out(policy)


@router.delete("/admin/sessions/{session_id}/refund-policy")
async def close_session_refunds(session_id: int, uow: SessionRefunds, now: Now) -> PolicyOut:
    return policy_out(await refund_policies.close_policy(uow, session_id=session_id, now=now))


@router.delete("/admin/events/{event_id}/refund-policy")
async def close_event_refunds(event_id: int, uow: EventRefunds, now: Now) -> PolicyOut:
    return policy_out(await refund_policies.close_policy(uow, event_id=event_id, now=now))


# --- operators: requests -----------------------------------------------------------------


@router.get("/admin/refund-requests")
async def list_refund_requests(
    uow: Reader, status: RequestStatus | None = None, order: str | None = None
) -> list[RequestOut]:
    """The newest requests first (at most 100), by state or order."""
    rows = await refund_requests.list_requests(uow, status=status, order_number=order)
    return [request_out(r) for r in rows]


@router.post("/admin/orders/{order_number}/refund-requests", status_code=201)
async def apply_for_order(
    order_number: str, body: ApplyIn, uow: OrderRefunds, who: PrincipalDep, now: Now
) -> RequestOut:
    """Staff apply for a buyer (a contract client's rep, a phone call to customer service)."""
    applied = await refund_requests.apply(
        uow,
        order_number=order_number,
        buyer=None,
        codes=body.tickets,
        reason=body.reason,
        who=who.username,
        now=now,
    )
    return request_out(applied.request)


@router.post("/admin/refund-requests/{request_number}/approve")
async def approve_refund(
    request_number: str, body: DecisionIn, uow: RequestReviewer, who: PrincipalDep, now: Now
) -> RequestOut:
    """The tickets are refunded now (gates refuse them); the money follows."""
    request = await decisions.approve(
        uow, number=request_number, who=who.username, note=body.note, now=now
    )
    return request_out(request)


@router.post("/admin/refund-requests/{request_number}/reject")
async def reject_refund(
    request_number: str, body: DecisionIn, uow: RequestReviewer, who: PrincipalDep, now: Now
) -> RequestOut:
    """Refuse with a reason (required): the tickets stay valid."""
    request = await decisions.reject(
        uow, number=request_number, who=who.username, note=body.note, now=now
    )
    return request_out(request)


@router.post("/admin/refund-requests/{request_number}/returned")
async def tickets_returned(
    request_number: str, uow: RequestReviewer, who: PrincipalDep, now: Now
) -> RequestOut:
    """The printed tickets came back by post: the money moves."""
    request = await decisions.check_in_return(uow, number=request_number, who=who.username, now=now)
    return request_out(request)


class CancelIn(Model):
    note: Annotated[str, Field(min_length=1, max_length=200)]


class CancelOut(Model):
    session_id: int
    holds_released: int
    refunds: dict[str, int] = Field(description="the session's refund requests by state")


@router.post("/admin/sessions/{session_id}/cancellation", status_code=202)
async def cancel_session(
    session_id: int, body: CancelIn, uow: SessionRefunds, who: PrincipalDep, now: Now
) -> CancelOut:
    """Cancel the session: sales stop, unpaid holds end, and a batch job refunds every paid
    order in full (tickets revoked, money back through each payment). Follow it with
    ``GET …/refunds``."""
    released = await session_cancel.cancel_session(
        uow, session_id=session_id, note=body.note, who=who.username, now=now
    )
    return CancelOut(session_id=session_id, holds_released=released, refunds={})


@router.get("/admin/sessions/{session_id}/refunds")
async def session_refunds(session_id: int, uow: SessionRefundsReader) -> CancelOut:
    """How the session's refund requests stand, by state."""
    counts = await session_cancel.requests_of(uow, session_id)
    return CancelOut(session_id=session_id, holds_released=0, refunds=counts)


# --- customers ---------------------------------------------------------------------------


@router.post("/orders/{number}/refund-requests", status_code=201)
async def apply_for_refund(
    number: str, body: ApplyIn, uow: CustomerUoW, cid: CustomerId, now: Now
) -> RequestOut:
    """Apply for a refund of some or all of the order's tickets while refunds are open for
    its session; the policy's fee is kept."""
    applied = await refund_requests.apply(
        uow,
        order_number=number,
        buyer=f"customer:{cid}",
        codes=body.tickets,
        reason=body.reason,
        who=f"customer:{cid}",
        now=now,
    )
    return request_out(applied.request)


@router.get("/refund-requests")
async def my_refund_requests(uow: CustomerReader, cid: CustomerId) -> list[RequestOut]:
    rows = await refund_requests.list_requests(uow, buyer=f"customer:{cid}")
    return [request_out(r) for r in rows]


@router.post("/refund-requests/{number}/withdraw")
async def withdraw_refund(number: str, uow: CustomerUoW, cid: CustomerId, now: Now) -> RequestOut:
    request = await decisions.withdraw(uow, number=number, buyer=f"customer:{cid}", now=now)
    return request_out(request)

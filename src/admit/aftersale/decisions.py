"""Deciding refund requests (S11): staff approve — the tickets are refunded at once and the
money follows — or reject with a reason; the buyer withdraws one not yet decided; printed
tickets are checked in when they come back by post, and only then does the money move; a
partner cinema's order is refunded at the cinema first, by a job between transactions.

Lock order, the sale's: hold → order (``order_and_hold``) → the request → the payment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from admit.aftersale.models import (
    RefundPolicy,
    RefundRequest,
    RefundRequestRefund,
    RefundRequestTicket,
)
from admit.aftersale.money_back import send_back
from admit.aftersale.policies import still_sells
from admit.aftersale.returns import Returned, return_tickets
from admit.catalog.models import Session
from admit.core import audit, outbox
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.sales.models import Hold, Order, OrderLine
from admit.sales.order_locks import order_and_hold
from admit.sales.outside_inventory import outside, sold_outside
from admit.ticketing.models import Ticket

OUTSIDE_JOB = "sales.refund_outside"
# The payment refund's reason (40 characters; its message explains it) by the policy's reason.
MONEY_REASON = {"cancelled": "session_cancelled", "postponed": "session_postponed"}


class WrongState(Conflict):
    code = "refund_request_state"


async def _locked_request(uow: UnitOfWork, number: str) -> tuple[RefundRequest, Order, Hold]:
    request = await uow.session.scalar(select(RefundRequest).where(RefundRequest.number == number))
    if request is None:
        raise NotFound(f"refund request {number} does not exist")
    order, hold = await order_and_hold(uow, request.order_number)
    fresh = {"populate_existing": True}
    locked = await uow.session.scalar(
        select(RefundRequest)
        .where(RefundRequest.id == request.id)
        .with_for_update()
        .execution_options(**fresh)
    )
    assert locked is not None
    return locked, order, hold


async def approve(
    uow: UnitOfWork, *, number: str, who: str, note: str, now: datetime
) -> RefundRequest:
    """Staff approve a request. Raises ``NotFound`` and ``WrongState``."""
    request, order, hold = await _locked_request(uow, number)
    if request.status != "requested":
        raise WrongState(f"the request is {request.status}", details={"status": request.status})
    policy = await uow.session.get(RefundPolicy, request.policy_id)
    assert policy is not None
    await approve_now(uow, request, order, hold, policy, who=who, note=note, now=now)
    return request


async def approve_now(
    uow: UnitOfWork,
    request: RefundRequest,
    order: Order,
    hold: Hold,
    policy: RefundPolicy,
    *,
    who: str,
    note: str,
    now: datetime,
) -> None:
    """The tickets are refunded now (gates refuse them); the money follows."""
    request.decided_at, request.decided_by, request.decision_note = now, who, note[:200] or None
    rows = (
        await uow.session.execute(
            select(Ticket, OrderLine.price_level_id)
            .join(RefundRequestTicket, RefundRequestTicket.ticket_id == Ticket.id)
            .join(OrderLine, OrderLine.id == Ticket.line_id)
            .where(RefundRequestTicket.request_id == request.id)
            .order_by(Ticket.id)
        )
    ).all()
    session = await uow.session.get(Session, order.session_id)
    assert session is not None
    partner = await sold_outside(uow, order.session_id)
    await return_tickets(
        uow,
        order,
        hold,
        [Returned(t.id, t.seat_key, t.area_code, level, t.holder_key) for t, level in rows],
        resell=not partner and still_sells(session, policy, now),
        now=now,
    )
    await audit.record(
        uow,
        action="refund_request.approved",
        entity_type="order",
        entity_id=order.number,
        data={"request": request.number, "by": who, "note": note[:200]},
        now=now,
    )
    if partner:
        request.status = "refunding"
        await outbox.enqueue(uow, kind=OUTSIDE_JOB, payload={"request": request.number}, now=now)
    elif request.physical:
        request.status = "awaiting_return"
    else:
        await _send_money(uow, request, policy, now)
    await uow.session.flush()


async def _send_money(
    uow: UnitOfWork, request: RefundRequest, policy: RefundPolicy, now: datetime
) -> None:
    """The refund's money goes back through the payments behind the order (a job each,
    ``money_back``); nothing to send when the fee kept it all."""
    if request.refund <= 0:
        request.status, request.done_at = "done", now
        return
    order = await uow.session.get(Order, request.order_id)
    assert order is not None
    refunds = await send_back(
        uow,
        order,
        request.refund,
        reason=MONEY_REASON.get(policy.reason, "refund_approved"),
        now=now,
    )
    uow.session.add_all(
        RefundRequestRefund(request_id=request.id, refund_number=r.number) for r in refunds
    )
    request.status, request.refund_number = "refunding", refunds[0].number


async def reject(
    uow: UnitOfWork, *, number: str, who: str, note: str, now: datetime
) -> RefundRequest:
    """Staff refuse a request with a reason: its tickets stay valid and may be asked for
    again. Raises ``NotFound``, ``InvalidInput`` and ``WrongState``."""
    if not note.strip():
        raise InvalidInput("say why the refund is refused")
    request, order, _ = await _locked_request(uow, number)
    if request.status != "requested":
        raise WrongState(f"the request is {request.status}", details={"status": request.status})
    request.status, request.decided_at, request.decided_by = "rejected", now, who
    request.decision_note = note.strip()[:200]
    await _free_tickets(uow, request.id)
    await audit.record(
        uow,
        action="refund_request.rejected",
        entity_type="order",
        entity_id=order.number,
        data={"request": request.number, "by": who, "note": request.decision_note},
        now=now,
    )
    return request


async def withdraw(uow: UnitOfWork, *, number: str, buyer: str, now: datetime) -> RefundRequest:
    """The buyer takes back a request staff have not decided."""
    request, order, _ = await _locked_request(uow, number)
    if request.buyer != buyer:
        raise NotFound(f"refund request {number} does not exist")
    if request.status != "requested":
        raise WrongState(f"the request is {request.status}", details={"status": request.status})
    request.status, request.decided_at = "withdrawn", now
    await _free_tickets(uow, request.id)
    await audit.record(
        uow,
        action="refund_request.withdrawn",
        entity_type="order",
        entity_id=order.number,
        data={"request": request.number},
        now=now,
    )
    return request


async def _free_tickets(uow: UnitOfWork, request_id: int) -> None:
    await uow.session.execute(
        update(RefundRequestTicket)
        .where(RefundRequestTicket.request_id == request_id)
        .values(live_ticket_id=None),
        execution_options={"synchronize_session": False},
    )


async def check_in_return(
    uow: UnitOfWork, *, number: str, who: str, now: datetime
) -> RefundRequest:
    """Staff received the printed tickets back by post: now the money moves."""
    request, order, _ = await _locked_request(uow, number)
    if request.status != "awaiting_return":
        raise WrongState(f"the request is {request.status}", details={"status": request.status})
    request.returned_at, request.returned_by = now, who
    policy = await uow.session.get(RefundPolicy, request.policy_id)
    assert policy is not None
    await _send_money(uow, request, policy, now)
    await audit.record(
        uow,
        action="refund_request.returned",
        entity_type="order",
        entity_id=order.number,
        data={"request": request.number, "by": who},
        now=now,
    )
    return request


@outbox.handler(OUTSIDE_JOB)
async def _refund_outside(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """A partner cinema's order: its box office refunds it first (no transaction open while
    it answers; refused → the job is retried), then the money moves."""
    async with ctx.unit() as uow:
        request, _, _ = await _locked_request(uow, payload["request"])
        if request.status != "refunding" or request.refund_number is not None:
            return
        order_number = request.order_number
    await outside().refund_order(ctx.runtime, order_number)
    async with ctx.unit() as uow:
        request, _, _ = await _locked_request(uow, payload["request"])
        if request.status != "refunding" or request.refund_number is not None:
            return
        policy = await uow.session.get(RefundPolicy, request.policy_id)
        assert policy is not None
        await _send_money(uow, request, policy, ctx.now)

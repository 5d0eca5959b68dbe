"""Refund requests (S11, G11): a buyer applies for some or all tickets of a paid order while
a refund policy is open for its session; staff approve or reject with a reason unless the
policy approves by itself. An approved request's tickets are refunded at once (the next gate
manifest refuses them; ``ticket_returns``) and, where the session still sells, their seats go
back on sale. Electronic tickets' money then goes back through the original payment
(``refunds.request_refund``: a job, idempotent by the refund number); printed tickets must be
mailed back and checked in by staff first. A partner cinema's order is refunded at its box
office first (a job, between transactions), then the money moves.

Lock order, the sale's: hold → order → (their counters, ``ticket_returns``) → payment."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from admit.aftersale.models import RefundPolicy, RefundRequest, RefundRequestTicket
from admit.aftersale.policies import policy_for, still_sells, terms_of
from admit.aftersale.returns import Returned, in_live_exchange, return_tickets
from admit.aftersale.rules import refusal, ticket_fee
from admit.catalog.models import Session
from admit.core import audit, outbox
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.payments.models import Payment
from admit.sales.models import Hold, Order, OrderLine, Pickup
from admit.sales.order_locks import order_and_hold
from admit.sales.outside_inventory import outside
from admit.sales.refunds import request_refund
from admit.ticketing.models import Ticket

OUTSIDE_JOB = "sales.refund_outside"
REFUNDABLE_ORDER = ("paid", "partially_refunded")
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# The payment refund's reason (40 characters; its message explains it) by the policy's reason.
MONEY_REASON = {"cancelled": "session_cancelled", "postponed": "session_postponed"}


class RefundRefused(Conflict):
    """The order may not be refunded now: ``details.reason`` says why."""

    code = "refund_refused"


class AlreadyRequested(Conflict):
    code = "refund_already_requested"


class WrongState(Conflict):
    code = "refund_request_state"


@dataclass(frozen=True, slots=True)
class Applied:
    request: RefundRequest
    codes: tuple[str, ...]


def new_number() -> str:
    return "RR" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))


async def apply(
    uow: UnitOfWork,
    *,
    order_number: str,
    buyer: str | None,
    codes: Sequence[str] | None,
    reason: str,
    who: str,
    now: datetime,
) -> Applied:
    """Apply for a refund of ``codes`` (every valid ticket when None) of the buyer's order
    (``buyer`` None: staff acting for it). Raises ``NotFound``, ``InvalidInput``,
    ``RefundRefused`` and ``AlreadyRequested``."""
    order = await uow.session.scalar(select(Order).where(Order.number == order_number))
    if order is None or (buyer is not None and order.buyer != buyer):
        raise NotFound(f"order {order_number} does not exist")
    order, hold = await order_and_hold(uow, order_number)  # locked: hold, then order
    if order.status not in REFUNDABLE_ORDER:
        raise RefundRefused(
            f"a {order.status} order cannot be refunded", details={"reason": "order_not_paid"}
        )
    session = await uow.session.get(Session, order.session_id)
    assert session is not None
    policy = await policy_for(uow, session)
    why = refusal(
        terms_of(policy) if policy else None,
        paid_at=order.paid_at,
        session_starts=session.starts_at,
        now=now,
    )
    if why is not None or policy is None:
        raise RefundRefused("refunds are not open for this order", details={"reason": why})
    tickets = await tickets_of_order(uow, order, codes)
    exchanging = await in_live_exchange(uow, order.id)
    if any(t.id in exchanging for t, _ in tickets):
        raise AlreadyRequested("some of these tickets are being exchanged")
    if any(t.product_id is not None for t, _ in tickets):
        raise RefundRefused(
            "a pass is refunded by customer service", details={"reason": "pass_ticket"}
        )
    partner = outside().known(uow.caches, order.session_id) or await outside().remember(
        uow.caches, uow, order.session_id
    )
    if partner and len(tickets) != await _valid_count(uow, order.number):
        raise RefundRefused(
            "a partner cinema refunds whole orders only", details={"reason": "whole_order_only"}
        )
    terms = terms_of(policy)
    fees = [
        ticket_fee(terms, t.amount, session_starts=session.starts_at, now=now) for t, _ in tickets
    ]
    amount = sum(t.amount for t, _ in tickets)
    request = RefundRequest(
        number=new_number(),
        order_id=order.id,
        order_number=order.number,
        session_id=order.session_id,
        buyer=order.buyer,
        policy_id=policy.id,
        status="requested",
        tickets=len(tickets),
        amount=amount,
        fee=sum(fees),
        refund=amount - sum(fees),
        physical=await _printed(uow, order.id),
        reason=reason[:200],
        created_at=now,
    )
    uow.session.add(request)
    await uow.session.flush()
    try:
        async with uow.session.begin_nested():
            uow.session.add_all(
                RefundRequestTicket(
                    request_id=request.id,
                    ticket_id=t.id,
                    live_ticket_id=t.id,
                    amount=t.amount,
                    fee=fee,
                )
                for (t, _), fee in zip(tickets, fees, strict=True)
            )
            await uow.session.flush()
    except IntegrityError:
        raise AlreadyRequested("some of these tickets are in another refund request") from None
    await audit.record(
        uow,
        action="refund_request.applied",
        entity_type="order",
        entity_id=order.number,
        data={"request": request.number, "tickets": len(tickets), "refund": request.refund},
        now=now,
    )
    if not policy.approval_required:
        await _approve(uow, request, order, hold, policy, who=who, note="", now=now)
    return Applied(request, tuple(t.code for t, _ in tickets))


async def tickets_of_order(
    uow: UnitOfWork, order: Order, codes: Sequence[str] | None
) -> list[tuple[Ticket, OrderLine]]:
    rows = (
        await uow.session.execute(
            select(Ticket, OrderLine)
            .join(OrderLine, OrderLine.id == Ticket.line_id)
            .where(Ticket.order_number == order.number)
            .order_by(Ticket.id)
        )
    ).all()
    by_code = {t.code: (t, line) for t, line in rows}
    if codes is None:
        chosen = [pair for pair in by_code.values() if pair[0].status == "valid"]
    else:
        unknown = sorted(set(codes) - by_code.keys())
        if unknown:
            raise InvalidInput("no such tickets in this order", details={"tickets": unknown})
        chosen = [by_code[c] for c in dict.fromkeys(codes)]
        spent = [t.code for t, _ in chosen if t.status != "valid"]
        if spent:
            raise RefundRefused(
                "some tickets were refunded or voided already",
                details={"reason": "ticket_not_valid", "tickets": spent},
            )
    if not chosen:
        raise RefundRefused("no ticket left to refund", details={"reason": "nothing_to_refund"})
    return chosen


async def _valid_count(uow: UnitOfWork, order_number: str) -> int:
    rows = await uow.session.scalars(
        select(Ticket.id).where(Ticket.order_number == order_number, Ticket.status == "valid")
    )
    return len(rows.all())


async def _printed(uow: UnitOfWork, order_id: int) -> bool:
    """Whether the order's tickets were handed over printed (a counter pickup): then they
    come back by post before the money moves."""
    return bool(await uow.session.scalar(select(Pickup.id).where(Pickup.order_id == order_id)))


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
    await _approve(uow, request, order, hold, policy, who=who, note=note, now=now)
    return request


async def _approve(
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
    partner = bool(outside().known(uow.caches, order.session_id))
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
    """The refund's money goes back through the order's payment (a job); nothing to send
    when the fee kept it all."""
    if request.refund <= 0:
        request.status, request.done_at = "done", now
        return
    order = await uow.session.get(Order, request.order_id)
    assert order is not None
    assert order.paid_by is not None
    payment = await uow.session.scalar(
        select(Payment).where(Payment.number == order.paid_by).with_for_update()
    )
    assert payment is not None
    refund = await request_refund(
        uow,
        payment,
        amount=request.refund,
        reason=MONEY_REASON.get(policy.reason, "refund_approved"),
        now=now,
    )
    request.status, request.refund_number = "refunding", refund.number


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


async def open_policy_for(uow: UnitOfWork, order: Order, now: datetime) -> RefundPolicy | None:
    """The policy under which the buyer may apply for this order now, if any (what the
    order page offers; ``apply`` checks again under the order's lock)."""
    if order.status not in REFUNDABLE_ORDER:
        return None
    session = await uow.session.get(Session, order.session_id)
    if session is None:
        return None
    policy = await policy_for(uow, session)
    why = refusal(
        terms_of(policy) if policy else None,
        paid_at=order.paid_at,
        session_starts=session.starts_at,
        now=now,
    )
    return policy if why is None else None


async def get_request(uow: UnitOfWork, number: str, *, buyer: str | None = None) -> RefundRequest:
    request = await uow.session.scalar(select(RefundRequest).where(RefundRequest.number == number))
    if request is None or (buyer is not None and request.buyer != buyer):
        raise NotFound(f"refund request {number} does not exist")
    return request


async def list_requests(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    buyer: str | None = None,
    order_number: str | None = None,
    limit: int = 100,
) -> list[RefundRequest]:
    query = select(RefundRequest).order_by(RefundRequest.id.desc()).limit(limit)
    if status is not None:
        query = query.where(RefundRequest.status == status)
    if buyer is not None:
        query = query.where(RefundRequest.buyer == buyer)
    if order_number is not None:
        query = query.where(RefundRequest.order_number == order_number)
    return list((await uow.session.scalars(query)).all())


@outbox.handler(OUTSIDE_JOB)
async def _refund_outside(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """A partner cinema's order: its box office refunds it first (no transaction open while
    it answers; refused → the job is retried), then the money moves."""
    async with ctx.unit() as uow:
        request = await get_request(uow, payload["request"])
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

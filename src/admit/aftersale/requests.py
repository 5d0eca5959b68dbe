"""Refund requests (S11, G11): a buyer — or staff for them — applies for some or all tickets
of a paid order while a refund policy is open for its session, each ticket in one live request
at most; the fee is the policy's. Staff decide (``decisions``) unless the policy approves by
itself, which happens here, in the same transaction. An approved request's tickets are
refunded at once (``returns``) and the money follows.

Lock order, the sale's: hold → order → (their counters, ``returns``) → payment."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from admit.aftersale.decisions import approve_now
from admit.aftersale.models import RefundPolicy, RefundRequest, RefundRequestTicket
from admit.aftersale.policies import open_for, terms_of
from admit.aftersale.returns import in_live_exchange
from admit.aftersale.rules import ticket_fee
from admit.catalog.models import Session
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.sales.models import Order, OrderLine, Pickup
from admit.sales.order_locks import order_and_hold
from admit.sales.outside_inventory import sold_outside
from admit.ticketing.models import Ticket

REFUNDABLE_ORDER = ("paid", "partially_refunded")
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class RefundRefused(Conflict):
    """The order may not be refunded now: ``details.reason`` says why."""

    code = "refund_refused"


class AlreadyRequested(Conflict):
    code = "refund_already_requested"


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
    policy, why = await open_for(uow, order, session, now)
    if policy is None:
        raise RefundRefused("refunds are not open for this order", details={"reason": why})
    tickets = await tickets_of_order(uow, order, codes)
    exchanging = await in_live_exchange(uow, order.id)
    if any(t.id in exchanging for t, _ in tickets):
        raise AlreadyRequested("some of these tickets are being exchanged")
    if any(t.product_id is not None for t, _ in tickets):
        raise RefundRefused(
            "a pass is refunded by customer service", details={"reason": "pass_ticket"}
        )
    if await sold_outside(uow, order.session_id) and len(tickets) != await _valid_count(
        uow, order.number
    ):
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
        await approve_now(uow, request, order, hold, policy, who=who, note="", now=now)
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


async def open_policy_for(uow: UnitOfWork, order: Order, now: datetime) -> RefundPolicy | None:
    """The policy under which the buyer may apply for this order now, if any (what the
    order page offers; ``apply`` checks again under the order's lock)."""
    if order.status not in REFUNDABLE_ORDER:
        return None
    session = await uow.session.get(Session, order.session_id)
    return None if session is None else (await open_for(uow, order, session, now))[0]


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

"""Exchanges (G11): while a refund policy that allows them is open for a session, a buyer
changes some tickets of a paid order for seats of another session of the same event (or of
the same session), through the sale's own hold and order — the new seats are claimed by the
same conditional updates as any sale, within the window's quotas and limits.

The new order carries a ``credit``: the old tickets' value less the policy's exchange fee.
When the credit covers the new order, it is sold at once and the difference goes back
through the old payment; when it does not, the buyer pays ``total - credit`` through the new
order's payment, and the exchange is done in the transaction that captures it. Either way
the old tickets are voided (the next gate manifest refuses them) in the transaction that
issues the new ones (``complete``).

Lock order: the old order's hold → the old order (``order_and_hold``), then the new hold's
rows as any hold takes them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.aftersale.exchange_completion import complete
from admit.aftersale.models import Exchange, ExchangeTicket, RefundPolicy
from admit.aftersale.policies import open_for
from admit.aftersale.requests import AlreadyRequested, tickets_of_order
from admit.aftersale.returns import in_live_exchange
from admit.catalog.models import Session, SessionStatus
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.sales.hold_requests import HoldRequest
from admit.sales.holds import place_hold
from admit.sales.models import Hold, Order
from admit.sales.order_locks import order_and_hold
from admit.sales.order_views import LineInput
from admit.sales.orders import place_order
from admit.sales.outside_inventory import sold_outside
from admit.sales.selling import sell

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class ExchangeRefused(Conflict):
    """The exchange is not possible: ``details.reason`` says why."""

    code = "exchange_refused"


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the buyer wants instead: the same number of tickets, in ``session_id``."""

    session_id: int
    seats: Sequence[str]


def new_number() -> str:
    return "EX" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))


async def _open_for(uow: UnitOfWork, order: Order, session_id: int, now: datetime) -> RefundPolicy:
    """The policy under which the order's tickets may go to ``session_id`` now. Raises
    ``NotFound`` and ``ExchangeRefused``."""
    old_session = await uow.session.get(Session, order.session_id)
    new_session = await uow.session.get(Session, session_id)
    if old_session is None or new_session is None:
        raise NotFound(f"session {session_id} does not exist")
    policy, why = await open_for(uow, order, old_session, now)
    if policy is not None and not policy.exchanges:
        policy, why = None, "exchanges_closed"
    if policy is None:
        raise ExchangeRefused("exchanges are not open for this order", details={"reason": why})
    if new_session.event_id != old_session.event_id:
        raise ExchangeRefused(
            "tickets are exchanged within the same event", details={"reason": "other_event"}
        )
    if new_session.status != SessionStatus.SCHEDULED or new_session.starts_at <= now:
        raise ExchangeRefused(
            "the new session is not on sale", details={"reason": "session_not_on_sale"}
        )
    if await sold_outside(uow, order.session_id) or await sold_outside(uow, session_id):
        raise ExchangeRefused(
            "a partner cinema's tickets are not exchanged", details={"reason": "partner"}
        )
    return policy


async def start(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    order_number: str,
    buyer: str,
    codes: Sequence[str],
    wanted: Wanted,
    now: datetime,
) -> Exchange:
    """Hold the new seats and order them with the old tickets' value as credit; done at once
    when the credit covers them. Raises ``NotFound``, ``InvalidInput``, ``ExchangeRefused``,
    ``AlreadyRequested`` and the hold's own refusals (``SeatsTaken``…)."""
    order = await uow.session.scalar(select(Order).where(Order.number == order_number))
    if order is None or order.buyer != buyer:
        raise NotFound(f"order {order_number} does not exist")
    order, _ = await order_and_hold(uow, order_number)
    if order.status not in ("paid", "partially_refunded"):
        raise ExchangeRefused(
            f"a {order.status} order cannot be exchanged", details={"reason": "order_not_paid"}
        )
    policy = await _open_for(uow, order, wanted.session_id, now)
    old = await tickets_of_order(uow, order, codes)
    if len(wanted.seats) != len(old):
        raise InvalidInput("name one new seat for each ticket given up")
    if any(t.product_id is not None for t, _ in old):
        raise ExchangeRefused("a pass is not exchanged", details={"reason": "pass_ticket"})
    if await in_live_exchange(uow, order.id) & {t.id for t, _ in old}:
        raise AlreadyRequested("some of these tickets are being exchanged")

    number = new_number()
    hold = await place_hold(
        uow,
        HoldRequest(
            session_id=wanted.session_id,
            buyer=order.buyer,
            channel=order.channel,
            seat_keys=tuple(wanted.seats),
            idempotency_key=f"exchange:{number}",
        ),
        now=now,
    )
    new_order = await place_order(
        uow,
        hold_id=hold.id,
        buyer=order.buyer,
        lines=[
            LineInput(
                ticket_type=t.ticket_type, seat=seat, area=None, holder=line.holder_identity_id
            )
            for (t, line), seat in zip(old, wanted.seats, strict=True)
        ],
        idempotency_key=f"exchange:{number}",
        now=now,
    )
    old_amount = sum(t.amount for t, _ in old)
    fee = min(old_amount, policy.exchange_fee_fixed * len(old))
    credit = min(old_amount - fee, new_order.total)
    new_order.exchanged_from, new_order.credit = order.id, credit
    exchange = Exchange(
        number=number,
        old_order_id=order.id,
        new_order_id=new_order.id,
        buyer=order.buyer,
        policy_id=policy.id,
        status="pending_payment",
        tickets=len(old),
        old_amount=old_amount,
        fee=fee,
        new_amount=new_order.total,
        due=new_order.total - credit,
        back=old_amount - fee - credit,
        created_at=now,
    )
    uow.session.add(exchange)
    await uow.session.flush()
    uow.session.add_all(ExchangeTicket(exchange_id=exchange.id, ticket_id=t.id) for t, _ in old)
    await uow.session.flush()
    await audit.record(
        uow,
        action="exchange.started",
        entity_type="order",
        entity_id=order.number,
        data={
            "exchange": number,
            "new_order": new_order.number,
            "tickets": len(old),
            "due": exchange.due,
            "back": exchange.back,
        },
        now=now,
    )
    if exchange.due == 0:  # the credit pays for it: sold now, the old tickets voided with it
        new_hold = await uow.session.scalar(
            select(Hold).where(Hold.id == hold.id).with_for_update()
        )
        assert new_hold is not None
        await sell(uow, crypto, new_order, new_hold, number, now)
        await complete(uow, new_order, now)
    return exchange


async def status_of(uow: UnitOfWork, exchange: Exchange) -> str:
    """``expired`` for one whose new order ended unpaid (its seats went back with its hold)."""
    if exchange.status != "pending_payment":
        return exchange.status
    new_status = await uow.session.scalar(
        select(Order.status).where(Order.id == exchange.new_order_id)
    )
    return "pending_payment" if new_status == "pending_payment" else "expired"


async def get_exchange(uow: UnitOfWork, number: str, *, buyer: str) -> Exchange:
    exchange = await uow.session.scalar(select(Exchange).where(Exchange.number == number))
    if exchange is None or exchange.buyer != buyer:
        raise NotFound(f"exchange {number} does not exist")
    return exchange

"""An exchange is done in the transaction that sells its new order (``sales.exchanges``): the
old tickets are voided — the next gate manifest refuses them — their seats go back on sale
where the old session still sells, and what the credit did not use goes back through the old
payment. Called by the capture (``settlement``) and by an exchange its credit pays for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from admit.aftersale.models import Exchange, ExchangeTicket, RefundPolicy
from admit.aftersale.money_back import send_back
from admit.aftersale.policies import still_sells
from admit.aftersale.returns import Returned, return_tickets
from admit.catalog.models import Session
from admit.core import audit
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.sales.models import Order, OrderLine
from admit.sales.order_locks import order_and_hold
from admit.ticketing.models import Ticket


async def complete(uow: UnitOfWork, new_order: Order, now: datetime) -> None:
    """The exchange's new order was just sold (in the caller's transaction): void the old
    tickets, give their seats back where the old session still sells, and send back what
    the credit did not use. Raises ``Conflict`` when the old tickets are no longer valid (a
    late payment after the exchange lapsed: the caller refunds it)."""
    exchange = await uow.session.scalar(
        select(Exchange).where(Exchange.new_order_id == new_order.id).with_for_update()
    )
    if exchange is None or exchange.status == "done":
        return
    old_number = await uow.session.scalar(
        select(Order.number).where(Order.id == exchange.old_order_id)
    )
    assert old_number is not None
    old_order, old_hold = await order_and_hold(uow, old_number)
    rows = (
        await uow.session.execute(
            select(Ticket, OrderLine.price_level_id)
            .join(ExchangeTicket, ExchangeTicket.ticket_id == Ticket.id)
            .join(OrderLine, OrderLine.id == Ticket.line_id)
            .where(ExchangeTicket.exchange_id == exchange.id)
            .order_by(Ticket.id)
        )
    ).all()
    if any(t.status != "valid" for t, _ in rows):
        raise Conflict("the tickets given up are no longer valid")
    session = await uow.session.get(Session, old_order.session_id)
    policy = await uow.session.get(RefundPolicy, exchange.policy_id)
    assert session is not None
    assert policy is not None
    await return_tickets(
        uow,
        old_order,
        old_hold,
        [Returned(t.id, t.seat_key, t.area_code, level, t.holder_key) for t, level in rows],
        resell=still_sells(session, policy, now),
        now=now,
        status="void",
    )
    if exchange.back > 0:  # what the credit did not use, through the old order's payments
        refunds = await send_back(uow, old_order, exchange.back, reason="exchange", now=now)
        exchange.refund_number = refunds[0].number
    exchange.status, exchange.done_at = "done", now
    await uow.session.flush()
    await audit.record(
        uow,
        action="exchange.done",
        entity_type="order",
        entity_id=old_order.number,
        data={"exchange": exchange.number, "new_order": new_order.number},
        now=now,
    )

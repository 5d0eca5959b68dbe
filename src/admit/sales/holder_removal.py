"""Taking a holder off a customer's account (RN1, API3) — a rule that needs the sales' tickets,
so it lives here and not in ``accounts``: a holder on a ticket still to be used (valid, of a
session that has not ended) stays until then, so the gate's ID check and the ticket keep
naming a person on the account. Otherwise ``accounts.identities.unlink`` (which keeps a
verified own identity)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from admit.accounts import identities
from admit.accounts.identity_models import Identity
from admit.catalog.models import Session
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.sales.models import Order
from admit.ticketing.models import Ticket


class HolderOnTicket(Conflict):
    code = "holder_on_ticket"


async def remove_holder(
    uow: UnitOfWork, *, customer_id: int, identity_id: int, now: datetime
) -> None:
    """Raises ``HolderOnTicket`` (409), and what ``identities.unlink`` raises."""
    ticket = await uow.session.scalar(
        select(Ticket.code)
        .join(Identity, Identity.lookup == Ticket.holder_key)
        .join(Order, Order.number == Ticket.order_number)
        .join(Session, Session.id == Ticket.session_id)
        .where(
            Identity.id == identity_id,
            Order.buyer == f"customer:{customer_id}",
            Ticket.status == "valid",
            Session.ends_at > now,
        )
        .limit(1)
    )
    if ticket is not None:
        raise HolderOnTicket(
            "this holder is on a ticket still to be used: they stay until its session is over",
            details={"ticket": ticket},
        )
    await identities.unlink(uow, customer_id=customer_id, identity_id=identity_id, now=now)

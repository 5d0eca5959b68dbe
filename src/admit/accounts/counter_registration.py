"""A customer's account opened at a counter (U1), for the counter's pages: registered with the
code the customer reads out, recorded with the outlet and the clerk; and the check that a
customer was registered at a given outlet (a clerk reaches only their outlet's customers)."""

from __future__ import annotations

from datetime import datetime

from admit.accounts import customers
from admit.accounts.models import Customer
from admit.core.crypto import FieldCrypto
from admit.core.errors import NotFound
from admit.core.uow import UnitOfWork


async def register_at_outlet(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    registration: customers.Registration,
    *,
    outlet: str,
    registered_by: str,
    now: datetime,
) -> int:
    """The new customer's id. Raises the registration's refusal (a wrong or used code, a
    login already registered…) as ``customers.register`` answers it."""
    attempt = await customers.register(
        uow, crypto, registration, now=now, registered_by=registered_by
    )
    if attempt.token is None:
        assert attempt.refusal is not None
        raise attempt.refusal
    customer = await uow.session.get(Customer, attempt.token.subject_id)
    assert customer is not None
    customer.registered_outlet = outlet
    return customer.id


async def require_registered_at(uow: UnitOfWork, customer_id: int, outlet: str) -> None:
    """Raises ``NotFound`` unless the customer was registered at ``outlet``."""
    customer = await uow.session.get(Customer, customer_id)
    if customer is None or customer.registered_outlet != outlet:
        raise NotFound("no customer registered at this outlet has that number")

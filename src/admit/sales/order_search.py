"""Staff find an order (G12, OPS2): by its number, its pickup code, the buyer's phone or email,
or the document number of its buyer or of a ticket holder. Phones, emails and document numbers
are compared only through keyed hashes (no number reaches SQL in clear), and the rows read are
shaped here; masking and the audit of an unmasked view are the route's."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select

from admit.accounts import identities
from admit.accounts.customer_phones import phone_of
from admit.accounts.identity_models import Identity
from admit.accounts.models import Customer
from admit.core.crypto import FieldCrypto
from admit.core.uow import UnitOfWork
from admit.sales.models import Hold, Order, OrderLine, Pickup

MOST = 50  # rows a search answers: an exact look-up, never a browse
CUSTOMER = "customer:"


@dataclass
class FoundHolder:
    masked: str
    name_enc: str | None


@dataclass
class FoundOrder:
    order: Order
    outlet: str | None
    buyer_phone: str | None
    holders: list[FoundHolder] = field(default_factory=list)
    pickup: Pickup | None = None


async def find_orders(
    uow: UnitOfWork, crypto: FieldCrypto, query: str, *, outlets: Collection[str] | None
) -> list[FoundOrder]:
    """The orders ``query`` names, newest first (at most ``MOST``), within ``outlets`` (the
    outlet codes a scoped caller reaches; ``None``: everywhere)."""
    text = query.strip()
    documents = identities.any_type_lookups(crypto, text)
    buyers = [f"{CUSTOMER}{c.id}" for c in await identities.find_customers(uow, crypto, text)]
    matches: list[ColumnElement[bool]] = [
        Order.number == text.upper(),
        Order.pickup_code == text.upper(),
        Order.id.in_(select(OrderLine.order_id).where(OrderLine.holder_key.in_(documents))),
    ]
    if buyers:
        matches.append(Order.buyer.in_(buyers))
    stmt = (
        select(Order, Hold.outlet)
        .join(Hold, Hold.id == Order.hold_id)
        .where(or_(*matches))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(MOST)
    )
    if outlets is not None:
        stmt = stmt.where(Hold.outlet.in_(list(outlets)))
    rows = (await uow.session.execute(stmt)).all()
    found = [FoundOrder(order=o, outlet=outlet, buyer_phone=None) for o, outlet in rows]
    await _add_details(uow, crypto, found)
    return found


async def _add_details(uow: UnitOfWork, crypto: FieldCrypto, found: list[FoundOrder]) -> None:
    by_id = {f.order.id: f for f in found}
    if not by_id:
        return
    lines = await uow.session.execute(
        select(OrderLine.order_id, OrderLine.holder_name, Identity.name_enc)
        .outerjoin(Identity, Identity.id == OrderLine.holder_identity_id)
        .where(OrderLine.order_id.in_(by_id), OrderLine.holder_name.is_not(None))
        .order_by(OrderLine.id)
    )
    for order_id, masked, name_enc in lines:
        by_id[order_id].holders.append(FoundHolder(masked=masked or "", name_enc=name_enc))
    for pickup in await uow.session.scalars(select(Pickup).where(Pickup.order_id.in_(by_id))):
        by_id[pickup.order_id].pickup = pickup
    customer_ids = {
        int(f.order.buyer.removeprefix(CUSTOMER))
        for f in found
        if f.order.buyer.startswith(CUSTOMER)
    }
    customers = {
        c.id: c
        for c in await uow.session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
    }
    for f in found:
        if f.order.buyer.startswith(CUSTOMER):
            customer = customers.get(int(f.order.buyer.removeprefix(CUSTOMER)))
            f.buyer_phone = phone_of(crypto, customer) if customer else None

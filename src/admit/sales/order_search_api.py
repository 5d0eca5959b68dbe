"""Staff find an order (G12, G18, OPS2): ``POST /admin/orders/search`` by order number, pickup
code, the buyer's phone or email, or a document number. Answers are masked; ``unmask`` needs
``personal_data.unmask`` and is written to the audit log. A grant of ``customers.read`` scoped to
outlets finds only the orders sold at those outlets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from fastapi import APIRouter
from pydantic import Field

from admit.accounts.documents import mask_phone
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Forbidden
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PrincipalDep, RuntimeDep, narrowed, reach, staff_writer
from admit.sales.hold_api import Model
from admit.sales.order_api import OrderStatus
from admit.sales.order_search import FoundOrder, find_orders
from admit.sales.rules import ChannelCode

router = APIRouter(prefix="/admin", tags=["orders"])
OrderFinder = Annotated[
    UnitOfWork, staff_writer(Permission.CUSTOMERS_READ, scope=narrowed(ScopeKind.OUTLET))
]


class OrderSearchIn(Model):
    q: Annotated[
        str,
        Field(
            min_length=3,
            max_length=254,
            description="an order number, a pickup code, the buyer's phone or email, or the "
            "document number of the buyer or a ticket holder",
        ),
    ]
    unmask: bool = Field(default=False, description="needs personal_data.unmask; audited")


class CollectedOut(Model):
    outlet: str
    at: datetime


class FoundOrderOut(Model):
    number: str
    status: OrderStatus
    channel: ChannelCode
    outlet: str | None
    session_id: int
    total: int
    currency: str
    created_at: datetime
    paid_at: datetime | None
    buyer: str = Field(description="customer:<id>, or staff:<id> for a counter sale")
    buyer_phone: str | None
    pickup_code: str | None = Field(description="masked unless unmasked: it collects tickets")
    holders: list[str]
    collected: CollectedOut | None


def mask_code(code: str | None) -> str | None:
    return f"{code[:2]}******{code[-2:]}" if code else None


def _row(found: FoundOrder, *, unmasked: bool, crypto: FieldCrypto) -> FoundOrderOut:
    o, phone = found.order, found.buyer_phone
    holders = [
        crypto.decrypt(h.name_enc) if unmasked and h.name_enc else h.masked for h in found.holders
    ]
    return FoundOrderOut(
        number=o.number,
        status=cast(OrderStatus, o.status),
        channel=cast(ChannelCode, o.channel),
        outlet=found.outlet,
        session_id=o.session_id,
        total=o.total,
        currency=o.currency,
        created_at=o.created_at,
        paid_at=o.paid_at,
        buyer=o.buyer,
        buyer_phone=phone if unmasked or not phone else mask_phone(phone),
        pickup_code=o.pickup_code if unmasked else mask_code(o.pickup_code),
        holders=holders,
        collected=CollectedOut(outlet=found.pickup.outlet, at=found.pickup.created_at)
        if found.pickup
        else None,
    )


@router.post("/orders/search")
async def find_orders_for_staff(
    body: OrderSearchIn, uow: OrderFinder, rt: RuntimeDep, who: PrincipalDep, now: Now
) -> list[FoundOrderOut]:
    """Orders the text names, newest first (at most 50). A POST so that phones and document
    numbers never travel in URLs, which proxies and servers log."""
    if body.unmask and not who.can(Permission.PERSONAL_DATA_UNMASK):
        raise Forbidden("this needs the personal_data.unmask permission")
    outlets = reach(who, Permission.CUSTOMERS_READ, ScopeKind.OUTLET)
    found = await find_orders(uow, rt.crypto, body.q, outlets=outlets)
    if body.unmask and found:
        for f in found:
            await audit.record(
                uow,
                action="personal_data.viewed",
                entity_type="order",
                entity_id=f.order.number,
                data={"fields": ["buyer_phone", "pickup_code", "holders"]},
                now=now,
            )
    return [_row(f, unmasked=body.unmask, crypto=rt.crypto) for f in found]

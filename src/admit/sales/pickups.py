"""Collecting paid tickets at a counter (G18, OPS2): the clerk finds the order by the pickup
code the buyer quotes, checks the document of the person in front of them, and hands the
tickets over — once per order, and at most ``ADMIT_PICKUPS_PER_PERSON_DAY`` orders per person
(per document) per local day.

Whose document counts: when the order names people — its tickets' real-name holders, or the
buying customer's own identity — the document must be one of theirs; an order that names
nobody is handed over on its code alone, and the document shown is still recorded (its keyed
hash: no number is stored) and counted towards that person's daily limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.accounts import identities
from admit.accounts.identity_models import CustomerHolder, Identity
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, Forbidden, NotFound
from admit.core.local_time import VENUE_TIMEZONE
from admit.core.uow import UnitOfWork
from admit.sales.models import Order, OrderLine, Pickup, PickupDay

CUSTOMER = "customer:"


class NotCollectable(Conflict):
    code = "order_not_collectable"


class AlreadyCollected(Conflict):
    code = "already_collected"


class PickupLimitReached(Conflict):
    code = "pickup_limit_reached"


class DocumentNotOnOrder(Forbidden):
    code = "pickup_identity_mismatch"


@dataclass(frozen=True, slots=True)
class PickupRequest:
    code: str
    doc_type: str
    doc_number: str
    outlet: str
    staff_id: int


def person_key(crypto: FieldCrypto, doc_type: str, number: str) -> str:
    """The keyed hash the person's document is known by (``identities.number_lookup``)."""
    return identities.number_lookup(crypto, doc_type, number)


async def find_by_code(uow: UnitOfWork, code: str) -> Order:
    order = await uow.session.scalar(select(Order).where(Order.pickup_code == code.strip().upper()))
    if order is None:
        raise NotFound("no order has this pickup code")
    return order


async def people_of(uow: UnitOfWork, order: Order) -> set[str]:
    """The documents (keyed hashes) an order names: its holders' and its buyer's own."""
    keys = set(
        (
            await uow.session.scalars(
                select(OrderLine.holder_key).where(
                    OrderLine.order_id == order.id, OrderLine.holder_key.is_not(None)
                )
            )
        ).all()
    )
    if order.buyer.startswith(CUSTOMER):
        own = await uow.session.scalars(
            select(Identity.lookup)
            .join(CustomerHolder, CustomerHolder.identity_id == Identity.id)
            .where(
                CustomerHolder.customer_id == int(order.buyer.removeprefix(CUSTOMER)),
                CustomerHolder.is_self.is_(True),
            )
        )
        keys |= set(own.all())
    return {k for k in keys if k}


async def collect(
    uow: UnitOfWork, crypto: FieldCrypto, req: PickupRequest, *, per_day: int, now: datetime
) -> tuple[Order, Pickup]:
    """Hand a paid order's tickets over. Raises ``NotFound`` (no such code),
    ``NotCollectable`` (not paid, or refunded), ``DocumentNotOnOrder``, ``AlreadyCollected``
    (also for a concurrent second counter: the order's pickup is unique) and
    ``PickupLimitReached`` (one conditional ``UPDATE``: counters racing cannot pass it)."""
    order = await find_by_code(uow, req.code)
    if order.status not in ("paid", "partially_refunded"):
        raise NotCollectable(f"order {order.number} is {order.status}: nothing to hand over")
    person = person_key(crypto, req.doc_type, req.doc_number)
    people = await people_of(uow, order)
    if people and person not in people:
        raise DocumentNotOnOrder(
            "this document is not the buyer's or a ticket holder's: ask for theirs"
        )
    earlier = await uow.session.scalar(select(Pickup).where(Pickup.order_id == order.id))
    if earlier is not None:
        raise _collected(order, earlier)
    await _count_today(uow, person, per_day=per_day, now=now)
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    pickup = await uow.session.scalar(
        upsert(Pickup)
        .values(
            order_id=order.id,
            person_key=person,
            outlet=req.outlet,
            staff_id=req.staff_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Pickup.order_id])
        .returning(Pickup)
    )
    if pickup is None:  # another counter handed it over a moment ago
        raise AlreadyCollected(f"order {order.number} has just been collected")
    await audit.record(
        uow,
        action="order.collected",
        entity_type="order",
        entity_id=order.number,
        data={"outlet": req.outlet, "pickup": pickup.id},
        now=now,
    )
    return order, pickup


def _collected(order: Order, pickup: Pickup) -> AlreadyCollected:
    return AlreadyCollected(
        f"order {order.number} was collected already",
        details={"outlet": pickup.outlet, "at": pickup.created_at.isoformat()},
    )


async def _count_today(uow: UnitOfWork, person: str, *, per_day: int, now: datetime) -> None:
    day = now.astimezone(VENUE_TIMEZONE).date()
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    await uow.session.execute(
        upsert(PickupDay).values(person_key=person, day=day, orders=0).on_conflict_do_nothing()
    )
    counted = await uow.session.execute(
        update(PickupDay)
        .where(PickupDay.person_key == person, PickupDay.day == day, PickupDay.orders < per_day)
        .values(orders=PickupDay.orders + 1)
    )
    if counted.rowcount == 0:  # type: ignore[attr-defined]
        raise PickupLimitReached(
            f"this person has collected {per_day} orders today, the most one may",
            details={"limit": per_day},
        )

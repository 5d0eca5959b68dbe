"""Orders through a channel system (API1): the same operations as the public API — hold and
order in one transaction (seats by key, places in a GA area, or the best seats of a level),
query an order, file and read its holders — sold in the key's channel (its sales window,
quotas and switches) and at the key's outlet. Each order's buyer is ``api:<key>:<customer>``
(the customer reference the system gives, or the order's retry key): the per-person limit
counts per customer of the system, and on a real-name window per holder's document, as on
the website. A key sees only its own orders (another's: 404)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.accounts import identities
from admit.accounts.eligibility import Holder
from admit.accounts.identities import DocumentIn
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.claims import seats_of_hold
from admit.sales import holds, orders
from admit.sales.models import Order, OrderLine
from admit.sales.order_views import LineInput


@dataclass(frozen=True, slots=True)
class System:
    """A channel system as its key authenticated it."""

    client_id: int
    channel: str
    outlet: str | None

    @property
    def prefix(self) -> str:
        return f"api:{self.client_id}:"

    def buyer(self, customer: str) -> str:
        return self.prefix + customer


@dataclass(frozen=True, slots=True)
class Wanted:
    session_id: int
    seats: Sequence[str]
    places: Sequence[tuple[str, int]]
    best: tuple[str, int] | None
    ticket_type: str
    holders: Sequence[DocumentIn] | None


class HoldersAlreadyNamed(Conflict):
    code = "holders_already_named"


async def _file(
    uow: UnitOfWork, crypto: FieldCrypto, system: System, docs: Sequence[DocumentIn], now: datetime
) -> list[Holder]:
    filed = []
    for doc in docs:
        identity = await identities.file_for_holder(
            uow, crypto, doc_in=doc, filed_by=f"api_client:{system.client_id}", now=now
        )
        filed.append(Holder(identity.id, identity.lookup, identity.name_masked))
    return filed


async def submit_order(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    system: System,
    wanted: Wanted,
    *,
    customer: str,
    key: str,
    now: datetime,
) -> Order:
    """Hold and order in one go: all or nothing (a refused order leaves no hold). A retry
    with the same ``key`` returns the same order. Raises what a hold and an order raise
    (``NotOnSale``/``ChannelClosed``, ``SeatsTaken``, ``SoldOut``, ``LimitExceeded``,
    ``RealNameRequired``, ``InvalidInput``…)."""
    buyer = system.buyer(customer)
    placed = await holds.hold_seats(
        uow,
        holds.HoldRequest(
            session_id=wanted.session_id,
            buyer=buyer,
            channel=system.channel,
            seat_keys=wanted.seats,
            places=wanted.places,
            outlet=system.outlet,
            idempotency_key=key,
            best=wanted.best,
        ),
        now=now,
    )
    seats = (
        list(await seats_of_hold(uow, placed.hold.id)) if placed.replayed else list(placed.seats)
    )
    lines = [LineInput(ticket_type=wanted.ticket_type, seat=s) for s in seats] + [
        LineInput(ticket_type=wanted.ticket_type, area=area)
        for area, n in wanted.places
        for _ in range(n)
    ]
    named: list[Holder | None] | None = None
    if wanted.holders is not None and not placed.replayed:
        if len(wanted.holders) != len(lines):
            raise InvalidInput(f"{len(wanted.holders)} holders for {len(lines)} tickets")
        named = list(await _file(uow, crypto, system, wanted.holders, now))
    return await orders.place_order(
        uow,
        hold_id=placed.hold.id,
        buyer=buyer,
        lines=lines,
        idempotency_key=key,
        now=now,
        named=named if named is not None else [None] * len(lines),
    )


async def get_order(uow: UnitOfWork, system: System, number: str, *, lock: bool = False) -> Order:
    """One of this system's orders. Raises ``NotFound`` for any other."""
    query = select(Order).where(Order.number == number)
    order = await uow.session.scalar(query.with_for_update() if lock else query)
    if order is None or not order.buyer.startswith(system.prefix):
        raise NotFound(f"order {number} does not exist")
    return order


async def lines_of(uow: UnitOfWork, order: Order) -> list[OrderLine]:
    return await orders.lines_of(uow, order.id)


async def name_holders(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    system: System,
    *,
    number: str,
    docs: Sequence[DocumentIn],
    now: datetime,
) -> list[OrderLine]:
    """File one holder per ticket of an order that has none yet (a sale that is not
    real-name, whose holders the system learns later): the order's lines in their order.
    Raises ``NotFound``, ``HoldersAlreadyNamed`` (409: a real-name order's holders were
    given with it and stay as they are), ``InvalidInput``."""
    order = await get_order(uow, system, number, lock=True)
    if order.status not in ("pending_payment", "paid"):
        raise Conflict(f"the order is {order.status}")
    lines = sorted(await lines_of(uow, order), key=lambda ln: ln.id)
    if any(ln.holder_key is not None for ln in lines):
        raise HoldersAlreadyNamed("this order's holders are named already")
    if len(docs) != len(lines):
        raise InvalidInput(f"{len(docs)} holders for {len(lines)} tickets")
    for line, holder in zip(lines, await _file(uow, crypto, system, docs, now), strict=True):
        line.holder_identity_id = holder.identity_id
        line.holder_name = holder.masked_name
        line.holder_key = holder.document_key
    await uow.session.flush()
    await audit.record(
        uow,
        action="order.holders_named",
        entity_type="order",
        entity_id=number,
        data={"tickets": len(lines), "by": f"api_client:{system.client_id}"},
        now=now,
    )
    return lines

"""What a period of an organiser's sales amounts to, read from the ledger (captures and
refunds posted to its payable in the period) and the sales rows that say through which outlet
and for which buyer each payment came. Only reads.

A refund counts in the period it was done (posted), whatever period its sale was in: a refund
of a sale settled already is carried into the next period — and takes the agent's commission
on it back there, since commissions are on sales net of refunds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select

from admit.clients.models import ClientCustomer, ClientRep
from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.finance.models import LedgerEntry, LedgerLine
from admit.payments.models import Payment, Refund
from admit.sales.models import Hold, Order, OrderLine, Pickup

WEB = ""  # the key of sales through no outlet (web, mobile)


@dataclass(slots=True)
class Slice:
    """Money and tickets through one outlet for one buyer."""

    gross: int = 0
    refunded: int = 0
    tickets: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunded


@dataclass(slots=True)
class Figures:
    currency: str = "CNY"
    by_sale: dict[tuple[str, str], Slice] = field(default_factory=dict)  # (outlet, buyer)
    printed: dict[str, int] = field(default_factory=dict)  # outlet → tickets picked up
    owed_count: int = 0
    owed: int = 0  # refunds decided by the period's end and not done yet

    def _part(self, key: tuple[str, str]) -> Slice:
        return self.by_sale.setdefault(key, Slice())

    def total(self) -> Slice:
        return self._sum(lambda outlet, buyer: True)

    def of_outlet(self, outlet: str) -> Slice:
        return self._sum(lambda where, buyer: where == outlet)

    def of_buyers(self, buyers: set[str]) -> Slice:
        return self._sum(lambda where, buyer: buyer in buyers)

    def _sum(self, pick: Callable[[str, str], bool]) -> Slice:
        out = Slice()
        for (outlet, buyer), part in self.by_sale.items():
            if pick(outlet, buyer):
                out.gross, out.refunded = out.gross + part.gross, out.refunded + part.refunded
                out.tickets += part.tickets
        return out


def _entries(organiser_id: int, kind: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    """The organiser's ledger entries of one kind posted in ``[start, end)``."""
    return and_(
        LedgerEntry.organiser_id == organiser_id,
        LedgerEntry.kind == kind,
        LedgerEntry.at >= start,
        LedgerEntry.at < end,
    )


OUTLET = func.coalesce(Hold.outlet, Payment.outlet, WEB)


async def period_figures(
    uow: UnitOfWork, *, organiser_id: int, start: datetime, end: datetime
) -> Figures:
    """The organiser's captures, refunds and tickets of ``[start, end)`` by outlet and buyer,
    tickets picked up at each counter, and refunds still owed to buyers at ``end``."""
    figures = Figures()
    payable = ledger.payable_account(organiser_id)
    captured = (
        select(OUTLET, Order.buyer, func.sum(LedgerLine.amount), func.min(LedgerEntry.currency))
        .select_from(LedgerLine)
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .join(Payment, Payment.number == LedgerEntry.ref)
        .join(Order, Order.number == Payment.order_number)
        .join(Hold, Hold.id == Order.hold_id)
        .where(LedgerLine.account == payable)
        .group_by(OUTLET, Order.buyer)
        .where(_entries(organiser_id, "capture", start, end))
    )
    for outlet, buyer, amount, currency in (await uow.session.execute(captured)).all():
        figures._part((outlet, buyer)).gross -= int(amount)  # the payable is credited
        figures.currency = currency
    refunded = (
        select(OUTLET, Order.buyer, func.sum(LedgerLine.amount))
        .select_from(LedgerLine)
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .join(Refund, Refund.number == LedgerEntry.ref)
        .join(Payment, Payment.id == Refund.payment_id)
        .join(Order, Order.number == Payment.order_number)
        .join(Hold, Hold.id == Order.hold_id)
        .where(LedgerLine.account == payable)
        .group_by(OUTLET, Order.buyer)
        .where(_entries(organiser_id, "refund", start, end))
    )
    for outlet, buyer, amount in (await uow.session.execute(refunded)).all():
        figures._part((outlet, buyer)).refunded += int(amount)  # the payable is debited
    # Tickets sold: the lines of orders a capture of the period paid (a capture refunded as a
    # duplicate or too late paid no order, and sold no ticket).
    sold = (
        select(OUTLET, Order.buyer, func.count(OrderLine.id))
        .select_from(LedgerEntry)
        .join(Payment, Payment.number == LedgerEntry.ref)
        .join(Order, Order.paid_by == Payment.number)
        .join(Hold, Hold.id == Order.hold_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .group_by(OUTLET, Order.buyer)
        .where(_entries(organiser_id, "capture", start, end))
    )
    for outlet, buyer, count in (await uow.session.execute(sold)).all():
        figures._part((outlet, buyer)).tickets += int(count)
    printed = (
        select(Pickup.outlet, func.count(OrderLine.id))
        .join(Order, Order.id == Pickup.order_id)
        .join(Payment, Payment.number == Order.paid_by)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Payment.organiser_id == organiser_id,
            Pickup.created_at >= start,
            Pickup.created_at < end,
        )
        .group_by(Pickup.outlet)
    )
    figures.printed = {o: int(n) for o, n in (await uow.session.execute(printed)).all()}
    owed = (
        select(func.count(Refund.id), func.coalesce(func.sum(Refund.amount), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Payment.organiser_id == organiser_id,
            Refund.created_at < end,
            (Refund.status != "done") | (Refund.done_at >= end),
        )
    )
    count, total = (await uow.session.execute(owed)).one()
    figures.owed_count, figures.owed = int(count), int(total)
    return figures


async def client_buyers(uow: UnitOfWork, client_ids: list[int]) -> dict[int, set[str]]:
    """The buyers (``customer:<id>``, ``staff:<id>``) who buy for each client. A buyer linked
    to several clients counts for the first (lowest id) only: nobody's sale is rebated twice."""
    out: dict[int, set[str]] = defaultdict(set)
    if not client_ids:
        return out
    seen: set[str] = set()
    customers = await uow.session.execute(
        select(ClientCustomer.client_id, ClientCustomer.customer_id).where(
            ClientCustomer.client_id.in_(client_ids)
        )
    )
    reps = await uow.session.execute(
        select(ClientRep.client_id, ClientRep.staff_id).where(ClientRep.client_id.in_(client_ids))
    )
    links = [(c, f"customer:{i}") for c, i in customers.all()]
    links += [(c, f"staff:{i}") for c, i in reps.all()]
    for client_id, buyer in sorted(links):
        if buyer not in seen:
            seen.add(buyer)
            out[client_id].add(buyer)
    return out

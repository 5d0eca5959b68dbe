"""Reads shaped for the checkout and account pages: what a hold has and what it costs, the
buyer's orders by status, one order with its tickets, the holders a buyer may name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from admit.accounts import identities
from admit.accounts.documents import mask_phone
from admit.catalog import pricing
from admit.catalog.models import Event, Session, Venue
from admit.core.crypto import FieldCrypto
from admit.core.errors import NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.claims import ga_areas, seats_of_hold
from admit.inventory.labels import place_labels
from admit.payments.models import Payment
from admit.sales import holds, orders
from admit.sales.models import Hold, HoldCount, Order, OrderLine, SalesWindow
from admit.ticketing import issue, render
from admit.ticketing.models import Ticket

DEFAULT_TICKET_TYPE = "adult"
# How the account page groups orders, in this order.
STATUS_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pending", "Waiting for payment", ("pending_payment",)),
    ("paid", "Paid", ("paid",)),
    ("refunded", "Refunded or exchanged", ("refunded", "partially_refunded", "exchanged")),
    ("ended", "Cancelled or expired", ("cancelled", "expired")),
)
STATUS_TEXT = {
    "pending_payment": "Waiting for payment",
    "paid": "Paid",
    "refunded": "Refunded",
    "partially_refunded": "Partly refunded",
    "exchanged": "Exchanged",
    "cancelled": "Cancelled",
    "expired": "Expired",
}


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    event: str
    name: str
    starts_at: datetime
    venue: str


async def session_infos(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, SessionInfo]:
    rows = await uow.session.execute(
        select(Session.id, Event.name, Session.name, Session.starts_at, Venue.name)
        .join(Event, Event.id == Session.event_id)
        .join(Venue, Venue.id == Session.venue_id)
        .where(Session.id.in_(list(set(ids))))
    )
    return {sid: SessionInfo(sid, event, name, at, venue) for sid, event, name, at, venue in rows}


async def session_info(uow: UnitOfWork, session_id: int) -> SessionInfo:
    found = (await session_infos(uow, [session_id])).get(session_id)
    if found is None:
        raise NotFound(f"session {session_id} does not exist")
    return found


@dataclass(frozen=True, slots=True)
class HeldItem:
    """One ticket to be: a seat, or one place in a general-admission area."""

    seat: str | None
    area: str | None
    label: str
    level_code: str
    level_name: str
    prices: dict[str, int]  # ticket type → amount, in minor units
    currency: str

    @property
    def default_type(self) -> str:
        return DEFAULT_TICKET_TYPE if DEFAULT_TICKET_TYPE in self.prices else min(self.prices)


@dataclass(frozen=True, slots=True)
class HolderChoice:
    identity_id: int
    name: str
    number: str  # masked
    is_self: bool
    status: str  # pending, verified, rejected
    reason: str | None = None  # why it was rejected
    phone: str | None = None  # the contact phone, masked


@dataclass(frozen=True, slots=True)
class HoldView:
    hold: Hold
    session: SessionInfo
    items: list[HeldItem]
    real_name: bool
    order: Order | None

    @property
    def live(self) -> bool:
        return self.hold.status == "active"

    @property
    def default_total(self) -> int:
        return sum(item.prices[item.default_type] for item in self.items)

    @property
    def currency(self) -> str:
        return self.items[0].currency if self.items else "CNY"


async def _held_places(uow: UnitOfWork, hold_id: int) -> list[tuple[str, int | None]]:
    """(area code, level) once per held general-admission place."""
    counts = (
        await uow.session.scalars(
            select(HoldCount).where(
                HoldCount.hold_id == hold_id, HoldCount.session_ga_id.is_not(None)
            )
        )
    ).all()
    areas = await ga_areas(uow, [c.session_ga_id for c in counts if c.session_ga_id])
    out: list[tuple[str, int | None]] = []
    for c in counts:
        code, level = areas[c.session_ga_id or 0]
        out.extend([(code, level)] * c.quantity)
    return out


async def hold_view(uow: UnitOfWork, *, hold_id: int, buyer: str) -> HoldView:
    """The buyer's hold with a price list per ticket. Raises ``NotFound``."""
    hold = await holds.get_hold(uow, hold_id=hold_id, buyer=buyer)
    seats = await seats_of_hold(uow, hold.id)
    places = await _held_places(uow, hold.id)
    labels = await place_labels(
        uow,
        session_id=hold.session_id,
        seat_keys=list(seats),
        area_codes=sorted({code for code, _ in places}),
    )
    levels = {lv.id: lv for lv in await pricing.list_price_levels(uow, hold.session_id)}
    items = []
    for seat, area, level_id in [(k, None, v) for k, v in seats.items()] + [
        (None, code, level) for code, level in places
    ]:
        level = levels.get(level_id or 0)
        if level is None or not level.prices:
            continue  # nothing to sell it at: the order service refuses it with a reason
        items.append(
            HeldItem(
                seat=seat,
                area=area,
                label=labels.get(seat or area or "", seat or area or ""),
                level_code=level.code,
                level_name=level.name,
                prices=dict(level.prices),
                currency=level.currency,
            )
        )
    window = await uow.session.get(SalesWindow, hold.window_id)
    order = await uow.session.scalar(select(Order).where(Order.hold_id == hold.id))
    return HoldView(
        hold=hold,
        session=await session_info(uow, hold.session_id),
        items=items,
        real_name=bool(window and window.real_name_required),
        order=order,
    )


async def holder_choices(
    uow: UnitOfWork, crypto: FieldCrypto, customer_id: int
) -> list[HolderChoice]:
    """The customer's own identity and linked holders, with the name they gave."""
    return [
        HolderChoice(
            identity_id=i.id,
            name=crypto.decrypt(h.claimed_name_enc),
            number=i.number_masked,
            is_self=h.is_self,
            status=h.status(i),
            reason=h.reason(i),
            phone=mask_phone(crypto.decrypt(h.contact_phone_enc)) if h.contact_phone_enc else None,
        )
        for h, i in await identities.holders_of(uow, customer_id)
    ]


@dataclass(frozen=True, slots=True)
class OrderSummary:
    order: Order
    session: SessionInfo | None
    tickets: int

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.order.status, self.order.status)


@dataclass(frozen=True, slots=True)
class OrderGroup:
    key: str
    title: str
    orders: list[OrderSummary] = field(default_factory=list)


async def orders_by_status(uow: UnitOfWork, *, buyer: str) -> list[OrderGroup]:
    """The buyer's orders, newest first, in the account page's groups (every group, even
    empty, so the page can say so)."""
    found = await orders.orders_of(uow, buyer=buyer)
    sessions = await session_infos(uow, [o.session_id for o in found])
    counts: dict[int, int] = {}
    if found:
        rows = await uow.session.execute(
            select(OrderLine.order_id).where(OrderLine.order_id.in_([o.id for o in found]))
        )
        for (order_id,) in rows:
            counts[order_id] = counts.get(order_id, 0) + 1
    groups = [OrderGroup(key, title) for key, title, _ in STATUS_GROUPS]
    for o in found:
        summary = OrderSummary(o, sessions.get(o.session_id), counts.get(o.id, 0))
        for group, (_, _, statuses) in zip(groups, STATUS_GROUPS, strict=True):
            if o.status in statuses:
                group.orders.append(summary)
    return groups


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: Ticket
    qr_svg: str


@dataclass(frozen=True, slots=True)
class LineView:
    label: str
    ticket_type: str
    amount: int
    holder: str | None


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: Order
    session: SessionInfo
    lines: list[LineView]
    tickets: list[TicketView]
    payments: list[Payment]

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.order.status, self.order.status)


async def order_detail(uow: UnitOfWork, *, number: str, buyer: str) -> OrderDetail:
    """One of the buyer's orders with its lines, tickets (QR as SVG) and payments. Raises
    ``NotFound`` for an order that is not the buyer's."""
    order = await orders.get_order(uow, number=number, buyer=buyer)
    lines = await orders.lines_of(uow, order.id)
    labels = await place_labels(
        uow,
        session_id=order.session_id,
        seat_keys=[ln.seat_key for ln in lines if ln.seat_key],
        area_codes=[ln.area_code for ln in lines if ln.area_code],
    )
    tickets = await issue.tickets_of(uow, order.number)
    payments = await uow.session.scalars(
        select(Payment).where(Payment.order_number == order.number).order_by(Payment.id)
    )
    return OrderDetail(
        order=order,
        session=await session_info(uow, order.session_id),
        lines=[
            LineView(
                label=labels.get(ln.seat_key or ln.area_code or "", ln.seat_key or ""),
                ticket_type=ln.ticket_type,
                amount=ln.amount,
                holder=ln.holder_name,
            )
            for ln in lines
        ],
        tickets=[TicketView(t, render.qr_svg(t.qr)) for t in tickets],
        payments=list(payments.all()),
    )


async def live_hold(
    uow: UnitOfWork, *, buyer: str, session_id: int, now: datetime
) -> tuple[int, int, datetime] | None:
    """The buyer's newest hold of the session still running: (id, quantity, expiry)."""
    row = (
        await uow.session.execute(
            select(Hold.id, Hold.quantity, Hold.expires_at)
            .where(
                Hold.buyer == buyer,
                Hold.session_id == session_id,
                Hold.status == "active",
                Hold.expires_at > now,
            )
            .order_by(Hold.id.desc())
            .limit(1)
        )
    ).first()
    return (int(row[0]), int(row[1]), row[2]) if row else None

"""Selling holds to their orders (C2, G10): the seats and places become sold, the orders turn
paid with their pickup codes, tickets are issued and confirmations queued — for one order
(a capture, a late payment, a cinema's confirmation) or a batch of them (the settlement of a
batch of notifications, ``sales.notice_settler``) with the same statements: each step is
one statement for the whole batch, so a batch of a hundred costs about what one order does.

Lock order, the same as holds and releases: buyer counters → seats → holds → orders, and the
session's shared counters last, just before the commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from admit.accounts.customers import contacts_of
from admit.catalog.models import Event, Session
from admit.core import audit, sliced_counters
from admit.core.crypto import FieldCrypto
from admit.core.db import table
from admit.core.local_time import SHORT, local_time
from admit.core.uow import UnitOfWork
from admit.inventory.claims import sell_seats
from admit.inventory.labels import place_labels
from admit.messaging.dispatch import ToSend, queue_messages
from admit.sales.hold_endings import taken_slices
from admit.sales.models import BuyerUsage, Hold, Order, OrderLine
from admit.sales.pickup_codes import unused_codes
from admit.sales.sale_statement import fits, sell_once, sell_slices_once
from admit.ticketing.issue import Issued, LineToIssue, OrderToIssue, issue_tickets

SMS_PARAM_MAX = 35  # carriers cap a template variable's length


@dataclass(frozen=True, slots=True)
class Notice:
    """The confirmation's templates and extra parameters when they are not the platform's
    own (a partner cinema's order carries the cinema's pickup codes)."""

    sms_template: str = "SMS_ORDER_CONFIRMED"
    email_template: str = "EMAIL_ORDER_CONFIRMED"
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sale:
    """One order to sell from its hold (both locked by the caller, the order pending)."""

    order_id: int
    order_number: str
    session_id: int
    buyer: str
    hold_id: int
    quantity: int
    payment: str
    notice: Notice = Notice()

    @classmethod
    def of(cls, order: Order, hold: Hold, payment: str, notice: Notice | None = None) -> Sale:
        return cls(
            order.id,
            order.number,
            hold.session_id,
            hold.buyer,
            hold.id,
            hold.quantity,
            payment,
            notice or Notice(),
        )


async def organiser_of(uow: UnitOfWork, session_id: int) -> int:
    """Who sells the session (kept per process: a session's event, and an event's organiser,
    never change)."""
    known: dict[int, int] = uow.caches.setdefault("session_organisers", {})
    if (found := known.get(session_id)) is not None:
        return found
    organiser = await uow.session.scalar(
        select(Event.organiser_id)
        .join(Session, Session.event_id == Event.id)
        .where(Session.id == session_id)
    )
    if organiser is None:
        raise LookupError(f"session {session_id} has no event")
    known[session_id] = int(organiser)
    return int(organiser)


async def sell(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    order: Order,
    hold: Hold,
    payment: str,
    now: datetime,
    *,
    notice: Notice | None = None,
) -> None:
    """Sell one order (``sell_many``); ``order`` and ``hold`` show what was written."""
    await uow.session.flush()  # the caller's changes first: the statements below overwrite
    codes = await sell_many(uow, crypto, [Sale.of(order, hold, payment, notice)], now)
    sold = {"status": "paid", "paid_at": now, "ended_at": None, "paid_by": payment}
    for name, value in {**sold, "pickup_code": codes[order.id]}.items():
        set_committed_value(order, name, value)  # as written, without writing it again
    for name, value in {"status": "sold", "ended_at": now}.items():
        set_committed_value(hold, name, value)


async def sell_many(
    uow: UnitOfWork, crypto: FieldCrypto, sales: Sequence[Sale], now: datetime
) -> dict[int, str]:
    """The holds' seats and places become sold to their orders, which turn paid with their
    tickets issued and their confirmations queued — all in the caller's transaction, in a
    fixed number of statements whatever the number of sales. Returns each order's pickup code
    by order id."""
    if not sales:
        return {}
    by_hold = sorted(sales, key=lambda s: s.hold_id)
    if fits(uow):
        codes = await sell_once(
            uow,
            [s.hold_id for s in by_hold],
            [s.order_id for s in by_hold],
            [s.payment for s in by_hold],
            now,
        )
        pickup = {s.order_id: code for s, code in zip(by_hold, codes, strict=True)}
    else:
        pickup = await _sell_state(uow, sales, now)
    issued = await _issue(uow, crypto, by_hold, now)
    await audit.record_many(
        uow,
        [
            audit.Event(
                "order.paid",
                "order",
                s.order_id,
                {
                    "number": s.order_number,
                    "payment": s.payment,
                    "tickets": len(issued[s.order_number]),
                },
            )
            for s in by_hold
        ],
        now=now,
    )
    await _confirm(uow, crypto, by_hold, pickup, issued, now)
    if fits(uow):
        await sell_slices_once(uow, [s.hold_id for s in by_hold])
    else:
        taken = await taken_slices(uow, [s.hold_id for s in by_hold])
        await sliced_counters.move_many(
            uow, [sliced_counters.Move(model, cid, sl, -n, n) for model, cid, sl, n in taken]
        )
    return pickup


async def _sell_state(uow: UnitOfWork, sales: Sequence[Sale], now: datetime) -> dict[int, str]:
    """Buyer counters, seats, holds and orders with their pickup codes (lock order), one
    statement per step: ``admit_sell``'s statements, for SQLite."""
    by_buyer = sorted(sales, key=lambda s: (s.session_id, s.buyer))
    usage = table(BuyerUsage)
    await uow.session.execute(
        update(usage)
        .where(usage.c.session_id == bindparam("s_session"), usage.c.buyer == bindparam("s_buyer"))
        .values(held=usage.c.held - bindparam("s_n"), bought=usage.c.bought + bindparam("s_n")),
        [{"s_session": s.session_id, "s_buyer": s.buyer, "s_n": s.quantity} for s in by_buyer],
    )
    by_hold = sorted(sales, key=lambda s: s.hold_id)
    await sell_seats(uow, [(s.hold_id, s.order_id) for s in by_hold])
    holds = table(Hold)
    await uow.session.execute(
        update(holds)
        .where(holds.c.id.in_([s.hold_id for s in by_hold]))
        .values(status="sold", ended_at=now)
    )
    codes = await unused_codes(uow, len(sales))
    pickup = {s.order_id: code for s, code in zip(by_hold, codes, strict=True)}
    orders = table(Order)
    await uow.session.execute(
        update(orders)
        .where(orders.c.id == bindparam("s_id"))
        .values(
            status="paid",
            paid_at=now,
            ended_at=None,
            paid_by=bindparam("s_payment"),
            pickup_code=bindparam("s_code"),
        ),
        [
            {"s_id": s.order_id, "s_payment": s.payment, "s_code": pickup[s.order_id]}
            for s in by_hold
        ],
    )
    return pickup


async def _issue(
    uow: UnitOfWork, crypto: FieldCrypto, sales: Sequence[Sale], now: datetime
) -> dict[str, list[str]]:
    """Every order's tickets: order number → the tickets' labels, in line order."""
    lines_of: dict[int, list[Row[Any]]] = defaultdict(list)
    order_lines = table(OrderLine)
    for line in await uow.session.execute(
        select(order_lines)
        .where(order_lines.c.order_id.in_([s.order_id for s in sales]))
        .order_by(order_lines.c.id)
    ):
        lines_of[line.order_id].append(line)
    labels: dict[int, dict[str, str]] = {}
    for session_id in sorted({s.session_id for s in sales}):
        of_session = [
            ln for s in sales if s.session_id == session_id for ln in lines_of[s.order_id]
        ]
        labels[session_id] = await place_labels(
            uow,
            session_id=session_id,
            seat_keys=[ln.seat_key for ln in of_session if ln.seat_key],
            area_codes=sorted({ln.area_code for ln in of_session if ln.area_code}),
        )
    orders = [
        OrderToIssue(
            order_number=s.order_number,
            organiser_id=await organiser_of(uow, s.session_id),
            session_id=s.session_id,
            lines=[
                LineToIssue(
                    line_id=ln.id,
                    seat_key=ln.seat_key,
                    area_code=ln.area_code,
                    label=labels[s.session_id].get(
                        ln.seat_key or ln.area_code or "",
                        ln.seat_key or ("Pass" if ln.product_id is not None else "?"),
                    ),
                    ticket_type=ln.ticket_type,
                    amount=ln.amount,
                    holder_name=ln.holder_name,
                    holder_key=ln.holder_key,
                    product_id=ln.product_id,
                )
                for ln in lines_of[s.order_id]
            ],
        )
        for s in sales
    ]
    issued: dict[str, list[str]] = {s.order_number: [] for s in sales}
    ticket: Issued
    for ticket in await issue_tickets(uow, crypto, orders, now=now):
        issued[ticket.order_number].append(ticket.label)
    return issued


def seats_text(labels: list[str], limit: int = SMS_PARAM_MAX) -> str:
    """Seat labels (``Section 107 · Row 11 · Seat 3``) for a short message: a row's seats
    together (``Sec 107 Row 11 Seats 3, 4``), rows apart with "; ", as many rows as fit,
    then "+N more" (seats)."""
    rows: dict[str, list[str]] = {}  # the row (or standing area) → its seat numbers, or ""s
    for label in labels:
        head, sep, number = label.rpartition(" · Seat ")
        rows.setdefault(head if sep else label, []).append(number if sep else "")
    shown: list[str] = []
    counted = 0
    for head, numbers in rows.items():
        words = head.replace("Section ", "Sec ").replace(" · ", " ")
        n = len(numbers)
        if numbers[0]:
            words += (" Seats " if n > 1 else " Seat ") + ", ".join(numbers)
        elif n > 1:
            words += f" ×{n}"  # places in a standing area
        rest = len(labels) - counted - n
        candidate = "; ".join([*shown, words]) + (f" +{rest} more" if rest else "")
        if len(candidate) > limit and shown:
            return "; ".join(shown) + f" +{len(labels) - counted} more"
        shown.append(words)
        counted += n
    text = "; ".join(shown)
    return text if len(text) <= limit else f"{len(labels)} tickets"


async def _shows(uow: UnitOfWork, session_ids: set[int]) -> dict[int, tuple[str, datetime]]:
    """Each session's event name and start, for the confirmations (one read)."""
    rows = await uow.session.execute(
        select(Session.id, Event.name, Session.starts_at)
        .join(Event, Event.id == Session.event_id)
        .where(Session.id.in_(sorted(session_ids)))
    )
    return {sid: (name, starts) for sid, name, starts in rows}


async def _confirm(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    sales: Sequence[Sale],
    pickup: dict[int, str],
    issued: dict[str, list[str]],
    now: datetime,
) -> None:
    """The confirmations with the pickup code and the seats, sent after commit (C2, G9); a
    counter sale's buyer is handed the tickets on the spot."""
    customers = {s.order_id: int(s.buyer[9:]) for s in sales if s.buyer.startswith("customer:")}
    if not customers:
        return
    contacts = await contacts_of(uow, crypto, sorted(set(customers.values())))
    shows = await _shows(uow, {s.session_id for s in sales if s.order_id in customers})
    messages: list[ToSend] = []
    for s in sales:
        if s.order_id not in customers:
            continue
        phone, email = contacts.get(customers[s.order_id], (None, None))
        labels = issued[s.order_number]
        event, starts = shows[s.session_id]
        params = {"order": s.order_number, "pickup": pickup[s.order_id], **s.notice.params}
        if phone:
            sms = {
                **params,
                "event": event if len(event) <= SMS_PARAM_MAX else event[: SMS_PARAM_MAX - 1] + "…",
                "time": local_time(starts, SHORT),
                "seats": seats_text(labels),
            }
            messages.append(ToSend("sms", phone, s.notice.sms_template, sms))
        if email:
            mail = {**params, "event": event, "time": local_time(starts)}
            mail["seats"] = "; ".join(labels)
            messages.append(ToSend("email", email, s.notice.email_template, mail))
    await queue_messages(uow, crypto, messages, now=now)

"""Orders (S8, G12): made from a hold, one line per ticket priced by level × ticket type,
pending payment until the hold's time; expired with it or cancelled by the buyer."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select

from admit.accounts.eligibility import (
    Holder,
    RealNameRequired,
    verified_holders,
    verified_identities,
)
from admit.catalog.models import Price
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.platform_mode import refuse_while_reconciling
from admit.core.uow import UnitOfWork
from admit.inventory.claims import ga_areas, seats_of_hold
from admit.sales.hold_endings import give_back
from admit.sales.limits import take_holder_usage
from admit.sales.models import Hold, HoldCount, Order, OrderLine, SalesWindow
from admit.sales.order_statement import fits, order_once
from admit.sales.order_views import LineInput, LineView, OrderView
from admit.sales.sale_gate import WindowTerms, sale_config

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class HoldExpired(Conflict):
    code = "hold_expired"


async def view_of(uow: UnitOfWork, order: Order) -> OrderView:
    lines = await lines_of(uow, order.id)
    return OrderView(
        order.number,
        order.session_id,
        order.status,
        order.total,
        order.currency,
        order.pay_by,
        order.paid_at,
        order.pickup_code,
        tuple(
            LineView(ln.seat_key, ln.area_code, ln.ticket_type, ln.amount, ln.holder_name)
            for ln in lines
        ),
    )


def new_number() -> str:
    return "A" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(11))


async def _what_is_held(
    uow: UnitOfWork, hold: Hold
) -> tuple[dict[str, int], Counter[str], dict[str, int]]:
    """(seat key → level, GA places per area, GA area → level) the hold still has."""
    seats = {k: v for k, v in (await seats_of_hold(uow, hold.id)).items() if v is not None}
    if len(seats) == hold.quantity:  # seats only: no standing places to look up
        return seats, Counter(), {}
    counts = (
        await uow.session.scalars(
            select(HoldCount).where(
                HoldCount.hold_id == hold.id, HoldCount.session_ga_id.is_not(None)
            )
        )
    ).all()
    ga_ids = [c.session_ga_id for c in counts if c.session_ga_id]
    areas = await ga_areas(uow, ga_ids) if ga_ids else {}
    places: Counter[str] = Counter()
    levels: dict[str, int] = {}
    for c in counts:
        code, level = areas[c.session_ga_id or 0]
        places[code] += c.quantity
        if level is not None:
            levels[code] = level
    return seats, places, levels


async def place_order(
    uow: UnitOfWork,
    *,
    hold_id: int,
    buyer: str,
    lines: Sequence[LineInput],
    idempotency_key: str,
    now: datetime,
    named: Sequence[Holder | None] | None = None,
) -> Order:
    """Turn the buyer's live hold into an order. The lines must name exactly what the hold has
    (each seat once, as many places per area as held). A repeated ``idempotency_key`` returns
    the same order. Raises ``HoldExpired`` (409), ``Conflict`` (the hold already has an
    order), ``InvalidInput`` (lines that do not match, unknown ticket types), ``NotFound``;
    ``Reconciling`` (503) while a restore is being reconciled. ``named``: each line's holder
    as a selling system filed it (``channels``), instead of the customer's linked holders."""
    await refuse_while_reconciling(uow)
    hold = await uow.session.scalar(select(Hold).where(Hold.id == hold_id).with_for_update())
    if hold is None or hold.buyer != buyer:
        raise NotFound(f"hold {hold_id} does not exist")
    # Read after the lock, so a concurrent retry with the same key that ordered while we
    # waited is seen: the buyer's order under this key (returned), or the hold's own.
    placed = (
        await uow.session.scalars(
            select(Order).where(
                or_(
                    and_(Order.buyer == buyer, Order.idempotency_key == idempotency_key),
                    Order.hold_id == hold_id,
                )
            )
        )
    ).all()
    for existing in placed:
        if existing.idempotency_key == idempotency_key and existing.buyer == buyer:
            return existing
    if hold.status != "active" or hold.expires_at <= now:
        raise HoldExpired("the hold has expired or was released: hold the seats again")
    if placed:
        raise Conflict("this hold already has an order")
    seats, places, area_levels = await _what_is_held(uow, hold)
    asked_seats = [line.seat for line in lines if line.seat]
    asked_places = Counter(line.area for line in lines if line.area)
    if sorted(asked_seats) != sorted(seats) or asked_places != places:
        raise InvalidInput(
            "the lines must name exactly the seats and places of the hold",
            details={"held_seats": sorted(seats), "held_places": dict(places)},
        )
    window: WindowTerms | SalesWindow | None
    window = (await sale_config(uow, hold.session_id, hold.channel)).window
    if window is None or window.id != hold.window_id:  # changed since: read the hold's own
        window = await uow.session.get(SalesWindow, hold.window_id)
        assert window is not None
    if named is None:
        holders = await _holders(uow, buyer, lines, window)
    else:
        holders = _named(named, lines, window)
    priced = await _price(
        uow,
        [(line, seats[line.seat] if line.seat else area_levels[line.area or ""]) for line in lines],
    )
    currencies = {currency for _, _, currency in priced}
    if len(currencies) != 1:
        raise InvalidInput("an order is paid in one currency")
    order = Order(
        number=new_number(),
        hold_id=hold.id,
        session_id=hold.session_id,
        buyer=buyer,
        channel=hold.channel,
        total=sum(amount for _, amount, _ in priced),
        currency=currencies.pop(),
        idempotency_key=idempotency_key,
        created_at=now,
        pay_by=hold.expires_at,
    )
    uow.session.add(order)
    await uow.session.flush()
    for ((line, level), amount, _), holder in zip(priced, holders, strict=True):
        uow.session.add(
            OrderLine(
                order_id=order.id,
                seat_key=line.seat,
                area_code=line.area,
                price_level_id=level,
                ticket_type=line.ticket_type,
                amount=amount,
                holder_identity_id=holder.identity_id if holder else None,
                holder_name=holder.masked_name if holder else None,
                holder_key=holder.document_key if holder else None,
            )
        )
    await take_holder_usage(
        uow,
        hold.session_id,
        Counter(h.document_key for h in holders if h is not None),
        window.per_person_limit,
        buyer=buyer,
        order_id=order.id,
    )
    await uow.session.flush()
    return order


async def order_hold(
    uow: UnitOfWork,
    *,
    hold_id: int,
    buyer: str,
    lines: Sequence[LineInput],
    idempotency_key: str,
    now: datetime,
) -> OrderView:
    """``place_order``, answered as the buyer sees the order: on PostgreSQL, for lines that
    name no holder, in one statement (``sales.order_statement``); whatever that statement
    refuses, and everything else, by ``place_order``'s statements (which raise its errors)."""
    if fits(uow, lines):
        await refuse_while_reconciling(uow)
        view = await order_once(
            uow,
            hold_id=hold_id,
            buyer=buyer,
            lines=lines,
            idempotency_key=idempotency_key,
            number=new_number(),
            now=now,
        )
        if view is not None:
            return view
    order = await place_order(
        uow,
        hold_id=hold_id,
        buyer=buyer,
        lines=lines,
        idempotency_key=idempotency_key,
        now=now,
    )
    return await view_of(uow, order)


async def _holders(
    uow: UnitOfWork, buyer: str, lines: Sequence[LineInput], window: SalesWindow | WindowTerms
) -> list[Holder | None]:
    """Each line's holder: required on a real-name window (RN1), checked whenever given."""
    wanted = [line.holder for line in lines]
    if window.real_name_required and None in wanted:
        raise RealNameRequired(
            "this sale is real-name: name a verified holder for every ticket",
            details={"lines": [i for i, h in enumerate(wanted) if h is None]},
        )
    if not any(h is not None for h in wanted):
        return [None] * len(lines)
    kind, _, ident = buyer.partition(":")
    given = [h for h in wanted if h is not None]
    if kind == "staff":  # a counter sale: the clerk verified each person's document there
        chosen = await verified_identities(uow, identity_ids=given)
    elif kind == "customer":
        chosen = await verified_holders(uow, customer_id=int(ident), identity_ids=given)
    else:
        raise RealNameRequired("holders are named by the customer or the clerk who sells")
    found = {h.identity_id: h for h in chosen}
    return [found[h] if h is not None else None for h in wanted]


def _named(
    named: Sequence[Holder | None], lines: Sequence[LineInput], window: SalesWindow | WindowTerms
) -> list[Holder | None]:
    """Holders a selling system named, one per line: all of them on a real-name window."""
    if len(named) != len(lines):
        raise InvalidInput(f"{len(named)} holders for {len(lines)} tickets")
    if window.real_name_required and None in named:
        raise RealNameRequired(
            "this sale is real-name: name a holder for every ticket",
            details={"lines": [i for i, h in enumerate(named) if h is None]},
        )
    return list(named)


async def _price(
    uow: UnitOfWork, lines: Sequence[tuple[LineInput, int]]
) -> list[tuple[tuple[LineInput, int], int, str]]:
    levels = {level for _, level in lines}
    prices = {
        (level, ticket_type): (amount, currency)
        for level, ticket_type, amount, currency in (
            await uow.session.execute(
                select(Price.price_level_id, Price.ticket_type, Price.amount, Price.currency).where(
                    Price.price_level_id.in_(levels)
                )
            )
        ).all()
    }
    out = []
    for line, level in lines:
        found = prices.get((level, line.ticket_type))
        if found is None:
            raise InvalidInput(f"no {line.ticket_type!r} price for {line.seat or line.area}")
        out.append(((line, level), found[0], found[1]))
    return out


async def cancel_order(uow: UnitOfWork, *, number: str, buyer: str, now: datetime) -> Order:
    """The buyer gives up an unpaid order: its hold is released at once."""
    order = await get_order(uow, number=number, buyer=buyer)
    if order.status != "pending_payment":
        raise Conflict(f"the order is {order.status}")
    hold = await uow.session.scalar(select(Hold).where(Hold.id == order.hold_id).with_for_update())
    if hold is not None and hold.status == "active":
        await give_back(uow, hold, "released", now)
    order.status, order.ended_at = "cancelled", now
    await uow.session.flush()
    await audit.record(
        uow,
        action="order.cancelled",
        entity_type="order",
        entity_id=order.id,
        data={"number": number},
        now=now,
    )
    return order


async def get_order(uow: UnitOfWork, *, number: str, buyer: str) -> Order:
    order = await uow.session.scalar(select(Order).where(Order.number == number))
    if order is None or order.buyer != buyer:
        raise NotFound(f"order {number} does not exist")
    return order


async def orders_of(uow: UnitOfWork, *, buyer: str, limit: int = 100) -> list[Order]:
    rows = await uow.session.scalars(
        select(Order).where(Order.buyer == buyer).order_by(Order.id.desc()).limit(limit)
    )
    return list(rows.all())


async def lines_of(uow: UnitOfWork, order_id: int) -> list[OrderLine]:
    rows = await uow.session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
    )
    return list(rows.all())

"""Selling passes (INV5, issue 27 item 1): a pass covers several sessions, with one fixed seat
in all of them or none. Bought like a ticket — held, ordered, paid — as its own flow beside
the session holds (``sales.holds``):

- the hold is anchored to the pass's first session (its window, its payment time, the buyer's
  per-person counter there) and names the pass (``Hold.product_id``); a fixed seat is held
  under that one hold in every covered session by one conditional UPDATE, all or nothing
  (``inventory.pass_claims``). Ending the hold (release, expiry, a declined payment) and
  selling it go by hold, so the seat comes back, or is sold, in every session at once;
- a seatless pass has a ``stock``: the pass's row is locked while its live holds (active and
  in time, confirming, sold) are counted, so two buyers cannot take the last one together;
- the order is placed with the hold, in the same transaction, at the pass's price (one price,
  or the price of the seat's level in the first session), one line of ticket type ``pass``;
  it is paid like any order and issues one ticket whose QR (kind ``P``) every covered
  session's gate admits, once per session (``checkin.manifests``).

Passes count against no window quota and are not sold on a real-name sale nor on a partner
cinema's session (whose seats the cinema locks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from admit.catalog.models import PriceLevel, Product, SeatMode
from admit.catalog.passes import get_pass as get_pass
from admit.core.errors import Conflict, NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.pass_claims import claim_pass_seat
from admit.sales.limits import take_buyer_usage
from admit.sales.models import Hold, Order, OrderLine, SalesWindow
from admit.sales.orders import new_number
from admit.sales.outside_inventory import outside
from admit.sales.sale_gate import check_on_sale
from admit.sales.windows import NotOnSale

TICKET_TYPE = "pass"
LIVE = ("active", "confirming", "sold")


class PassSoldOut(Conflict):
    code = "pass_sold_out"


@dataclass(frozen=True, slots=True)
class PassSale:
    """A pass held and ordered: the hold, its pending order and the sessions it covers."""

    hold: Hold
    order: Order
    session_ids: tuple[int, ...]
    seat: str | None


async def hold_pass(
    uow: UnitOfWork,
    *,
    product_id: int,
    buyer: str,
    channel: str,
    outlet: str | None = None,
    idempotency_key: str | None = None,
    now: datetime,
) -> PassSale:
    """Hold the pass and order it, pending payment until the first session's payment time.
    Raises ``NotFound``, ``NotOnSale``/``ChannelClosed`` (any covered session not on sale
    through the channel now), ``PassSeatTaken`` (the seat not free in every session),
    ``PassSoldOut``, ``LimitExceeded`` — all 409 but the first. A repeated
    ``idempotency_key`` returns the buyer's first pass hold."""
    product, session_ids = await get_pass(uow, product_id)
    if idempotency_key is not None:
        again = await _replayed(uow, buyer, idempotency_key, product_id, session_ids)
        if again is not None:
            return again
    windows = [
        await check_on_sale(uow, session_id=sid, channel=channel, outlet_code=outlet, now=now)
        for sid in session_ids
    ]
    if any(w.real_name_required for w in windows):
        raise NotOnSale("passes are not sold on a real-name sale")
    for sid in session_ids:
        known = outside().known(uow.caches, sid)
        if known or (known is None and await outside().remember(uow.caches, uow, sid)):
            raise NotOnSale("passes are not sold on a partner cinema's session")
    anchor, window = session_ids[0], windows[0]
    if product.seat_mode is SeatMode.NONE:
        await check_stock(uow, product, now=now)
    hold = Hold(
        session_id=anchor,
        window_id=window.window_id,
        buyer=buyer,
        channel=channel,
        outlet=outlet,
        status="active",
        quantity=1,
        idempotency_key=idempotency_key,
        created_at=now,
        expires_at=now + timedelta(minutes=window.payment_minutes),
        product_id=product.id,
    )
    uow.session.add(hold)
    await uow.session.flush()
    # Lock order as every hold: the buyer's counter, then the seats.
    await take_buyer_usage(uow, anchor, buyer, 1, window.per_person_limit)
    level = await _claim(uow, product, session_ids, hold, now)
    amount = await _price(uow, product, level)
    order = Order(
        number=new_number(),
        hold_id=hold.id,
        session_id=anchor,
        buyer=buyer,
        channel=channel,
        total=amount,
        currency=product.currency,
        idempotency_key=f"pass-hold-{hold.id}",  # the hold carries the buyer's key
        created_at=now,
        pay_by=hold.expires_at,
    )
    uow.session.add(order)
    await uow.session.flush()
    uow.session.add(
        OrderLine(
            order_id=order.id,
            seat_key=product.fixed_seat_key,
            area_code=None,
            price_level_id=level,
            ticket_type=TICKET_TYPE,
            amount=amount,
            product_id=product.id,
        )
    )
    await uow.session.flush()
    return PassSale(hold, order, tuple(session_ids), product.fixed_seat_key)


async def _replayed(
    uow: UnitOfWork, buyer: str, key: str, product_id: int, session_ids: list[int]
) -> PassSale | None:
    hold = await uow.session.scalar(
        select(Hold).where(Hold.buyer == buyer, Hold.idempotency_key == key)
    )
    if hold is None:
        return None
    if hold.product_id != product_id:
        raise Conflict("this idempotency key was used for another hold")
    order = await uow.session.scalar(select(Order).where(Order.hold_id == hold.id))
    assert order is not None  # placed with the hold, in its transaction
    seat = await uow.session.scalar(
        select(OrderLine.seat_key).where(OrderLine.order_id == order.id)
    )
    return PassSale(hold, order, tuple(session_ids), seat)


async def _claim(
    uow: UnitOfWork, product: Product, session_ids: list[int], hold: Hold, now: datetime
) -> int | None:
    """The fixed seat in every session (its price level in the first), or nothing to claim."""
    if product.seat_mode is SeatMode.NONE or product.fixed_seat_key is None:
        return None
    levels = await claim_pass_seat(
        uow,
        session_ids=session_ids,
        seat_key=product.fixed_seat_key,
        hold_id=hold.id,
        expires_at=hold.expires_at,
        now=now,
    )
    return levels[hold.session_id]


async def _price(uow: UnitOfWork, product: Product, level: int | None) -> int:
    if product.price is not None:
        return product.price
    code = await uow.session.scalar(select(PriceLevel.code).where(PriceLevel.id == level))
    amount = product.level_prices.get(code or "")
    if amount is None:
        raise NotOnSale(f"the pass has no price for the seat's level {code!r}")
    return int(amount)


async def check_stock(
    uow: UnitOfWork, product: Product, *, now: datetime, besides: int | None = None
) -> None:
    """A seatless pass is left: its row locked (one buyer at a time counts), fewer live holds
    than its stock — ``besides`` (a hold taken again) not counted. Raises ``NotOnSale`` (no
    stock set) or ``PassSoldOut``."""
    await uow.session.execute(select(Product.id).where(Product.id == product.id).with_for_update())
    if product.stock is None:
        raise NotOnSale("this pass is not on sale")
    query = select(func.count()).where(
        Hold.product_id == product.id,
        Hold.status.in_(LIVE),
        or_(Hold.status != "active", and_(Hold.status == "active", Hold.expires_at > now)),
    )
    if besides is not None:
        query = query.where(Hold.id != besides)
    if (await uow.session.scalar(query) or 0) >= product.stock:
        raise PassSoldOut("this pass is sold out")


async def take_again(uow: UnitOfWork, hold: Hold, now: datetime) -> None:
    """A pass paid after its hold ended: its counter, and its seat in every session or its
    place in the stock, taken again (whatever the sale window says — the buyer has paid).
    Raises ``PassSeatTaken``, ``PassSoldOut`` or ``LimitExceeded``: the caller refunds."""
    assert hold.product_id is not None
    product, session_ids = await get_pass(uow, hold.product_id)
    window = await uow.session.get(SalesWindow, hold.window_id)
    if window is None:
        raise NotFound(f"sales window {hold.window_id} does not exist")
    await take_buyer_usage(uow, hold.session_id, hold.buyer, 1, window.per_person_limit)
    if product.seat_mode is SeatMode.NONE:
        await check_stock(uow, product, now=now, besides=hold.id)
        return
    assert product.fixed_seat_key is not None
    await claim_pass_seat(
        uow,
        session_ids=session_ids,
        seat_key=product.fixed_seat_key,
        hold_id=hold.id,
        expires_at=now,
        now=now,
    )

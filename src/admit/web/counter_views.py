"""Reads for the counter's pages: a session's free seats by price level (the keyboard-first
seat list), the session's window for the counter's channel, a hold and an order of the
clerk's outlet (another outlet's is not found), and an order's tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.catalog import pricing
from admit.catalog.models import Seat
from admit.catalog.pricing import LevelView
from admit.catalog.queries import SessionRow, get_session_row
from admit.core.errors import NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.claims import seats_of_hold
from admit.inventory.counts import free_seat
from admit.inventory.models import SessionSeat
from admit.sales.models import Hold, Order, SalesWindow
from admit.web.counter_auth import Clerk

SEATS_LISTED = 300  # the first free seats a counter lists; best-available finds the rest


@dataclass(frozen=True, slots=True)
class FreeSeat:
    key: str
    row: str
    number: str
    level: str


@dataclass(frozen=True, slots=True)
class SalePage:
    row: SessionRow
    levels: list[LevelView]
    seats: list[FreeSeat]
    window: SalesWindow | None


async def session_row(uow: UnitOfWork, session_id: int) -> SessionRow:
    row = await get_session_row(uow, session_id)
    if row is None:
        raise NotFound(f"session {session_id} does not exist")
    return row


async def sale_page(uow: UnitOfWork, clerk: Clerk, session_id: int, now: datetime) -> SalePage:
    """The session, its levels and prices, its free seats (by ordinal) and the window of the
    clerk's channel. Raises ``NotFound``."""
    row = await session_row(uow, session_id)
    levels = await pricing.list_price_levels(uow, session_id)
    code = {level.id: level.code for level in levels}
    found = await uow.session.execute(
        select(Seat.key, Seat.row_label, Seat.number_label, SessionSeat.price_level_id)
        .join(SessionSeat, SessionSeat.seat_id == Seat.id)
        .where(
            SessionSeat.session_id == session_id,
            SessionSeat.category == "sellable",
            SessionSeat.excluded.is_(False),
            SessionSeat.unusable.is_(False),
            SessionSeat.price_level_id.is_not(None),
            free_seat(now),
        )
        .order_by(SessionSeat.ordinal)
        .limit(SEATS_LISTED)
    )
    seats = [FreeSeat(k, r, n, code.get(lv or 0, "")) for k, r, n, lv in found]
    window = await uow.session.scalar(
        select(SalesWindow).where(
            SalesWindow.session_id == session_id, SalesWindow.channel == clerk.channel
        )
    )
    return SalePage(row, levels, seats, window)


@dataclass(frozen=True, slots=True)
class HoldPage:
    hold: Hold
    row: SessionRow
    seats: list[tuple[str, str]]  # (seat key, level code)
    ticket_types: list[str]
    real_name: bool


async def clerk_hold(uow: UnitOfWork, clerk: Clerk, hold_id: int) -> Hold:
    """A hold placed at the clerk's outlet; any other is not found."""
    hold = await uow.session.get(Hold, hold_id)
    if hold is None or hold.outlet != clerk.outlet or not hold.buyer.startswith("staff:"):
        raise NotFound(f"hold {hold_id} does not exist at this counter")
    return hold


async def hold_page(uow: UnitOfWork, clerk: Clerk, hold_id: int) -> HoldPage:
    hold = await clerk_hold(uow, clerk, hold_id)
    row = await session_row(uow, hold.session_id)
    levels = await pricing.list_price_levels(uow, hold.session_id)
    code = {level.id: level.code for level in levels}
    seats = [(k, code.get(lv or 0, "")) for k, lv in (await seats_of_hold(uow, hold.id)).items()]
    types = sorted({t for level in levels for t in level.prices}) or ["adult"]
    window = await uow.session.get(SalesWindow, hold.window_id)
    return HoldPage(hold, row, seats, types, bool(window and window.real_name_required))


async def clerk_order(uow: UnitOfWork, clerk: Clerk, number: str) -> Order:
    """An order sold at the clerk's outlet; any other (another outlet's, the web's) is not
    found."""
    of_order = select(Order.hold_id).where(Order.number == number[:20]).scalar_subquery()
    outlet = await uow.session.scalar(select(Hold.outlet).where(Hold.id == of_order))
    order = await uow.session.scalar(select(Order).where(Order.number == number[:20]))
    if order is None or outlet != clerk.outlet or not order.buyer.startswith("staff:"):
        raise NotFound(f"order {number[:20]} does not exist at this counter")
    return order

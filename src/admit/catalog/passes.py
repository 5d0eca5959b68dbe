"""Use cases for passes: products covering several sessions (INV5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from admit.catalog.models import Product, ProductSession, Seat, SeatMode, Session
from admit.catalog.venues import get_organiser
from admit.core import audit
from admit.core.errors import InvalidInput, NotFound
from admit.core.lookups import ensure_unique
from admit.core.uow import UnitOfWork


async def create_pass(
    uow: UnitOfWork,
    *,
    organiser_id: int,
    code: str,
    name: str,
    session_ids: Sequence[int],
    seat_mode: SeatMode,
    fixed_seat_key: str | None,
    price: int | None,
    level_prices: dict[str, int],
    currency: str,
    now: datetime,
    stock: int | None = None,
) -> Product:
    """A pass with no seat, or with one seat that must exist in every session it covers.

    Priced once (``price``) or by seat level (``level_prices``), never both. A seatless pass
    is sold up to its ``stock`` (``sales.pass_sales``); a fixed-seat pass is its seat."""
    await get_organiser(uow, organiser_id)
    ids = list(dict.fromkeys(session_ids))
    if len(ids) < 2:
        raise InvalidInput("a pass covers at least two sessions")
    if (price is None) == (not level_prices):
        raise InvalidInput("give either one price or prices by level")
    if any(a < 0 for a in [*(level_prices.values()), price or 0]):
        raise InvalidInput("prices cannot be negative")
    await ensure_unique(uow, Product.code, code, f"product code {code!r} is taken")
    sessions = (await uow.session.scalars(select(Session).where(Session.id.in_(ids)))).all()
    missing = sorted(set(ids) - {s.id for s in sessions})
    if missing:
        raise NotFound("unknown sessions", details={"sessions": missing})
    await _check_seat_mode(uow, seat_mode, fixed_seat_key, sessions)
    if stock is not None and seat_mode is SeatMode.FIXED:
        raise InvalidInput("a fixed-seat pass is its seat: it has no stock")
    product = Product(
        organiser_id=organiser_id,
        code=code,
        name=name,
        seat_mode=seat_mode,
        fixed_seat_key=fixed_seat_key,
        currency=currency,
        price=price,
        level_prices=level_prices,
        stock=stock,
        created_at=now,
    )
    uow.session.add(product)
    await uow.session.flush()
    for sid in ids:
        uow.session.add(ProductSession(product_id=product.id, session_id=sid))
    await uow.session.flush()
    await audit.record(
        uow,
        action="pass.created",
        entity_type="product",
        entity_id=product.id,
        data={
            "code": code,
            "name": name,
            "sessions": ids,
            "seat_mode": str(seat_mode),
            "fixed_seat_key": fixed_seat_key,
            "price": price,
            "level_prices": level_prices,
            "stock": stock,
        },
        now=now,
    )
    return product


async def _check_seat_mode(
    uow: UnitOfWork, seat_mode: SeatMode, key: str | None, sessions: Sequence[Session]
) -> None:
    if seat_mode is SeatMode.NONE:
        if key is not None:
            raise InvalidInput("a pass without a seat cannot name one")
        return
    if not key:
        raise InvalidInput("a fixed-seat pass needs the seat key")
    maps = {s.seat_map_id for s in sessions}
    found = await uow.session.scalar(
        select(func.count(func.distinct(Seat.seat_map_id))).where(
            Seat.seat_map_id.in_(maps), Seat.key == key
        )
    )
    if found != len(maps):
        raise InvalidInput(f"seat {key!r} does not exist in every session's seat map")


async def get_pass(uow: UnitOfWork, product_id: int) -> tuple[Product, list[int]]:
    product = await uow.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} does not exist")
    ids = (
        await uow.session.scalars(
            select(ProductSession.session_id)
            .where(ProductSession.product_id == product_id)
            .order_by(ProductSession.session_id)
        )
    ).all()
    return product, list(ids)

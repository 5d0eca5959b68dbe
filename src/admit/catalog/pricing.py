"""Use cases for price levels and their prices per ticket type (INV4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from admit.catalog.events import get_session
from admit.catalog.models import Price, PriceLevel
from admit.core import audit
from admit.core.errors import InvalidInput
from admit.core.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class LevelInput:
    code: str
    name: str
    prices: dict[str, int]
    color: str = "#3b82f6"
    currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class LevelView:
    id: int
    code: str
    name: str
    color: str
    prices: dict[str, int]
    currency: str


async def set_price_levels(
    uow: UnitOfWork, *, session_id: int, levels: Sequence[LevelInput], now: datetime
) -> list[LevelView]:
    """Create or update the session's levels by code and replace their prices.

    A level that is not listed stays (seats may map to it); prices are whole minor units."""
    await get_session(uow, session_id)
    codes = [lv.code for lv in levels]
    if len(set(codes)) != len(codes):
        raise InvalidInput("price level codes repeat")
    for lv in levels:
        if not lv.prices:
            raise InvalidInput(f"price level {lv.code!r} has no price")
        bad = {t: a for t, a in lv.prices.items() if a < 0}
        if bad:
            raise InvalidInput(f"price level {lv.code!r} has negative prices", details=bad)
    existing = {
        pl.code: pl
        for pl in (
            await uow.session.scalars(select(PriceLevel).where(PriceLevel.session_id == session_id))
        ).all()
    }
    for sort, lv in enumerate(levels):
        row = existing.get(lv.code)
        if row is None:
            row = PriceLevel(session_id=session_id, code=lv.code)
            uow.session.add(row)
        row.name, row.color, row.sort = lv.name, lv.color, sort
        await uow.session.flush()
        await uow.session.execute(delete(Price).where(Price.price_level_id == row.id))
        for ticket_type, amount in lv.prices.items():
            uow.session.add(
                Price(
                    price_level_id=row.id,
                    ticket_type=ticket_type,
                    amount=amount,
                    currency=lv.currency,
                )
            )
    await uow.session.flush()
    await audit.record(
        uow,
        action="price_levels.set",
        entity_type="session",
        entity_id=session_id,
        data={
            "levels": [
                {"code": lv.code, "name": lv.name, "prices": lv.prices, "currency": lv.currency}
                for lv in levels
            ]
        },
        now=now,
    )
    return await list_price_levels(uow, session_id)


async def list_price_levels(uow: UnitOfWork, session_id: int) -> list[LevelView]:
    rows = (
        await uow.session.execute(
            select(PriceLevel, Price)
            .outerjoin(Price, Price.price_level_id == PriceLevel.id)
            .where(PriceLevel.session_id == session_id)
            .order_by(PriceLevel.sort, PriceLevel.id, Price.amount.desc())
        )
    ).all()
    views: dict[int, LevelView] = {}
    for level, price in rows:
        view = views.setdefault(
            level.id,
            LevelView(
                id=level.id,
                code=level.code,
                name=level.name,
                color=level.color,
                prices={},
                currency=price.currency if price else "CNY",
            ),
        )
        if price is not None:
            view.prices[price.ticket_type] = price.amount
    return list(views.values())

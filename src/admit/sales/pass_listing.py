"""The passes on sale through a channel now (INV5): every session a pass covers on sale
through the channel (a real-name window sells none), a seatless pass with a stock. Whether
one is left, or its seat free, the hold says. Read by the API's list and the event page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.catalog.models import Product, ProductSession, SeatMode, Session
from admit.core.uow import UnitOfWork
from admit.sales.rules import SaleState, sale_state
from admit.sales.sale_gate import sale_config


@dataclass(frozen=True, slots=True)
class Listed:
    product: Product
    session_ids: list[int]


async def passes_on_sale(
    uow: UnitOfWork, *, now: datetime, channel: str = "web", event_id: int | None = None
) -> list[Listed]:
    """The passes on sale now, by id; ``event_id``: those covering one of its sessions."""
    covered: dict[int, list[int]] = {}
    for pid, sid in await uow.session.execute(
        select(ProductSession.product_id, ProductSession.session_id).order_by(
            ProductSession.session_id
        )
    ):
        covered.setdefault(pid, []).append(sid)
    if event_id is not None:
        of_event = set(
            await uow.session.scalars(select(Session.id).where(Session.event_id == event_id))
        )
        covered = {pid: ids for pid, ids in covered.items() if of_event & set(ids)}
    if not covered:
        return []
    products = await uow.session.scalars(
        select(Product).where(Product.id.in_(sorted(covered))).order_by(Product.id)
    )
    out = []
    for product in products:
        if product.seat_mode is SeatMode.NONE and product.stock is None:
            continue
        sessions = covered[product.id]
        if all([await _open(uow, sid, channel, now) for sid in sessions]):
            out.append(Listed(product, sessions))
    return out


async def _open(uow: UnitOfWork, session_id: int, channel: str, now: datetime) -> bool:
    config = await sale_config(uow, session_id, channel)
    w = config.window
    return (
        config.channel_enabled
        and w is not None
        and not w.real_name_required
        and sale_state(starts_at=w.starts_at, ends_at=w.ends_at, enabled=w.enabled, now=now)
        is SaleState.ON_SALE
    )

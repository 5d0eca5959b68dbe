"""What a channel may still sell of a session (API1 "remaining tickets"): per price level,
its window's quota less what is held and sold through it, never more than the seats and
places free in the session; with the window's sale state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from admit.catalog.models import PriceLevel
from admit.core.errors import NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.counts import free_by_level
from admit.sales.models import SalesWindow, WindowQuota
from admit.sales.rules import sale_state


async def remaining(
    uow: UnitOfWork, *, session_id: int, channel: str, now: datetime
) -> dict[str, Any]:
    """Raises ``NotFound`` when the session is not sold through ``channel``."""
    window = await uow.session.scalar(
        select(SalesWindow).where(
            SalesWindow.session_id == session_id, SalesWindow.channel == channel
        )
    )
    if window is None:
        raise NotFound(f"session {session_id} is not sold through {channel}")
    free = (await free_by_level(uow, [session_id], now=now)).get(session_id)
    rows = (
        await uow.session.execute(
            select(PriceLevel.code, PriceLevel.id, WindowQuota)
            .join(WindowQuota, WindowQuota.price_level_id == PriceLevel.id)
            .where(WindowQuota.window_id == window.id)
            .order_by(PriceLevel.code)
        )
    ).all()
    levels = []
    for code, level_id, quota in rows:
        left = max(0, quota.quota - quota.held - quota.sold)
        levels.append(
            {
                "level": code,
                "quota": quota.quota,
                "held": quota.held,
                "sold": quota.sold,
                "remaining": min(left, free[level_id] if free else 0),
            }
        )
    state = sale_state(
        starts_at=window.starts_at, ends_at=window.ends_at, enabled=window.enabled, now=now
    )
    return {
        "session_id": session_id,
        "channel": channel,
        "state": state.value,
        "remaining": sum(lv["remaining"] for lv in levels),
        "levels": levels,
    }

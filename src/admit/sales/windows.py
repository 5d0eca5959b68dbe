"""Use cases of sales configuration (S5, S10): channels and outlets switched on and off, sales
windows per session and channel with quotas per price level, and the gate every hold passes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import func, select

from admit.catalog.events import get_session
from admit.catalog.models import PriceLevel
from admit.catalog.venues import get_venue
from admit.core import audit, sliced_counters
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.lookups import ensure_unique, get_or_404
from admit.core.short_cache import SALE_CONFIG, forget_on_commit
from admit.core.sliced_counters import slices_for
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionSeat
from admit.sales.models import Channel, Outlet, SalesWindow, WindowQuota, WindowQuotaSlice
from admit.sales.outside_inventory import outside
from admit.sales.rules import CHANNELS, quota_from_ratio


class NotOnSale(Conflict):
    code = "not_on_sale"


class ChannelClosed(Conflict):
    code = "channel_closed"


class OutletDisabled(ChannelClosed):
    """An outlet switched off: it sells nothing, and its staff are told so by this code."""

    code = "outlet_disabled"


async def get_channel(uow: UnitOfWork, code: str) -> Channel:
    channel = await uow.session.get(Channel, code)
    if channel is None:
        raise NotFound(f"no channel {code!r}; channels are {', '.join(CHANNELS)}")
    return channel


async def set_channel_enabled(
    uow: UnitOfWork, *, code: str, enabled: bool, now: datetime
) -> Channel:
    channel = await get_channel(uow, code)
    channel.enabled = enabled
    await uow.session.flush()
    forget_on_commit(uow, SALE_CONFIG)
    await audit.record(
        uow,
        action="channel.enabled" if enabled else "channel.disabled",
        entity_type="sales_channel",
        entity_id=code,
        data={},
        now=now,
    )
    return channel


async def create_outlet(
    uow: UnitOfWork, *, channel: str, code: str, name: str, venue_id: int | None, now: datetime
) -> Outlet:
    await get_channel(uow, channel)
    if venue_id is not None:
        await get_venue(uow, venue_id)
    await ensure_unique(uow, Outlet.code, code, f"outlet {code!r} already exists")
    outlet = Outlet(channel=channel, code=code, name=name, venue_id=venue_id, created_at=now)
    uow.session.add(outlet)
    await uow.session.flush()
    await audit.record(
        uow,
        action="outlet.created",
        entity_type="sales_outlet",
        entity_id=outlet.id,
        now=now,
        data={"channel": channel, "code": code, "name": name},
    )
    return outlet


async def set_outlet_enabled(
    uow: UnitOfWork, *, outlet_id: int, enabled: bool, now: datetime
) -> Outlet:
    outlet = await get_or_404(uow, Outlet, outlet_id, "outlet")
    outlet.enabled = enabled
    await uow.session.flush()
    await audit.record(
        uow,
        action="outlet.enabled" if enabled else "outlet.disabled",
        entity_type="sales_outlet",
        entity_id=outlet_id,
        data={},
        now=now,
    )
    return outlet


@dataclass(frozen=True, slots=True)
class QuotaInput:
    level: str
    quota: int | None = None
    ratio: Fraction | None = None


@dataclass(frozen=True, slots=True)
class WindowInput:
    channel: str
    starts_at: datetime
    ends_at: datetime
    per_person_limit: int
    payment_minutes: int
    real_name_required: bool
    quotas: Sequence[QuotaInput]


async def sellable_by_level(uow: UnitOfWork, session_id: int) -> dict[int, int]:
    """Seats of each price level that are sellable in the plan: the total of total × ratio."""
    rows = await uow.session.execute(
        select(SessionSeat.price_level_id, func.count())
        .where(
            SessionSeat.session_id == session_id,
            SessionSeat.category == "sellable",
            SessionSeat.excluded.is_(False),
            SessionSeat.unusable.is_(False),
            SessionSeat.price_level_id.is_not(None),
        )
        .group_by(SessionSeat.price_level_id)
    )
    return {int(level): int(count) for level, count in rows if level is not None}


async def _quota_rows(
    uow: UnitOfWork, session_id: int, quotas: Sequence[QuotaInput]
) -> dict[int, int]:
    levels = {
        code: lid
        for lid, code in (
            await uow.session.execute(
                select(PriceLevel.id, PriceLevel.code).where(PriceLevel.session_id == session_id)
            )
        ).all()
    }
    totals = await sellable_by_level(uow, session_id)
    out: dict[int, int] = {}
    for q in quotas:
        if q.level not in levels:
            raise InvalidInput(f"session {session_id} has no price level {q.level!r}")
        if (q.quota is None) == (q.ratio is None):
            raise InvalidInput(f"level {q.level}: give a quota or a ratio, not both")
        lid = levels[q.level]
        try:
            out[lid] = (
                q.quota
                if q.quota is not None
                else quota_from_ratio(totals.get(lid, 0), q.ratio or Fraction(0))
            )
        except ValueError as exc:
            raise InvalidInput(f"level {q.level}: {exc}") from exc
    if len(out) != len(quotas):
        raise InvalidInput("a price level appears twice")
    return out


async def open_window(
    uow: UnitOfWork, *, session_id: int, cmd: WindowInput, now: datetime
) -> SalesWindow:
    """Create the session's window for a channel (one per channel). Raises ``InvalidInput``,
    ``AlreadyExists``."""
    await get_session(uow, session_id)
    await get_channel(uow, cmd.channel)
    await outside().check_channel(uow, session_id, cmd.channel)  # e.g. a cinema's: online only
    if cmd.ends_at <= cmd.starts_at:
        raise InvalidInput("a sales window must end after it starts")
    if await uow.session.scalar(
        select(SalesWindow.id).where(
            SalesWindow.session_id == session_id, SalesWindow.channel == cmd.channel
        )
    ):
        raise Conflict(f"session {session_id} already has a {cmd.channel} window")
    quotas = await _quota_rows(uow, session_id, cmd.quotas)
    window = SalesWindow(
        session_id=session_id,
        channel=cmd.channel,
        starts_at=cmd.starts_at,
        ends_at=cmd.ends_at,
        per_person_limit=cmd.per_person_limit,
        payment_minutes=cmd.payment_minutes,
        real_name_required=cmd.real_name_required,
        created_at=now,
    )
    uow.session.add(window)
    await uow.session.flush()
    forget_on_commit(uow, SALE_CONFIG)
    rows = [
        WindowQuota(
            window_id=window.id, price_level_id=level_id, quota=quota, slices=slices_for(quota)
        )
        for level_id, quota in quotas.items()
    ]
    uow.session.add_all(rows)
    await uow.session.flush()
    await sliced_counters.create(uow, WindowQuotaSlice, [(q.id, q.quota, q.slices) for q in rows])
    await audit.record(
        uow,
        action="sales_window.opened",
        entity_type="session",
        entity_id=session_id,
        now=now,
        data={
            "channel": cmd.channel,
            "starts_at": cmd.starts_at.isoformat(),
            "ends_at": cmd.ends_at.isoformat(),
            "per_person_limit": cmd.per_person_limit,
            "payment_minutes": cmd.payment_minutes,
            "real_name_required": cmd.real_name_required,
            "quotas": {str(k): v for k, v in quotas.items()},
        },
    )
    return window


async def update_window(
    uow: UnitOfWork, window_id: int, *, changes: dict[str, object], now: datetime
) -> SalesWindow:
    """Change dates, limits or switch the window off; the audit entry keeps old and new."""
    window = await get_or_404(uow, SalesWindow, window_id, "sales window")
    forget_on_commit(uow, SALE_CONFIG)
    await audit.record_update(
        uow,
        window,
        changes,
        action="sales_window.updated",
        entity_type="sales_window",
        entity_id=window_id,
        now=now,
    )
    if window.ends_at <= window.starts_at:
        raise InvalidInput("a sales window must end after it starts")
    return window


async def windows_of(
    uow: UnitOfWork, session_id: int
) -> list[tuple[SalesWindow, list[WindowQuota]]]:
    windows = (
        await uow.session.scalars(
            select(SalesWindow).where(SalesWindow.session_id == session_id).order_by(SalesWindow.id)
        )
    ).all()
    out = []
    for w in windows:
        quotas = (
            await uow.session.scalars(
                select(WindowQuota).where(WindowQuota.window_id == w.id).order_by(WindowQuota.id)
            )
        ).all()
        out.append((w, list(quotas)))
    return out

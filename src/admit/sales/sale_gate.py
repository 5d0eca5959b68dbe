"""The gate of every hold (S5, S10): the channel is switched on, the session's window for it
is open now, and which quota counts each price level. What the gate reads — the channel
switch, the window, its quotas, whether a waiting room is on — is kept per process for
``ADMIT_SALE_CONFIG_CACHE_SECONDS`` (1 s) and cleared by any change made in this process
(``windows`` and ``waiting_room`` call ``forget_on_commit``), so a hold reads no
configuration. Another process sees a change within that second; seats and counters are
always decided by the database in the hold's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.core.platform_mode import refuse_while_reconciling
from admit.core.short_cache import SALE_CONFIG, ShortCache, cache_of
from admit.core.uow import UnitOfWork
from admit.sales.models import Channel, Outlet, SalesWindow, WindowQuota
from admit.sales.rules import SaleState, sale_state
from admit.sales.windows import ChannelClosed, NotOnSale, OutletDisabled, get_channel
from admit.waiting.models import WaitingRoom


@dataclass(frozen=True, slots=True)
class OpenWindow:
    window_id: int
    per_person_limit: int
    payment_minutes: int
    real_name_required: bool
    quotas: Mapping[int, int]  # price level id → the window's quota row counting it
    quota_slices: Mapping[int, int]  # quota row → how many slices its counter has


@dataclass(frozen=True, slots=True)
class WindowTerms:
    """A window as configured (a copy kept in the process's cache)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    enabled: bool
    per_person_limit: int
    payment_minutes: int
    real_name_required: bool


@dataclass(frozen=True, slots=True)
class SaleConfig:
    """A session's sale through one channel, as configured."""

    channel_enabled: bool
    window: WindowTerms | None
    quotas: Mapping[int, int]
    quota_slices: Mapping[int, int]
    waiting_room: bool  # a waiting room is switched on for the session


async def sale_config(uow: UnitOfWork, session_id: int, channel: str) -> SaleConfig:
    """The configuration, from this process's cache when fresh. Raises ``NotFound`` for a
    channel that does not exist."""
    cache: ShortCache[tuple[int, str], SaleConfig] = cache_of(uow.caches, SALE_CONFIG, 1.0)
    return await cache.get_or_load(
        uow, (session_id, channel), lambda: _load(uow, session_id, channel)
    )


async def _load(uow: UnitOfWork, session_id: int, channel: str) -> SaleConfig:
    found: Channel = await get_channel(uow, channel)
    row = await uow.session.scalar(
        select(SalesWindow).where(
            SalesWindow.session_id == session_id, SalesWindow.channel == channel
        )
    )
    window: WindowTerms | None = None
    quotas: dict[int, int] = {}
    slices: dict[int, int] = {}
    if row is not None:
        window = WindowTerms(
            row.id,
            row.starts_at,
            row.ends_at,
            row.enabled,
            row.per_person_limit,
            row.payment_minutes,
            row.real_name_required,
        )
        for level_id, quota_id, n in await uow.session.execute(
            select(WindowQuota.price_level_id, WindowQuota.id, WindowQuota.slices).where(
                WindowQuota.window_id == row.id
            )
        ):
            quotas[level_id], slices[quota_id] = quota_id, n
    room = await uow.session.scalar(
        select(WaitingRoom.enabled).where(WaitingRoom.session_id == session_id)
    )
    return SaleConfig(found.enabled, window, quotas, slices, bool(room))


async def check_on_sale(
    uow: UnitOfWork, *, session_id: int, channel: str, outlet_code: str | None, now: datetime
) -> OpenWindow:
    """The channel and outlet are switched on and the session's window for the channel is
    open now. Raises ``ChannelClosed`` or ``NotOnSale`` (409), or ``Reconciling`` (503) while
    payments since a restored backup are being reconciled: every hold passes here."""
    await refuse_while_reconciling(uow)
    config = await sale_config(uow, session_id, channel)
    if not config.channel_enabled:
        raise ChannelClosed(f"the {channel} channel is switched off")
    if outlet_code is not None:
        outlet = await uow.session.scalar(select(Outlet).where(Outlet.code == outlet_code))
        if outlet is None or outlet.channel != channel:
            raise ChannelClosed(f"no {channel} outlet {outlet_code!r}")
        if not outlet.enabled:
            raise OutletDisabled(
                f"outlet {outlet_code!r} is switched off: it cannot sell",
                details={"outlet": outlet_code},
            )
    window = config.window
    if window is None:
        raise NotOnSale(f"session {session_id} is not sold through {channel}")
    state = sale_state(
        starts_at=window.starts_at, ends_at=window.ends_at, enabled=window.enabled, now=now
    )
    if state is not SaleState.ON_SALE:
        raise NotOnSale(
            f"session {session_id} is not on sale through {channel} ({state.value})",
            details={
                "state": state.value,
                "starts_at": window.starts_at.isoformat(),
                "ends_at": window.ends_at.isoformat(),
            },
        )
    return OpenWindow(
        window.id,
        window.per_person_limit,
        window.payment_minutes,
        window.real_name_required,
        config.quotas,
        config.quota_slices,
    )

"""Administration of channels, outlets and sales windows (S5, S10); the public sale status."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import select

from admit.catalog import ownership
from admit.catalog.api import SESSION_ORGANISER
from admit.catalog.models import PriceLevel
from admit.core.errors import NotFound
from admit.core.permissions import Permission, ScopeKind
from admit.core.short_cache import ShortCache, cache_of
from admit.core.timestamps import UTCTimestamp
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    Place,
    PublicReader,
    RuntimeDep,
    by_path,
    path_int,
    staff_reader,
    staff_writer,
)
from admit.http.int_bounds import DB_INT_MAX
from admit.inventory import counts
from admit.inventory.availability import cached_availability
from admit.sales import windows
from admit.sales.models import Channel, Outlet, SalesWindow, WindowQuota
from admit.sales.rules import ChannelCode, SaleState, channel_left, sale_state

router = APIRouter(tags=["admin: sales"])
SALE_STATUS = "sale_status"
STATUSES_KEPT = 256  # by session and availability version, as the session pages


async def _window_organiser(uow: UnitOfWork, value: str) -> list[Place]:
    window = await uow.session.get(SalesWindow, path_int(value, "sales window"))
    if window is None:
        raise NotFound(f"sales window {value} does not exist")
    return [(ScopeKind.ORGANISER, await ownership.organiser_of_session(uow, window.session_id))]


# Channels and outlets are the platform's (global grants); a session's windows are its
# organiser's.
Writer = Annotated[UnitOfWork, staff_writer(Permission.SALES_CONFIGURE)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.CATALOG_READ)]
SessionWriter = Annotated[
    UnitOfWork, staff_writer(Permission.SALES_CONFIGURE, scope=SESSION_ORGANISER)
]
SessionReader = Annotated[
    UnitOfWork, staff_reader(Permission.CATALOG_READ, scope=SESSION_ORGANISER)
]
WindowWriter = Annotated[
    UnitOfWork,
    staff_writer(
        Permission.SALES_CONFIGURE,
        scope=by_path("window_id", ScopeKind.ORGANISER, locate=_window_organiser),
    ),
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelOut(Model):
    code: str
    name: str
    enabled: bool


class EnabledIn(Model):
    enabled: bool


class OutletIn(Model):
    channel: str = Field(max_length=20)
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    venue_id: int | None = Field(default=None, ge=1, le=DB_INT_MAX)


class OutletOut(Model):
    id: int
    channel: ChannelCode
    code: str
    name: str
    venue_id: int | None
    enabled: bool


class QuotaIn(Model):
    level: Annotated[str, Field(min_length=1, max_length=20)]
    quota: int | None = Field(default=None, ge=0, le=10_000_000)
    ratio: Annotated[str, Field(pattern=r"^(0(\.\d+)?|1(\.0+)?)$")] | None = Field(
        default=None, description="share of the level's sellable seats, e.g. '0.3'"
    )

    @model_validator(mode="after")
    def _one(self) -> QuotaIn:
        if (self.quota is None) == (self.ratio is None):
            raise ValueError("give a quota or a ratio")
        return self


class WindowIn(Model):
    channel: str = Field(max_length=20)
    starts_at: UTCTimestamp
    ends_at: UTCTimestamp
    per_person_limit: int = Field(default=6, ge=1, le=100)
    payment_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    real_name_required: bool = False
    quotas: list[QuotaIn] = Field(min_length=1, max_length=62)


class WindowPatch(Model):
    starts_at: UTCTimestamp | None = None
    ends_at: UTCTimestamp | None = None
    per_person_limit: int | None = Field(default=None, ge=1, le=100)
    payment_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    real_name_required: bool | None = None
    enabled: bool | None = None


class QuotaOut(Model):
    level: str
    quota: int
    held: int
    sold: int


class WindowOut(Model):
    id: int
    session_id: int
    channel: ChannelCode
    starts_at: datetime
    ends_at: datetime
    per_person_limit: int
    payment_minutes: int
    real_name_required: bool
    enabled: bool
    state: SaleState
    quotas: list[QuotaOut]


async def _window_out(
    uow: UnitOfWork, w: SalesWindow, quotas: list[WindowQuota], now: datetime
) -> WindowOut:
    codes = dict(
        (
            await uow.session.execute(
                select(PriceLevel.id, PriceLevel.code).where(PriceLevel.session_id == w.session_id)
            )
        ).all()
    )
    return WindowOut(
        id=w.id,
        session_id=w.session_id,
        channel=w.channel,
        starts_at=w.starts_at,
        ends_at=w.ends_at,
        per_person_limit=w.per_person_limit,
        payment_minutes=w.payment_minutes,
        real_name_required=w.real_name_required,
        enabled=w.enabled,
        state=sale_state(
            starts_at=w.starts_at, ends_at=w.ends_at, enabled=w.enabled, now=now
        ).value,
        quotas=[
            QuotaOut(level=codes[q.price_level_id], quota=q.quota, held=q.held, sold=q.sold)
            for q in quotas
        ],
    )


def _outlet_out(o: Outlet) -> OutletOut:
    return OutletOut(
        id=o.id, channel=o.channel, code=o.code, name=o.name, venue_id=o.venue_id, enabled=o.enabled
    )


@router.get("/admin/channels")
async def list_channels(uow: Reader) -> list[ChannelOut]:
    rows = (await uow.session.scalars(select(Channel).order_by(Channel.code))).all()
    return [ChannelOut(code=c.code, name=c.name, enabled=c.enabled) for c in rows]


@router.put("/admin/channels/{code}")
async def set_channel(code: str, body: EnabledIn, uow: Writer, now: Now) -> ChannelOut:
    c = await windows.set_channel_enabled(uow, code=code, enabled=body.enabled, now=now)
    return ChannelOut(code=c.code, name=c.name, enabled=c.enabled)


@router.post("/admin/outlets", status_code=201)
async def create_outlet(body: OutletIn, uow: Writer, now: Now) -> OutletOut:
    return _outlet_out(await windows.create_outlet(uow, **body.model_dump(), now=now))


@router.put("/admin/outlets/{outlet_id}/enabled")
async def set_outlet(outlet_id: int, body: EnabledIn, uow: Writer, now: Now) -> OutletOut:
    return _outlet_out(
        await windows.set_outlet_enabled(uow, outlet_id=outlet_id, enabled=body.enabled, now=now)
    )


@router.post("/admin/sessions/{session_id}/sales-windows", status_code=201)
async def open_window(session_id: int, body: WindowIn, uow: SessionWriter, now: Now) -> WindowOut:
    cmd = windows.WindowInput(
        channel=body.channel,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        per_person_limit=body.per_person_limit,
        payment_minutes=body.payment_minutes,
        real_name_required=body.real_name_required,
        quotas=[
            windows.QuotaInput(q.level, q.quota, Fraction(q.ratio) if q.ratio else None)
            for q in body.quotas
        ],
    )
    window = await windows.open_window(uow, session_id=session_id, cmd=cmd, now=now)
    ((_, quotas),) = [
        (w, q) for w, q in await windows.windows_of(uow, session_id) if w.id == window.id
    ]
    return await _window_out(uow, window, quotas, now)


@router.patch("/admin/sales-windows/{window_id}")
async def update_window(
    window_id: int, body: WindowPatch, uow: WindowWriter, now: Now
) -> WindowOut:
    changes = body.model_dump(exclude_none=True)
    window = await windows.update_window(uow, window_id, changes=changes, now=now)
    ((_, quotas),) = [
        (w, q) for w, q in await windows.windows_of(uow, window.session_id) if w.id == window.id
    ]
    return await _window_out(uow, window, quotas, now)


@router.get("/admin/sessions/{session_id}/sales-windows")
async def list_windows(session_id: int, uow: SessionReader, now: Now) -> list[WindowOut]:
    return [await _window_out(uow, w, q, now) for w, q in await windows.windows_of(uow, session_id)]


class SaleStatusOut(Model):
    channel: ChannelCode
    state: SaleState
    starts_at: datetime
    ends_at: datetime
    per_person_limit: int
    real_name_required: bool
    left: dict[str, int] = Field(
        description="tickets the channel may still sell, by price level code: the level's free "
        "seats and places within the window's quota; a level the window does not sell is absent"
    )
    remaining: int = Field(description="the sum of ``left``: what the channel may still sell")


@router.get("/sessions/{session_id}/sale", tags=["public: sessions"])
async def sale_status(
    session_id: int, uow: PublicReader, rt: RuntimeDep, now: Now
) -> list[SaleStatusOut]:
    """When and on which terms each channel sells this session (not yet / on sale / ended),
    and what each may still sell at each price level. The same numbers as the storefront's
    pages: a seat is free to one channel only while that channel's share of its level lasts.
    Built once per version of the session's availability in each process (the seat map asks
    after every change it sees), not once per request."""
    ttl = rt.settings.availability_cache_seconds
    avail = await cached_availability(uow, rt.caches, ttl, session_id, now)
    built: ShortCache[tuple[int, str], list[SaleStatusOut]] = cache_of(
        rt.caches, SALE_STATUS, ttl, size=STATUSES_KEPT
    )
    return await built.get_or_load(
        uow, (session_id, avail.etag), lambda: _sale_status(uow, session_id, now)
    )


async def _sale_status(uow: UnitOfWork, session_id: int, now: datetime) -> list[SaleStatusOut]:
    channels = {c.code: c.enabled for c in (await uow.session.scalars(select(Channel))).all()}
    levels = select(PriceLevel.id, PriceLevel.code).where(PriceLevel.session_id == session_id)
    codes = {int(row.id): str(row.code) for row in await uow.session.execute(levels)}
    free = (await counts.free_by_level(uow, [session_id], now=now))[session_id]
    out = []
    for w, quotas in await windows.windows_of(uow, session_id):
        left = channel_left(free, {q.price_level_id: q.quota - q.held - q.sold for q in quotas})
        state = sale_state(
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            enabled=w.enabled and channels.get(w.channel, False),
            now=now,
        )
        out.append(
            SaleStatusOut(
                channel=w.channel,
                starts_at=w.starts_at,
                ends_at=w.ends_at,
                per_person_limit=w.per_person_limit,
                real_name_required=w.real_name_required,
                state=state.value,
                left={codes[level]: n for level, n in left.items() if level in codes},
                remaining=sum(left.values()),
            )
        )
    return out

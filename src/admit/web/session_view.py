"""Reads for the event and session pages: price levels with what is left at each, the map's
sections with their free seats (the seat map's text alternative), standing areas, and the
website's sale status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from admit.catalog import pricing
from admit.catalog.models import GAArea, MapLevel, MapSection, Seat
from admit.catalog.pricing import LevelView
from admit.catalog.queries import SessionRow, get_session_row
from admit.core.errors import NotFound
from admit.core.runtime import Runtime
from admit.core.short_cache import ShortCache, cache_of
from admit.core.uow import UnitOfWork
from admit.inventory.availability import LEVEL_CHARS, Availability, cached_availability
from admit.inventory.counts import free_seat
from admit.inventory.models import SessionGA, SessionSeat
from admit.web.listings import WebSale, web_sales
from admit.web.sale_status import PublicStatus, label, public_status
from admit.web.sold_out import (
    KEPT_FOR,
    NONE,
    SOLD_OUT_ALTERNATIVES,
    Alternatives,
    alternatives,
)

SESSION_PAGES = "session_pages"
# Keyed by availability version, which an on-sale changes many times a second: lapsed entries
# go when the cache is full, so its size bounds the memory (a stadium's page data is ~20 kB).
PAGES_KEPT = 256


@dataclass(frozen=True, slots=True)
class LevelRow:
    id: int
    code: str
    name: str
    color: str
    currency: str
    prices: dict[str, int]
    free: int  # seats and standing places anyone may hold now
    left_here: int  # of those, what the website may still sell

    @property
    def lowest(self) -> int | None:
        return min(self.prices.values(), default=None)


@dataclass(frozen=True, slots=True)
class SectionRow:
    code: str
    name: str
    tier: str
    level_codes: tuple[str, ...]
    seats: int
    free: int


@dataclass(frozen=True, slots=True)
class AreaRow:
    code: str
    name: str
    level_code: str | None
    capacity: int
    free: int


@dataclass(frozen=True, slots=True)
class SessionPage:
    row: SessionRow
    levels: list[LevelRow]
    ticket_types: list[str]
    sections: list[SectionRow]
    areas: list[AreaRow]
    sale: WebSale | None
    status: PublicStatus
    remaining: int
    seat_count: int
    etag: str  # of the availability it was built from
    alternatives: Alternatives = NONE  # when the session or some of its levels sold out
    rendered: dict[bool, bytes] = field(default_factory=dict, compare=False)  # HTML by header

    @property
    def status_label(self) -> str:
        return label(self.status)


@dataclass
class _SectionTally:
    name: str
    tier: str
    sort: int
    levels: set[str]
    seats: int = 0
    free: int = 0


async def _sections(
    uow: UnitOfWork,
    session_id: int,
    level_code: dict[int, str],
    selling: set[int],
    now: datetime,
) -> list[SectionRow]:
    """Each section's seats, and those of them the website may sell now (free, at a level
    whose share it has not sold)."""
    rows = await uow.session.execute(
        select(
            MapSection.code,
            MapSection.name,
            MapLevel.name,
            MapSection.sort,
            SessionSeat.price_level_id,
            func.count(),
            func.sum(case((free_seat(now), 1), else_=0)),
        )
        .join(Seat, Seat.id == SessionSeat.seat_id)
        .join(MapSection, MapSection.id == Seat.section_id)
        .join(MapLevel, MapLevel.id == MapSection.level_id)
        .where(SessionSeat.session_id == session_id, SessionSeat.unusable.is_(False))
        .group_by(
            MapSection.code,
            MapSection.name,
            MapLevel.name,
            MapSection.sort,
            SessionSeat.price_level_id,
        )
    )
    tally: dict[str, _SectionTally] = {}
    for code, name, tier, sort, level_id, seats, free in rows:
        entry = tally.setdefault(code, _SectionTally(name, tier, int(sort), set()))
        if level_id in level_code:
            entry.levels.add(level_code[level_id])
        entry.seats += int(seats)
        entry.free += int(free or 0) if level_id in selling else 0
    ordered = sorted(tally.items(), key=lambda item: (item[1].sort, item[0]))
    return [
        SectionRow(code, e.name, e.tier, tuple(sorted(e.levels)), e.seats, e.free)
        for code, e in ordered
    ]


async def _areas(uow: UnitOfWork, session_id: int, level_code: dict[int, str]) -> list[AreaRow]:
    rows = await uow.session.execute(
        select(
            GAArea.code,
            GAArea.name,
            SessionGA.price_level_id,
            SessionGA.capacity,
            SessionGA.capacity - SessionGA.held - SessionGA.sold,
        )
        .join(GAArea, GAArea.id == SessionGA.ga_area_id)
        .where(SessionGA.session_id == session_id)
        .order_by(GAArea.code)
    )
    return [
        AreaRow(code, name, level_code.get(level_id) if level_id else None, cap, max(0, int(free)))
        for code, name, level_id, cap, free in rows
    ]


def _free_by_level(
    avail: Availability, levels: list[LevelView], areas: list[AreaRow]
) -> Counter[int | None]:
    """Free seats per price level id from the compact strings, plus free standing places."""
    by_char = Counter(
        level for state, level in zip(avail.states, avail.levels, strict=False) if state == "a"
    )
    id_of = {lv.code: lv.id for lv in levels}
    free: Counter[int | None] = Counter()
    for char, count in by_char.items():
        index = LEVEL_CHARS.find(char)
        if 0 <= index < len(avail.level_codes):
            free[id_of.get(avail.level_codes[index])] += count
    for area in areas:
        free[id_of.get(area.level_code) if area.level_code else None] += area.free
    return free


def _level_rows(
    levels: list[LevelView], free: Counter[int | None], sale: WebSale | None
) -> list[LevelRow]:
    left = sale.left(free) if sale is not None else {}
    return [
        LevelRow(
            lv.id,
            lv.code,
            lv.name,
            lv.color,
            lv.currency,
            dict(lv.prices),
            free[lv.id],
            left.get(lv.id, 0),
        )
        for lv in levels
    ]


def _ticket_types(levels: list[LevelView]) -> list[str]:
    seen: dict[str, None] = {}
    for lv in levels:
        seen.update(dict.fromkeys(lv.prices))
    return list(seen)


async def session_page(
    uow: UnitOfWork, rt: Runtime, session_id: int, *, now: datetime
) -> SessionPage:
    """Everything the session page shows, built once per change of the session's availability
    (and at most once per availability cache period) in each process, by one request while
    the others wait. Raises ``NotFound``."""
    avail = await cached_availability(
        uow, rt.caches, rt.settings.availability_cache_seconds, session_id, now
    )
    built: ShortCache[tuple[int, str], SessionPage] = cache_of(
        rt.caches, SESSION_PAGES, rt.settings.availability_cache_seconds, size=PAGES_KEPT
    )
    kept: ShortCache[Any, Alternatives] = cache_of(
        rt.caches,
        SOLD_OUT_ALTERNATIVES,
        KEPT_FOR * rt.settings.availability_cache_seconds,
        size=PAGES_KEPT,
    )
    return await built.get_or_load(
        uow, (session_id, avail.etag), lambda: _build_page(uow, session_id, avail, kept, now)
    )


async def _alternatives(
    uow: UnitOfWork,
    kept: ShortCache[Any, Alternatives],
    row: SessionRow,
    rows: list[LevelRow],
    sale: WebSale | None,
    status: PublicStatus,
    now: datetime,
) -> Alternatives:
    """For a sold-out session, the event's other sessions and its levels elsewhere; for
    one on sale, its levels the website sells and has sold out, elsewhere."""
    if status is PublicStatus.SOLD_OUT:
        names = [lv.name for lv in rows]
        return await alternatives(uow, kept, row, whole=True, level_names=names, now=now)
    if status is PublicStatus.ON_SALE and sale is not None:
        names = [lv.name for lv in rows if lv.left_here == 0 and lv.id in sale.quota_left]
        if names:
            return await alternatives(uow, kept, row, whole=False, level_names=names, now=now)
    return NONE


async def _build_page(
    uow: UnitOfWork,
    session_id: int,
    avail: Availability,
    kept: ShortCache[Any, Alternatives],
    now: datetime,
) -> SessionPage:
    row = await get_session_row(uow, session_id)
    if row is None:
        raise NotFound(f"session {session_id} does not exist")
    levels = await pricing.list_price_levels(uow, session_id)
    level_code = {lv.id: lv.code for lv in levels}
    areas = await _areas(uow, session_id, level_code)
    sale = (await web_sales(uow, [session_id], now)).get(session_id)
    rows = _level_rows(levels, _free_by_level(avail, levels, areas), sale)
    remaining = sum(lv.left_here for lv in rows)
    status = public_status(
        window_state=sale.state if sale else None,
        remaining=remaining,
        session_status=row.session.status.value,
        session_ends_at=row.session.ends_at,
        now=now,
    )
    return SessionPage(
        row=row,
        levels=rows,
        ticket_types=_ticket_types(levels),
        sections=await _sections(
            uow, session_id, level_code, {lv.id for lv in rows if lv.left_here > 0}, now
        ),
        areas=areas,
        sale=sale,
        status=status,
        remaining=remaining,
        seat_count=len(avail.states),
        etag=avail.etag,
        alternatives=await _alternatives(uow, kept, row, rows, sale, status, now),
    )

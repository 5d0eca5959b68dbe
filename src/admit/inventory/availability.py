"""The public seat plan, compactly: one character per seat, aggregated in SQL (never row by
row in Python), cached briefly per session and served with an ETag.

States: ``a`` available, ``h`` held, ``s`` sold, ``b`` blocked, ``r`` reserved. A hold whose
time has passed reads as available, a reservation whose date has passed too (lazy expiry); a
seat reserved for a client reads ``r`` for everyone here (the map is public and cached) — its
client's buyers see it free through ``client_reservations.holdable_reserved``."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from admit.catalog.models import GAArea, PriceLevel
from admit.core.uow import UnitOfWork
from admit.inventory.counts import live_reservation
from admit.inventory.models import SessionGA, SessionPlan, SessionSeat
from admit.inventory.plans import get_plan
from admit.inventory.rules import STATUS_CODE, SeatStatus

LEVEL_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
NO_LEVEL = "-"


@dataclass(frozen=True, slots=True)
class Availability:
    session_id: int
    version: int
    states: str
    levels: str
    level_codes: tuple[str, ...]
    ga: tuple[dict[str, Any], ...]
    etag: str

    @property
    def remaining(self) -> int:
        """Seats anyone may hold now plus free general-admission places."""
        return self.states.count("a") + sum(int(area["available"]) for area in self.ga)

    def counts(self) -> dict[str, int]:
        return {status.value: self.states.count(code) for status, code in STATUS_CODE.items()}

    def as_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "version": self.version,
            "seat_count": len(self.states),
            "states": self.states,
            "levels": self.levels,
            "level_codes": list(self.level_codes),
            "counts": self.counts(),
            "ga": list(self.ga),
        }


def _state_char(now: datetime) -> Any:
    held_live = and_(SessionSeat.status == SeatStatus.HELD, SessionSeat.hold_expires_at > now)
    return case(
        (SessionSeat.status == SeatStatus.SOLD, literal("s")),
        (SessionSeat.status == SeatStatus.BLOCKED, literal("b")),
        (held_live, literal("h")),
        (live_reservation(now), literal("r")),
        else_=literal("a"),
    )


def _level_char(level_ids: Sequence[int]) -> Any:
    if not level_ids:
        return literal(NO_LEVEL)
    return case(
        *(
            (SessionSeat.price_level_id == lid, literal(LEVEL_CHARS[i]))
            for i, lid in enumerate(level_ids)
        ),
        else_=literal(NO_LEVEL),
    )


def _aggregate(uow: UnitOfWork, expr: Any, session_id: int) -> Any:
    if uow.dialect == "postgresql":
        ordered_sep = aggregate_order_by(literal(""), SessionSeat.ordinal)
        return select(func.coalesce(func.string_agg(expr, ordered_sep), "")).where(
            SessionSeat.session_id == session_id
        )
    ordered = (
        select(cast(expr, String).label("c"))
        .where(SessionSeat.session_id == session_id)
        .order_by(SessionSeat.ordinal)
        .subquery()
    )
    return select(func.coalesce(func.group_concat(ordered.c.c, ""), ""))


async def load_availability(uow: UnitOfWork, session_id: int, *, now: datetime) -> Availability:
    plan: SessionPlan = await get_plan(uow, session_id)
    levels = (
        await uow.session.execute(
            select(PriceLevel.id, PriceLevel.code)
            .where(PriceLevel.session_id == session_id)
            .order_by(PriceLevel.sort, PriceLevel.id)
        )
    ).all()
    level_ids = [lid for lid, _ in levels][: len(LEVEL_CHARS)]
    states = await uow.session.scalar(_aggregate(uow, _state_char(now), session_id))
    level_str = await uow.session.scalar(_aggregate(uow, _level_char(level_ids), session_id))
    ga_rows = (
        await uow.session.execute(
            select(GAArea.code, GAArea.name, SessionGA.capacity, SessionGA.held, SessionGA.sold)
            .join(GAArea, GAArea.id == SessionGA.ga_area_id)
            .where(SessionGA.session_id == session_id)
            .order_by(GAArea.code)
        )
    ).all()
    ga = tuple(
        {"code": code, "name": name, "capacity": cap, "available": cap - held - sold}
        for code, name, cap, held, sold in ga_rows
    )
    codes = tuple(code for _, code in levels[: len(LEVEL_CHARS)])
    digest = hashlib.blake2b(
        f"{states}|{level_str}|{codes}|{ga}".encode(), digest_size=12
    ).hexdigest()
    return Availability(
        session_id=session_id,
        version=plan.version,
        states=states or "",
        levels=level_str or "",
        level_codes=codes,
        ga=ga,
        etag=f'"{digest}"',
    )


class AvailabilityCache:
    """Per-process cache: each session's plan is rebuilt at most once per ``ttl`` seconds, by
    one request; the others meanwhile get the plan it replaces (or, when there is none yet,
    wait for that one rebuild instead of each running it). A ``ttl`` of 0 reads every time."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[int, tuple[float, Availability]] = {}
        self._loading: dict[int, asyncio.Future[Availability]] = {}

    def get(self, session_id: int) -> Availability | None:
        entry = self._entries.get(session_id)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def _stale_while_rebuilt(self, session_id: int) -> Availability | None:
        """While one request rebuilds a plan, the others get the plan it replaces."""
        stale = self._entries.get(session_id)
        if session_id in self._loading and stale is not None and self.ttl > 0:
            return stale[1]
        return None

    async def get_or_load(
        self, uow: UnitOfWork, session_id: int, load: Callable[[], Awaitable[Availability]]
    ) -> Availability:
        """The plan, rebuilt by ``load()`` in ``uow`` when it is due. A caller that will wait
        or load takes its database connection first (see ``ShortCache.get_or_load``)."""
        found = self.get(session_id) or self._stale_while_rebuilt(session_id)
        if found is not None:
            return found
        await uow.session.connection()
        found = self.get(session_id) or self._stale_while_rebuilt(session_id)  # came meanwhile
        if found is not None:
            return found
        pending = self._loading.get(session_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Availability] = asyncio.get_running_loop().create_future()
        self._loading[session_id] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # waiters re-raise it; nobody else needs to retrieve it
            raise
        else:
            self._entries[session_id] = (time.monotonic(), value)
            future.set_result(value)
            return value
        finally:
            del self._loading[session_id]


async def cached_availability(
    uow: UnitOfWork, caches: dict[str, Any], ttl: float, session_id: int, now: datetime
) -> Availability:
    """The session's availability through the process's one ``AvailabilityCache`` (in
    ``caches``): the API's ``/availability``, the session page and the sale status agree."""
    cache = caches.get("availability")
    if not isinstance(cache, AvailabilityCache):
        cache = caches["availability"] = AvailabilityCache(ttl)
    return await cache.get_or_load(
        uow, session_id, lambda: load_availability(uow, session_id, now=now)
    )

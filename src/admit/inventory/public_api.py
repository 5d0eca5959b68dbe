"""Public read endpoints for sessions: search, details, the drawable map and availability."""

from __future__ import annotations

import gzip
import time
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from admit.catalog import pricing
from admit.catalog.layout import load_layout
from admit.catalog.models import EventCategory
from admit.catalog.queries import SessionFilter, SessionRow, get_session_row, search_sessions
from admit.catalog.schemas import EventOut, PriceLevelOut, SessionOut, VenueOut
from admit.catalog.seatmaps import get_seatmap
from admit.core.errors import InvalidInput, NotFound
from admit.core.runtime import Runtime
from admit.core.short_cache import ShortCache, cache_of
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PublicReader, RuntimeDep
from admit.inventory import counts
from admit.inventory.availability import Availability, cached_availability
from admit.inventory.schemas import SessionDetail, SessionSummary

router = APIRouter(tags=["public: sessions"])
API_SEARCHES = "api_searches"
SEARCHES_KEPT = 2_000  # distinct searches a process keeps


def _summary(row: SessionRow, left: int, price: tuple[int, str] | None) -> dict[str, object]:
    return {
        "session": SessionOut.model_validate(row.session),
        "event": EventOut.model_validate(row.event),
        "venue": VenueOut.model_validate(row.venue),
        "remaining": left,
        "lowest_price": price[0] if price else None,
        "currency": price[1] if price else None,
    }


async def session_filter(
    q: Annotated[str, Query(max_length=200, description="words, typos tolerated")] = "",
    category: EventCategory | None = None,
    starts_from: Annotated[datetime | None, Query(alias="from")] = None,
    starts_to: Annotated[datetime | None, Query(alias="to")] = None,
    venue_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100000)] = 0,
) -> SessionFilter:
    for value in (starts_from, starts_to):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("from/to need a UTC offset, e.g. 2026-12-01T00:00:00Z")
    return SessionFilter(
        q=q,
        category=category,
        starts_from=starts_from,
        starts_to=starts_to,
        venue_id=venue_id,
        limit=limit,
        offset=offset,
    )


Filter = Annotated[SessionFilter, Depends(session_filter)]


async def find_summaries(
    uow: UnitOfWork, rt: Runtime, f: SessionFilter, now: datetime
) -> list[SessionSummary]:
    """The sessions found, kept per process and search for ``ADMIT_AVAILABILITY_CACHE_SECONDS``
    (their counts as fresh as the seat maps'), found by one request while the others wait."""
    cache: ShortCache[SessionFilter, list[SessionSummary]] = cache_of(
        rt.caches, API_SEARCHES, rt.settings.availability_cache_seconds, size=SEARCHES_KEPT
    )
    return await cache.get_or_load(uow, f, lambda: _find(uow, f, now))


async def _find(uow: UnitOfWork, f: SessionFilter, now: datetime) -> list[SessionSummary]:
    rows = await search_sessions(uow, f)
    ids = [r.session.id for r in rows]
    left = await counts.remaining(uow, ids, now=now)
    prices = await counts.lowest_prices(uow, ids)
    return [
        SessionSummary.model_validate(_summary(r, left[r.session.id], prices.get(r.session.id)))
        for r in rows
    ]


@router.get("/sessions")
async def search(uow: PublicReader, rt: RuntimeDep, now: Now, f: Filter) -> list[SessionSummary]:
    """Find sessions by text, category, start date range and venue (FE1–FE3)."""
    return await find_summaries(uow, rt, f, now)


@router.get("/sessions/{session_id}", response_model=SessionDetail)
async def session_detail(
    session_id: int, request: Request, uow: PublicReader, rt: RuntimeDep, now: Now
) -> Response:
    """A session with its event, venue, price levels and live counts. The body is built once
    per change of availability (and at most once per cache period), then served as bytes."""
    avail = await cached_availability(
        uow, rt.caches, rt.settings.availability_cache_seconds, session_id, now
    )
    bodies = _bodies(rt, "session_detail")
    found = bodies.get(session_id)
    if found is None or found[0] != avail.etag or _stale(rt, found[1]):
        detail = await _build_detail(uow, session_id, avail)
        found = (avail.etag, time.monotonic(), *_encoded(detail.model_dump(mode="json")))
        bodies[session_id] = found
    return _json(request, found[2], found[3], {"Cache-Control": _CACHE_CONTROL})


async def _build_detail(uow: UnitOfWork, session_id: int, avail: Availability) -> SessionDetail:
    row = await get_session_row(uow, session_id)
    if row is None:
        raise NotFound(f"session {session_id} does not exist")
    levels = await pricing.list_price_levels(uow, session_id)
    cheapest = min(((a, lv.currency) for lv in levels for a in lv.prices.values()), default=None)
    return SessionDetail.model_validate(
        {
            **_summary(row, avail.remaining, cheapest),
            "price_levels": [PriceLevelOut.model_validate(lv) for lv in levels],
            "counts": avail.counts(),
            "ga": list(avail.ga),
        }
    )


def _bodies(rt: Runtime, name: str) -> dict[int, Any]:
    found: dict[int, Any] | None = rt.caches.get(name)
    if found is None:
        found = rt.caches[name] = {}
    return found


def _stale(rt: Runtime, built: float) -> bool:
    return time.monotonic() - built > rt.settings.availability_cache_seconds


def _encoded(data: Any) -> tuple[bytes, bytes]:
    body = orjson.dumps(data)
    return body, gzip.compress(body, compresslevel=5, mtime=0)


def _json(request: Request, body: bytes, zipped: bytes, headers: dict[str, str]) -> Response:
    """Ready-made JSON bytes, compressed once when the body was built, not per request."""
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:
        headers = {**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(zipped, media_type="application/json", headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _not_modified(request: Request, etag: str) -> bool:
    return etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}


_CACHE_CONTROL = "public, max-age=0, must-revalidate"


@router.get("/sessions/{session_id}/seatmap")
async def seat_layout(
    session_id: int, request: Request, uow: PublicReader, rt: RuntimeDep
) -> Response:
    """The session's map geometry in columns, cached per map version, with an ETag. Which map
    version a session has is remembered for the availability's cache period, so a
    revalidation (304) does not touch the database."""
    versions = _bodies(rt, "layout_version")
    known = versions.get(session_id)
    if known is None or _stale(rt, known[1]):
        row = await get_session_row(uow, session_id)
        if row is None:
            raise NotFound(f"session {session_id} does not exist")
        seat_map = await get_seatmap(uow, row.session.seat_map_id)
        known = versions[session_id] = ((seat_map.id, seat_map.version), time.monotonic())
    map_id, version = known[0]
    etag = f'"map-{map_id}-{version}"'
    headers = {"ETag": etag, "Cache-Control": _CACHE_CONTROL}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    key = str(("layout", map_id, version))
    encoded: tuple[bytes, bytes] | None = rt.caches.get(key)
    if encoded is None:
        encoded = rt.caches[key] = _encoded(await load_layout(uow, map_id))
    return _json(request, encoded[0], encoded[1], headers)


@router.get("/sessions/{session_id}/availability")
async def availability(
    session_id: int, request: Request, uow: PublicReader, rt: RuntimeDep, now: Now
) -> Response:
    """Every seat's state as one character in map order (``states``) and its price level
    (``levels``, an index into ``level_codes``), plus GA places left. ETag; 304 when unchanged."""
    avail = await cached_availability(
        uow, rt.caches, rt.settings.availability_cache_seconds, session_id, now
    )
    headers = {"ETag": avail.etag, "Cache-Control": _CACHE_CONTROL}
    if _not_modified(request, avail.etag):
        return Response(status_code=304, headers=headers)
    bodies = _bodies(rt, "availability_body")
    found = bodies.get(session_id)
    if found is None or found[0] != avail.etag:
        found = bodies[session_id] = (avail.etag, *_encoded(avail.as_json()))
    return _json(request, found[1], found[2], headers)

"""The home page: announcements, recommended sessions in the operators' order, categories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from admit.catalog.queries import SessionFilter, categories_with_sessions, search_sessions
from admit.content.announcements import showing_announcements
from admit.content.recommendations import recommended_session_ids
from admit.core.runtime import Runtime
from admit.core.short_cache import ShortCache, cache_of
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PublicReader, RuntimeDep
from admit.web.categories import CATEGORY_LABELS
from admit.web.errors import PageRoute
from admit.web.listings import session_cards, session_rows
from admit.web.rendering import render_kept

router = APIRouter(route_class=PageRoute, include_in_schema=False)
UPCOMING = 6
HOME_PAGE = "home_page"


@dataclass(frozen=True, slots=True)
class Listing:
    """The home page's content, and its HTML rendered from it per header (signed in or not)."""

    context: dict[str, Any]
    rendered: dict[bool, bytes] = field(default_factory=dict, compare=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, uow: PublicReader, rt: RuntimeDep, now: Now) -> HTMLResponse:
    listing = await _listing(uow, rt, now)
    return await render_kept(request, listing.rendered, "browse/home.html", lambda: listing.context)


async def _listing(uow: UnitOfWork, rt: Runtime, now: datetime) -> Listing:
    """What the home page lists, the same for every visitor: built at most once per
    ``ADMIT_AVAILABILITY_CACHE_SECONDS`` in each process (the cards' remaining counts are as
    fresh as the seat maps', and rebuilt by one request while the others wait), so a busy home
    page sends no statement."""
    cache: ShortCache[str, Listing] = cache_of(
        rt.caches, HOME_PAGE, rt.settings.availability_cache_seconds
    )
    return await cache.get_or_load(uow, HOME_PAGE, lambda: _build_listing(uow, now))


async def _build_listing(uow: UnitOfWork, now: datetime) -> Listing:
    picks = await recommended_session_ids(uow, now=now)
    recommended = await session_cards(
        uow, await session_rows(uow, [sid for sid, _ in picks]), now=now, notes=dict(picks)
    )
    upcoming = await session_cards(
        uow, await search_sessions(uow, SessionFilter(starts_from=now, limit=UPCOMING)), now=now
    )
    showing = await categories_with_sessions(uow, now=now)
    return Listing(
        {
            "announcements": await showing_announcements(uow, now=now),
            "recommended": recommended,
            "upcoming": upcoming,
            # Only categories with something to see: a link never leads to "Nothing found".
            "categories": {code: name for code, name in CATEGORY_LABELS.items() if code in showing},
        }
    )

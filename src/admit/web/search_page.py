"""The search page: typo-tolerant text over events, venues and disciplines, filtered by
category, day and venue; every result with what is left and the lowest price."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from admit.catalog.models import EventCategory
from admit.catalog.queries import SessionFilter, search_sessions
from admit.catalog.venues import list_venues
from admit.core.local_time import VENUE_TIMEZONE
from admit.core.runtime import Runtime
from admit.core.short_cache import ShortCache, cache_of
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PublicReader, RuntimeDep
from admit.web.categories import CATEGORY_LABELS
from admit.web.errors import PageRoute
from admit.web.listings import SessionCard, session_cards
from admit.web.params import optional_date, optional_int
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PER_PAGE = 20
MAX_PAGE = 100
MAX_QUERY = 200
SEARCH_PAGES = "search_pages"
SEARCHES_KEPT = 2_000  # distinct searches a process keeps (each at most PER_PAGE cards)


@dataclass
class SearchForm:
    """The search parameters as understood, and what was ignored (shown as a note)."""

    q: str = ""
    category: str = ""
    day: date | None = None
    venue_id: int | None = None
    page: int = 1
    ignored: list[str] = field(default_factory=list)

    def link(self, **changes: object) -> str:
        values: dict[str, object] = {
            "q": self.q,
            "category": self.category,
            "date": self.day.isoformat() if self.day else "",
            "venue": self.venue_id or "",
            "page": self.page,
            **changes,
        }
        kept = {k: v for k, v in values.items() if v not in ("", None, 1) or k == "q"}
        return "/search?" + urlencode(kept)


def read_form(params: dict[str, str]) -> SearchForm:
    printable = "".join(ch for ch in params.get("q", "") if ch.isprintable() or ch.isspace())
    form = SearchForm(q=" ".join(printable.split())[:MAX_QUERY])
    category = params.get("category", "")
    if category in CATEGORY_LABELS:
        form.category = category
    elif category:
        form.ignored.append("category")
    form.day = optional_date(params.get("date"))
    if params.get("date") and form.day is None:
        form.ignored.append("date")
    form.venue_id = optional_int(params.get("venue"))
    if params.get("venue") and form.venue_id is None:
        form.ignored.append("venue")
    form.page = optional_int(params.get("page"), high=MAX_PAGE) or 1
    return form


def _day_range(day: date | None, now: datetime) -> tuple[datetime, datetime | None]:
    """From now (or the day's start, if later) to the day's end, in the site's zone."""
    if day is None:
        return now, None
    start = datetime.combine(day, time(0), tzinfo=VENUE_TIMEZONE)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=VENUE_TIMEZONE)
    return max(start, now), end


@dataclass(frozen=True, slots=True)
class Results:
    """What a search page shows besides the form: the same for every visitor."""

    cards: list[SessionCard]
    has_next: bool
    venues: list[tuple[int, str]]  # the venue filter's choices


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, uow: PublicReader, rt: RuntimeDep, now: Now) -> HTMLResponse:
    form = read_form(dict(request.query_params))
    found = await _results(uow, rt, form, now)
    return await render(
        request,
        "browse/search.html",
        {
            "title": f"Search: {form.q}" if form.q else "Find events",
            "form": form,
            "results": found.cards,
            "has_next": found.has_next,
            "venues": found.venues,
            "categories": CATEGORY_LABELS,
        },
    )


async def _results(uow: UnitOfWork, rt: Runtime, form: SearchForm, now: datetime) -> Results:
    """The search's results, kept per process for ``ADMIT_AVAILABILITY_CACHE_SECONDS`` like
    the home page's cards (a popular search during an on-sale runs once per period, by one
    request while the others wait)."""
    cache: ShortCache[tuple[object, ...], Results] = cache_of(
        rt.caches, SEARCH_PAGES, rt.settings.availability_cache_seconds, size=SEARCHES_KEPT
    )
    key = (form.q, form.category, form.day, form.venue_id, form.page)
    return await cache.get_or_load(uow, key, lambda: _search(uow, form, now))


async def _search(uow: UnitOfWork, form: SearchForm, now: datetime) -> Results:
    starts_from, starts_to = _day_range(form.day, now)
    rows = await search_sessions(
        uow,
        SessionFilter(
            q=form.q,
            category=EventCategory(form.category) if form.category else None,
            starts_from=starts_from,
            starts_to=starts_to,
            venue_id=form.venue_id,
            limit=PER_PAGE + 1,
            offset=(form.page - 1) * PER_PAGE,
        ),
    )
    return Results(
        cards=await session_cards(uow, rows[:PER_PAGE], now=now),
        has_next=len(rows) > PER_PAGE,
        venues=[(v.id, v.name) for v in await list_venues(uow)],
    )

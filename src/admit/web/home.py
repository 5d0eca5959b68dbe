"""The home page: announcements, recommended sessions in the operators' order, categories."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from admit.catalog.queries import SessionFilter, search_sessions
from admit.content.announcements import showing_announcements
from admit.content.recommendations import recommended_session_ids
from admit.http.deps import Now, PublicReader
from admit.web.categories import CATEGORY_LABELS
from admit.web.errors import PageRoute
from admit.web.listings import session_cards, session_rows
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
UPCOMING = 6


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, uow: PublicReader, now: Now) -> HTMLResponse:
    notices = await showing_announcements(uow, now=now)
    picks = await recommended_session_ids(uow, now=now)
    notes = dict(picks)
    recommended = await session_cards(
        uow, await session_rows(uow, [sid for sid, _ in picks]), now=now, notes=notes
    )
    upcoming = await session_cards(
        uow, await search_sessions(uow, SessionFilter(starts_from=now, limit=UPCOMING)), now=now
    )
    return await render(
        request,
        "browse/home.html",
        {
            "announcements": notices,
            "recommended": recommended,
            "upcoming": upcoming,
            "categories": CATEGORY_LABELS,
        },
    )

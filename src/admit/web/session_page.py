"""The event page and the session page (details, prices, sale status, the seat map and the
forms that hand seats over to checkout)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from admit.catalog.events import get_event
from admit.http.deps import Now, PublicReader, RuntimeDep
from admit.sales.pass_listing import passes_on_sale
from admit.web.categories import category_label
from admit.web.errors import PageRoute
from admit.web.listings import event_session_rows, session_cards
from admit.web.params import PageId, optional_int
from admit.web.queue import needs_queue
from admit.web.rendering import money, render, render_kept
from admit.web.sale_status import PublicStatus
from admit.web.session_view import LevelRow, SessionPage, session_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ON_SALE = PublicStatus.ON_SALE
SEAT_KEY = re.compile(r"^[^\s,<>\"'&]{1,60}$")
MAX_SEATS = 100
DEFAULT_LIMIT = 6


@router.get("/events/{event_id}", response_class=HTMLResponse)
async def event_page(
    event_id: PageId, request: Request, uow: PublicReader, now: Now
) -> HTMLResponse:
    event = await get_event(uow, event_id)
    cards = await session_cards(uow, await event_session_rows(uow, event_id, now=now), now=now)
    passes = await passes_on_sale(uow, now=now, event_id=event_id)
    return await render(
        request,
        "browse/event.html",
        {
            "title": event.name,
            "event": event,
            "category": category_label(event.category.value),
            "sessions": cards,
            "passes": passes,
        },
    )


def preselected_seats(text: str | None, limit: int) -> list[str]:
    """Seat keys from ``?seats=K1,K2`` (after signing in), well-formed ones only, no repeats."""
    if not text:
        return []
    keys = [k for k in dict.fromkeys(text.split(",")) if SEAT_KEY.match(k)]
    return keys[: min(limit, MAX_SEATS)]


def _first_price(level: LevelRow, ticket_types: list[str]) -> tuple[str, int] | None:
    """The level's price of the first ticket type it has (the map's labels and total)."""
    for ticket_type in ticket_types:
        if ticket_type in level.prices:
            return ticket_type, level.prices[ticket_type]
    return None


def _price_words(level: LevelRow, ticket_types: list[str]) -> str:
    """``adult 480.00 CNY``, or "" for a level without prices."""
    first = _first_price(level, ticket_types)
    return f"{first[0]} {money(first[1], level.currency)}" if first else ""


def _field(venue_use: str) -> tuple[str, str]:
    """What the seats face, by the venue's use: (drawn above a whole map, drawn in the middle
    of a stadium's sections)."""
    use = venue_use.lower()
    if "cinema" in use:
        return "SCREEN", ""
    if any(word in use for word in ("football", "athletics", "rugby", "stadium", "sport")):
        return "", "PITCH"
    return "", ""


def _map_config(page: SessionPage, limit: int, seats: list[str]) -> dict[str, Any]:
    """What ``seatmap.js`` needs besides the map and availability it fetches."""
    stage, pitch = _field(page.row.venue.use)
    return {
        "session": page.row.session.id,
        "channel": "web",
        "limit": limit,
        "selected": seats,
        "stage": stage,
        "pitch": pitch,
        "levels": {
            lv.code: {
                "name": lv.name,
                "color": lv.color,
                "price": _price_words(lv, page.ticket_types),
                "amount": (_first_price(lv, page.ticket_types) or ("", 0))[1],  # the total's
                "currency": lv.currency,
                "left": lv.left_here,  # what the website may still sell at the level
            }
            for lv in page.levels
        },
    }


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
async def session_view(
    session_id: PageId, request: Request, uow: PublicReader, rt: RuntimeDep, now: Now
) -> Response:
    """Rendered once per version of the page's data (availability change, cache period) and
    header, then served as bytes; a request with parameters (seats or a level to preselect,
    a message) is rendered for itself."""
    if await needs_queue(request, rt, session_id):
        # An on-sale behind a waiting room: the seats only after the visitor's turn.
        return RedirectResponse(f"/queue/{session_id}", status_code=303)
    page = await session_page(uow, rt, session_id, now=now)
    return await render_kept(
        request, page.rendered, "browse/session.html", lambda: _context(request, page)
    )


def _resumed_form(
    params: Mapping[str, str], seats: list[str], level: str, page: SessionPage
) -> str:
    """Which form to send at once (``?go=1``, back from signing in mid-purchase): the seats
    chosen, best available at a level, or a standing area — so the buyer goes straight on to
    the hold and checkout (``resume.js``; without JavaScript the choice waits, preselected)."""
    if params.get("go") != "1":
        return ""
    if seats:
        return "seats"
    if level and any(lv.code == level for lv in page.levels):
        return "best"
    area = params.get("area", "")
    return f"area:{area}" if any(a.code == area for a in page.areas) else ""


def _area_left(page: SessionPage) -> dict[str, int]:
    """The places of each standing area the website may still sell: no more than its
    level's share."""
    left = {lv.code: lv.left_here for lv in page.levels}
    return {a.code: min(a.free, left.get(a.level_code or "", 0)) for a in page.areas}


def _context(request: Request, page: SessionPage) -> dict[str, Any]:
    limit = page.sale.per_person_limit if page.sale else DEFAULT_LIMIT
    params = request.query_params
    seats = preselected_seats(params.get("seats"), limit)
    level = params.get("level", "")
    return {
        "title": page.row.event.name,
        "page": page,
        "resume": _resumed_form(params, seats, level, page) if page.status is ON_SALE else "",
        "session": page.row.session,
        "event": page.row.event,
        "venue": page.row.venue,
        "category": category_label(page.row.event.category.value),
        "on_sale": page.status is ON_SALE,
        "limit": limit,
        "preselected": seats,
        "chosen_level": level if any(lv.code == level for lv in page.levels) else "",
        "chosen_area": params.get("area", ""),
        "chosen_quantity": optional_int(params.get("quantity"), high=limit) or 2,
        "map_config": _map_config(page, limit, seats),
        "has_seats": page.seat_count > 0,
        "sold_levels": {lv.code for lv in page.levels if lv.left_here > 0},
        "area_left": _area_left(page),
    }

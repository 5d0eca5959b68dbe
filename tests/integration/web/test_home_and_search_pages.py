"""The storefront's home and search pages through the ASGI client, on SQLite and PostgreSQL: home
content and its order, the coming-up fallback, search by typo and by every filter, filters it
cannot read, paging."""

from __future__ import annotations

import re

import httpx
import pytest

from admit.core.clock import FixedClock
from tests.conftest import T0
from tests.integration.catalog.catalog_factories import make_venue, ok
from tests.integration.sales.sale_factories import on_sale
from tests.integration.web.browse_pages import (
    ADMIN,
    HTML,
    second_session,
    session_links,
    session_links_in_results,
    text_of,
)


async def test_home_shows_live_announcements_recommendations_in_order_and_categories(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    other = await second_session(admin, sid)
    for title, published in (("Cup final on sale", True), ("Draft notice", False)):
        ok(
            await admin.post(
                f"{ADMIN}/announcements",
                json={
                    "title": title,
                    "body": "Friday at noon.",
                    "link_url": "/search?q=final",
                    "starts_at": T0.isoformat(),
                    "published": published,
                },
            ),
            201,
        )
    picks = {"sessions": [{"session_id": other, "note": "Last seats!"}, {"session_id": sid}]}
    ok(await admin.put(f"{ADMIN}/recommendations", json=picks))

    page = await admin.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == HTML
    words = text_of(page)
    assert "Cup final on sale Friday at noon." in words
    assert "Draft notice" not in words
    assert '<a href="/search?q=final">Cup final on sale</a>' in page.text
    assert session_links(page, "rec-h") == [other, sid]
    assert "Last seats!" in words
    # Only the categories with sessions to come: a link never leads to "Nothing found".
    assert re.findall(r'href="/search\?category=(\w+)"', page.text) == ["cinema"]

    ok(await admin.put(f"{ADMIN}/recommendations", json={"sessions": [{"session_id": sid}]}))
    assert session_links(await admin.get("/"), "rec-h") == [sid]


async def test_home_without_content_lists_what_is_coming_up(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    page = await admin.get("/")
    assert page.status_code == 200
    assert 'aria-labelledby="rec-h"' not in page.text
    assert 'class="announcements"' not in page.text
    assert session_links(page, "up-h") == [sid]
    assert "Night Film" in text_of(page)


# --- search ------------------------------------------------------------------------------


async def test_search_tolerates_typos_and_shows_what_is_left_and_the_lowest_price(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    for q in ("night film", "Nigth", "grand cinema", "film"):
        page = await admin.get("/search", params={"q": q})
        assert page.status_code == 200
        assert session_links_in_results(page) == [sid], q
    words = text_of(await admin.get("/search", params={"q": "night"}))
    assert "Night Film" in words
    assert "On sale 20 left from 50.00 CNY" in words
    empty = await admin.get("/search", params={"q": "opera"})
    assert session_links_in_results(empty) == []
    assert "Nothing found." in text_of(empty)


async def test_search_filters_by_category_day_and_venue(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    venue = ok(await admin.get(f"/api/v1/sessions/{sid}"))["venue"]["id"]
    other_venue = await make_venue(admin, code="ARENA", name="Arena")
    # The session starts 2026-12-01 19:30 UTC: 2 December 03:30 in the site's zone.
    found = {
        "category=cinema": [sid],
        "category=sport": [],
        "date=2026-12-02": [sid],
        "date=2026-12-01": [],
        f"venue={venue}": [sid],
        f"venue={other_venue}": [],
        f"q=film&category=cinema&date=2026-12-02&venue={venue}": [sid],
    }
    for query, expected in found.items():
        page = await admin.get(f"/search?{query}")
        assert page.status_code == 200
        assert session_links_in_results(page) == expected, query
    page = await admin.get("/search?category=cinema&date=2026-12-02")
    assert '<option value="cinema" selected>' in page.text
    assert 'value="2026-12-02"' in page.text


async def test_search_ignores_filters_it_cannot_read_and_says_so(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    page = await admin.get("/search?category=opera&date=31-12-2026&venue=abc&page=-3")
    assert page.status_code == 200
    assert session_links_in_results(page) == [sid]
    assert (
        "We did not understand the category, date, venue you gave, so we left them out."
        in text_of(page)
    )


async def test_search_pages_through_results(
    admin: httpx.AsyncClient, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = await on_sale(admin, clock)
    other = await second_session(admin, sid)
    monkeypatch.setattr("admit.web.search_page.PER_PAGE", 1)
    first = await admin.get("/search?q=film")
    assert session_links_in_results(first) == [other]  # soonest first: 25 Nov, then 1 Dec
    assert 'href="/search?q=film&amp;page=2">Next</a>' in first.text
    second = await admin.get("/search?q=film&page=2")
    assert session_links_in_results(second) == [sid]
    assert "Next</a>" not in second.text
    assert 'href="/search?q=film">Previous</a>' in second.text

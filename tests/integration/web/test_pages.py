"""Storefront Browse pages through the ASGI client, on SQLite and PostgreSQL: home, search,
event and session pages (prices, sale status, remaining tickets, the seat-map hand-off
form), flash messages and friendly error pages."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from admit.core.clock import FixedClock
from admit.core.errors import AdmitError
from admit.core.runtime import Runtime
from admit.inventory.claims import SoldOut
from admit.sales.orders import HoldExpired
from admit.sales.windows import NotOnSale
from admit.web.errors import PageRoute
from tests.conftest import T0
from tests.integration.catalog.catalog_factories import (
    make_venue,
    ok,
    schedule_session,
)
from tests.integration.sales.sale_factories import customers_with_tokens, on_sale

ADMIN = "/api/v1/admin"
HTML = "text/html; charset=utf-8"


def text_of(page: httpx.Response) -> str:
    """The page's visible words, one space apart (tags dropped, entities decoded)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def session_links(page: httpx.Response, section_id: str) -> list[int]:
    """Session ids linked from one ``<section aria-labelledby=...>`` of the page, in order."""
    match = re.search(rf'<section aria-labelledby="{section_id}">(.*?)</section>', page.text, re.S)
    assert match, f"no section {section_id}"
    return [int(n) for n in re.findall(r'href="/sessions/(\d+)"', match.group(1))]


def map_config(page: httpx.Response) -> dict[str, object]:
    match = re.search(r'data-config="([^"]*)"', page.text)
    assert match
    config: dict[str, object] = json.loads(html.unescape(match.group(1)))
    return config


async def second_session(admin: httpx.AsyncClient, sid: int) -> int:
    detail = ok(await admin.get(f"/api/v1/sessions/{sid}"))
    return await schedule_session(
        admin,
        event_id=detail["event"]["id"],
        venue_id=detail["venue"]["id"],
        seat_map_id=detail["session"]["seat_map_id"],
        code="S2",
        starts_at=T0 + timedelta(days=3),
    )


# --- home --------------------------------------------------------------------------------


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
    for code in ("sport", "show", "cinema", "attraction"):
        assert f'href="/search?category={code}"' in page.text

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


def session_links_in_results(page: httpx.Response) -> list[int]:
    match = re.search(r'<ul class="cards results">(.*?)</ul>', page.text, re.S)
    return [int(n) for n in re.findall(r'href="/sessions/(\d+)"', match.group(1))] if match else []


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


# --- event and session pages --------------------------------------------------------------


async def test_event_page_lists_its_sessions_to_come(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    event_id = ok(await admin.get(f"/api/v1/sessions/{sid}"))["event"]["id"]
    other = await second_session(admin, sid)
    page = await admin.get(f"/events/{event_id}")
    assert page.status_code == 200
    assert "<h1>Night Film</h1>" in page.text
    assert re.findall(r'href="/sessions/(\d+)"', page.text) == [str(other), str(sid)]
    words = text_of(page)
    assert "On sale 20 left from 50.00 CNY" in words
    assert "Not sold online" in words  # the second session has no website window


async def test_session_page_shows_prices_status_remaining_and_the_checkout_forms(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, limit=4)
    page = await admin.get(f"/sessions/{sid}")
    assert page.status_code == 200
    words = text_of(page)
    assert "Night Film" in words
    assert "Grand Cinema" in words
    assert "Wed 02 Dec 2026, 03:30" in words
    assert "On sale 20 tickets left · up to 4 per person" in words
    assert "Level Adult Left Front (A) 80.00 CNY 10 Back (B) 50.00 CNY 10" in words
    assert page.text.count('action="/checkout/hold"') == 2  # the map's form and best available
    assert f'<input type="hidden" name="session_id" value="{sid}">' in page.text
    assert '<option value="A" >Front · from 80.00 CNY</option>' in page.text
    assert [int(n) for n in re.findall(r'<option value="(\d+)"', page.text)] == [1, 2, 3, 4]
    assert map_config(page) == {
        "session": sid,
        "limit": 4,
        "selected": [],
        "stage": "",
        "levels": {
            "A": {"name": "Front", "color": "#3b82f6", "price": "adult 80.00 CNY"},
            "B": {"name": "Back", "color": "#3b82f6", "price": "adult 50.00 CNY"},
        },
    }
    assert "Hall Stalls A, B 20 of 20" in words  # the text alternative: seats by section
    assert re.search(r'<script src="/static/seatmap.js\?v=[0-9a-f]{10}" defer>', page.text)


async def test_session_page_shows_what_the_website_may_still_sell(
    admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock, quota_a=3)
    (buyer,) = await customers_with_tokens(runtime, 1)
    held = await admin.post(
        f"/api/v1/sessions/{sid}/holds",
        json={"seats": ["L1-HALL-C-1", "L1-HALL-C-2"]},
        headers=buyer,
    )
    assert held.status_code == 201, held.text
    words = text_of(await admin.get(f"/sessions/{sid}"))
    assert "On sale 11 tickets left" in words  # A: quota 3 of 10 free; B: 8 of 10 free
    assert "Front (A) 80.00 CNY 3 Back (B) 50.00 CNY 8" in words
    assert "Hall Stalls A, B 18 of 20" in words


async def test_sale_status_not_yet_sold_out_and_ended(
    admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid = await on_sale(admin, clock, quota_a=2)
    clock.advance(timedelta(hours=-2))  # back to T0: the website's window opens at T0 + 1 h
    page = await admin.get(f"/sessions/{sid}")
    words = text_of(page)
    assert "Not on sale yet" in words
    assert "Tickets go on sale on Sun 22 Nov 2026, 17:00 ." in words
    assert 'action="/checkout/hold"' not in page.text
    assert "seatmap.js" not in page.text

    clock.advance(timedelta(hours=2))
    buyers = await customers_with_tokens(runtime, 3)
    for buyer, seats in zip(
        buyers,
        (
            ["L1-HALL-A-1", "L1-HALL-A-2"],
            ["L1-HALL-C-1", "L1-HALL-C-2", "L1-HALL-C-3", "L1-HALL-C-4"],
            ["L1-HALL-C-5", "L1-HALL-D-1", "L1-HALL-D-2", "L1-HALL-D-3"],
        ),
        strict=True,
    ):
        r = await admin.post(f"/api/v1/sessions/{sid}/holds", json={"seats": seats}, headers=buyer)
        assert r.status_code == 201, r.text
    more = await customers_with_tokens(runtime, 1, first=3)
    r = await admin.post(
        f"/api/v1/sessions/{sid}/holds",
        json={"seats": ["L1-HALL-D-4", "L1-HALL-D-5"]},
        headers=more[0],
    )
    assert r.status_code == 201, r.text
    page = await admin.get(f"/sessions/{sid}")
    words = text_of(page)
    assert "Sold out" in words
    assert "Every ticket for this session has been sold." in words
    assert 'action="/checkout/hold"' not in page.text

    clock.advance(timedelta(days=6))  # past the window's end (T0 + 5 days)
    words = text_of(await admin.get(f"/sessions/{sid}"))
    assert "Sale ended" in words
    assert "Tickets for this session are no longer sold." in words


async def test_session_page_preselects_seats_given_after_signing_in(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, limit=2)
    page = await admin.get(
        f"/sessions/{sid}",
        params={"seats": "L1-HALL-A-1,L1-HALL-A-1,bad<key>,L1-HALL-A-2,L1-HALL-A-3"},
    )
    assert page.status_code == 200
    assert re.findall(r'<input type="hidden" name="seat" value="([^"]+)">', page.text) == [
        "L1-HALL-A-1",
        "L1-HALL-A-2",
    ]
    assert map_config(page)["selected"] == ["L1-HALL-A-1", "L1-HALL-A-2"]
    best = await admin.get(f"/sessions/{sid}", params={"level": "B", "quantity": "2"})
    assert '<option value="B" selected>' in best.text
    assert '<option value="2" selected>2</option>' in best.text


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("seats_taken", "Sorry, some of those seats were just taken. Please pick others."),
        ("limit_exceeded", "That is more tickets than one person may buy for this session."),
        ("not_on_sale", "Tickets for this session are not on sale right now."),
        ("hold_expired", "Your seats were held for a limited time and that time ran out."),
        ("payment_declined", "Your payment was declined and the seats were released."),
    ],
)
async def test_a_refused_choice_comes_back_with_a_friendly_message(
    admin: httpx.AsyncClient, clock: FixedClock, code: str, text: str
) -> None:
    sid = await on_sale(admin, clock)
    page = await admin.get(f"/sessions/{sid}", params={"msg": code})
    assert page.status_code == 200
    assert text in text_of(page)
    assert 'class="flash flash-error" role="alert"' in page.text


async def test_unknown_message_codes_show_nothing_and_are_never_echoed(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    page = await admin.get(f"/sessions/{sid}", params={"msg": "<script>alert(1)</script>"})
    assert page.status_code == 200
    assert 'class="flash' not in page.text
    assert "alert(1)" not in page.text


# --- errors ------------------------------------------------------------------------------


async def test_missing_and_malformed_pages_are_friendly_4xx_pages(
    client: httpx.AsyncClient,
) -> None:
    for path, status, title in (
        ("/sessions/999999", 404, "Page not found"),
        ("/events/999999", 404, "Page not found"),
        ("/sessions/abc", 400, "Something is not right"),
        ("/sessions/99999999999999999999999", 400, "Something is not right"),
        ("/sessions/0", 400, "Something is not right"),
        ("/no/such/page", 404, "Page not found"),
    ):
        page = await client.get(path)
        assert page.status_code == status, path
        assert page.headers["content-type"] == HTML
        assert f"<h1>{title}</h1>" in page.text
        assert "Traceback" not in page.text
    api = await client.get("/api/v1/sessions/999999")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


@pytest.fixture
def failing_pages(app: FastAPI) -> FastAPI:
    """Page routes that fail the ways a page can."""
    router = APIRouter(route_class=PageRoute)

    async def sold_out() -> None:
        raise SoldOut("no places left in FLOOR")

    async def expired() -> None:
        raise HoldExpired("hold 7 expired at 08:15")

    async def not_on_sale() -> None:
        raise NotOnSale("session 3 is not on sale through web (not_yet)")

    async def broken() -> None:
        raise RuntimeError("secret internals /srv/admit/db.py line 12")

    async def odd() -> None:
        raise AdmitError("odd")

    for path, endpoint in (
        ("/t/sold-out", sold_out),
        ("/t/expired", expired),
        ("/t/not-on-sale", not_on_sale),
        ("/t/broken", broken),
        ("/t/odd", odd),
    ):
        router.add_api_route(path, endpoint)
    app.include_router(router)
    return app


async def test_domain_errors_on_pages_are_friendly_pages_without_internals(
    failing_pages: FastAPI, client: httpx.AsyncClient
) -> None:
    for path, status, title, words in (
        ("/t/sold-out", 409, "Sold out", "Sorry, there are no tickets left for this choice."),
        ("/t/expired", 409, "Time ran out", "Seats are held for a limited time while you pay"),
        ("/t/not-on-sale", 409, "Not on sale", "not on sale at the moment"),
        ("/t/broken", 500, "Something went wrong", "It is not your fault"),
        ("/t/odd", 400, "Something is not right", "We could not understand that request."),
    ):
        page = await client.get(path)
        assert page.status_code == status, path
        assert page.headers["content-type"] == HTML
        assert f"<h1>{title}</h1>" in page.text
        assert words in text_of(page)
        for secret in ("Traceback", "secret internals", "hold 7", "FLOOR", "session 3"):
            assert secret not in page.text

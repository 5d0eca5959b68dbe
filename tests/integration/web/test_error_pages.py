"""The storefront's error pages through the ASGI client, on SQLite and PostgreSQL: missing and
malformed pages are friendly 4xx pages, and a domain error raised by a page is a friendly page
without internals."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from admit.core.errors import AdmitError
from admit.inventory.claims import SoldOut
from admit.sales.orders import HoldExpired
from admit.sales.windows import NotOnSale
from admit.web.errors import PageRoute
from tests.integration.web.browse_pages import HTML, text_of


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

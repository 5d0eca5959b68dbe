"""Storefront pages through the ASGI client: what a visitor sees, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx


async def test_unknown_page_is_a_friendly_404_and_the_api_keeps_json(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Page not found</h1>" in page.text
    assert "Traceback" not in page.text
    assert 'href="/login">Sign in</a>' in page.text

    api = await client.get("/api/v1/no/such/thing")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"

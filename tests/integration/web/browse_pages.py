"""Reading the storefront's Browse pages in tests (their visible words, the sessions they link,
the seat map's configuration) and a second session to list beside the first; shared by the page
tests and the page-cache tests."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import httpx

from tests.conftest import T0
from tests.integration.catalog.catalog_factories import ok, schedule_session

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


def session_links_in_results(page: httpx.Response) -> list[int]:
    match = re.search(r'<ul class="cards results">(.*?)</ul>', page.text, re.S)
    return [int(n) for n in re.findall(r'href="/sessions/(\d+)"', match.group(1))] if match else []

"""The home page's listing, a session's page and a search's results are the same for every
visitor: each process builds them at most once per ``ADMIT_AVAILABILITY_CACHE_SECONDS`` and
serves them without a statement meanwhile. The
caches' clock is moved by hand (``Later``), so a slow machine cannot make an entry lapse early."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from admit.app import create_app
from admit.core import short_cache
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.inventory import availability
from admit.web import rendering, session_view
from admit.web.auth import SESSION_COOKIE
from tests.conftest import T0
from tests.integration.catalog.catalog_factories import ok
from tests.integration.sales.sale_factories import on_sale
from tests.integration.web.browse_pages import (
    ADMIN,
    second_session,
    session_links,
    session_links_in_results,
    text_of,
)
from tests.integration.web.checkout_flows import signed_in_buyer

SECONDS = 30.0


class Later:
    """``time`` for the caches: the real monotonic clock plus the seconds ``skip`` added."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def skip(self) -> None:
        self.offset += SECONDS + 1


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Later:
    shifted = Later()
    monkeypatch.setattr(short_cache, "time", shifted)
    monkeypatch.setattr(availability, "time", shifted)
    return shifted


@pytest.fixture
async def cached(
    runtime: Runtime, clock: FixedClock
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """Another server process on the same database, with page and configuration caches of
    SECONDS, and the statements it sends."""
    settings = runtime.settings.model_copy(
        update={"availability_cache_seconds": SECONDS, "sale_config_cache_seconds": SECONDS}
    )
    rt = Runtime.from_settings(settings, clock=clock)
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(rt.engine.sync_engine, "before_cursor_execute", record)
    transport = httpx.ASGITransport(app=create_app(rt, run_worker=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://other.test") as c:
        yield c, sent
    await rt.close()


async def test_the_home_page_listing_is_built_once_per_period(
    admin: httpx.AsyncClient,
    clock: FixedClock,
    cached: tuple[httpx.AsyncClient, list[str]],
    later: Later,
) -> None:
    sid = await on_sale(admin, clock)
    client, sent = cached
    first = await client.get("/")
    assert session_links(first, "up-h") == [sid]
    assert sent  # built from the database

    sent.clear()
    again = await client.get("/")
    assert again.text == first.text
    assert sent == []  # served from the process's cache

    notice = {
        "title": "Doors open at six",
        "body": "Bring the ticket.",
        "starts_at": T0.isoformat(),
    }
    ok(await admin.post(f"{ADMIN}/announcements", json={**notice, "published": True}), 201)
    assert "Doors open at six" not in text_of(await client.get("/"))
    later.skip()
    assert "Doors open at six" in text_of(await client.get("/"))
    assert sent  # built again once the period was over


async def test_the_session_page_is_built_once_per_availability_period(
    admin: httpx.AsyncClient,
    clock: FixedClock,
    cached: tuple[httpx.AsyncClient, list[str]],
    later: Later,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = await on_sale(admin, clock)
    client, sent = cached
    builds = []
    build = session_view._build_page

    async def counted(*args: Any) -> session_view.SessionPage:
        builds.append(args)
        return await build(*args)

    monkeypatch.setattr(session_view, "_build_page", counted)
    results = await asyncio.gather(*(client.get(f"/sessions/{sid}") for _ in range(5)))
    assert {r.status_code for r in results} == {200}
    assert len({r.text for r in results}) == 1
    assert len(builds) == 1  # one request built it, the others waited for it

    sent.clear()
    assert (await client.get(f"/sessions/{sid}")).text == results[0].text
    assert sent == []  # availability, page and waiting-room flag all kept by the process
    assert len(builds) == 1
    later.skip()
    assert (await client.get(f"/sessions/{sid}")).status_code == 200
    assert len(builds) == 2


async def test_a_search_runs_once_per_period_on_the_page_and_in_the_api(
    admin: httpx.AsyncClient,
    clock: FixedClock,
    cached: tuple[httpx.AsyncClient, list[str]],
    later: Later,
) -> None:
    sid = await on_sale(admin, clock)
    client, sent = cached

    def found(api: httpx.Response) -> list[int]:
        return [s["session"]["id"] for s in ok(api)]

    page = await client.get("/search?q=film")
    assert session_links_in_results(page) == [sid]
    assert found(await client.get("/api/v1/sessions?q=film")) == [sid]

    sent.clear()
    assert (await client.get("/search?q=film")).text == page.text
    assert found(await client.get("/api/v1/sessions?q=film")) == [sid]
    assert sent == []  # both kept by the process

    other = await second_session(admin, sid)
    assert session_links_in_results(await client.get("/search?q=film")) == [sid]
    assert session_links_in_results(await client.get("/search?q=night+film")) == [other, sid]
    later.skip()
    assert session_links_in_results(await client.get("/search?q=film")) == [other, sid]
    assert found(await client.get("/api/v1/sessions?q=film")) == [other, sid]


@pytest.mark.parametrize("page", ["/sessions/{sid}", "/"])
async def test_a_page_is_rendered_once_per_header_and_per_request_with_parameters(
    page: str,
    admin: httpx.AsyncClient,
    clock: FixedClock,
    runtime: Runtime,
    web: httpx.AsyncClient,
    cached: tuple[httpx.AsyncClient, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = await on_sale(admin, clock)
    path = page.format(sid=sid)
    client, _ = cached
    renders: list[bool] = []  # signed in?
    render = rendering.render

    async def counted(request: Any, template: str, context: dict[str, Any]) -> Any:
        renders.append(context["visitor"] is not None)
        return await render(request, template, context)

    monkeypatch.setattr(rendering, "render", counted)
    anonymous = await client.get(path)
    assert (await client.get(path)).text == anonymous.text
    assert renders == [False]
    assert "Sign in" in anonymous.text

    await signed_in_buyer(runtime, web, "13700000090")
    # The same browser on another server process.
    client.headers["Cookie"] = f"{SESSION_COOKIE}={web.cookies[SESSION_COOKIE]}"
    mine = await client.get(path)
    assert "My account" in mine.text
    assert "My account" not in anonymous.text
    assert (await client.get(path)).text == mine.text
    assert renders == [False, True]  # one page per header
    del client.headers["Cookie"]

    for _ in range(2):  # a message (or a preselection) is this request's own
        told = await client.get(path, params={"msg": "seats_taken"})
        assert "some of those seats were just taken" in told.text
    assert renders == [False, True, False, False]
    assert (await client.get(path)).text == anonymous.text
    assert len(renders) == 4

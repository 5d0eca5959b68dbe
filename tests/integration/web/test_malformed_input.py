"""No page answers 500, whatever the query string, path or form: every page route of the app
(found in ``app.routes``, outside ``/api``, ``/_sim`` and ``/static``) gets malformed path
parameters, query strings and form bodies, from a visitor, a signed-in customer and a visitor
with a garbage session cookie (one test each, so that parallel workers share them; the last
gets each query value in all the names at once), on SQLite and PostgreSQL. Each answer is a
2xx, 3xx or 4xx, and never shows a stack trace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.web.auth import SESSION_COOKIE
from tests.integration.sales.sale_factories import customers_with_ids, on_sale

pytestmark = pytest.mark.long

SITE = "http://admit.test"
# Readiness answers 503 by design while no worker beats (tests/integration/core/test_health.py).
SKIP = ("/api", "/_sim", "/static", "/readyz", "/healthz")
PATH_VALUES = [
    "abc",
    "-1",
    "0",
    "1.5",
    "9" * 40,
    "%FF%FE",
    "%00",
    "%E5%90%8D%E5%AD%97",  # 名字
    "x" * 3000,
    "1%20OR%201%3D1",
    "..%2F..%2Fetc",
    "A-1",
    "%3Cscript%3E",
]
QUERY_NAMES = [
    "q",
    "category",
    "date",
    "venue",
    "page",
    "seats",
    "level",
    "quantity",
    "area",
    "msg",
    "next",
    "session_id",
    "seat",
    "status",
]
QUERY_VALUES = [
    "",
    "-1",
    "0",
    "9" * 40,
    "1e309",
    "nan",
    "%FF%FE%FD",
    "%00",
    "%E2%80%AE%F0%9F%8E%AB",
    "x" * 5000,
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "2026-02-30",
    "%2F%2Fevil.example",
    "http%3A%2F%2Fevil.example%2F",
    "a,b,,c,%2C",
]
RAW_QUERIES = [
    "%",
    "%%%",
    "=&=&&=",
    "q",
    "q=1&q=2&q=3&page=1&page=x",
    "q[]=1&q[a]=2",
    "&".join(f"seats=K{i}" for i in range(300)),
    "next=" + "%2F" * 2000,
    "%FF=%FF",
]
FORM_BODIES: list[bytes] = [
    b"",
    b"session_id=abc&seat=&quantity=x",
    b"session_id=-1&level=A&quantity=-5",
    b"session_id=" + b"9" * 40 + b"&quantity=" + b"9" * 40,
    b"session_id=1&seat=" + b"&seat=".join(b"K%d" % i for i in range(500)),
    b"session_id=1&area=FLOOR&quantity=1e9",
    b"session_id=%FF%FE&seat=%FF&login=%FF&password=%FF&code=%FF",
    b"\xff\xfe\xfd=\xff",
    b"login=" + b"x" * 20000 + b"&password=" + b"y" * 20000,
    b"next=%2F%2Fevil.example&login=13800000000&password=a",
    b"key=&ticket_type=%00&holder=-1&document=%E5%90%8D",
    b"%%%&&&===",
    b"phone=%E2%80%AE1380000&email=a%40%40b&name=%3Cb%3E",
]
FORM = {"content-type": "application/x-www-form-urlencoded"}
OTHER_BODIES: list[tuple[bytes, dict[str, str]]] = [
    (b'{"session_id": 1, "seat": ["A-1"]}', {"content-type": "application/json"}),
    (
        b"--x\r\nContent-Disposition: form-data; name=seat\r\n\r\nA\r\n",
        {"content-type": "multipart/form-data; boundary=x"},
    ),
    (b"session_id=1", {"content-type": "text/plain"}),
    (b"session_id=1", {"content-type": "application/x-www-form-urlencoded; charset=latin-9"}),
]


def page_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route outside the JSON API, simulators and files."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute | Route):
                path = prefix + route.path
                if not path.startswith(SKIP):
                    found.extend((m, path) for m in sorted(route.methods or ()) if m != "HEAD")

    walk(list(app.routes), "")
    return sorted(set(found))


def concrete(template: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, template)


def requests_for(
    method: str, template: str, real_id: int, *, every_query: bool = True
) -> Iterator[tuple[str, bytes, dict[str, str]]]:
    """(url, body, headers) of the malformed requests one route gets; without
    ``every_query``, the query values go in all the names at once instead of one name at a
    time (15 requests instead of 210)."""
    has_params = "{" in template
    valid = concrete(template, str(real_id))
    for value in PATH_VALUES if has_params else []:
        yield concrete(template, value), b"", FORM
    for value in QUERY_VALUES:
        if every_query or len(value) > 1000:  # (14 long values would pass a URL's limit)
            for name in QUERY_NAMES:
                yield f"{valid}?{name}={value}", b"", FORM
        else:
            yield f"{valid}?" + "&".join(f"{name}={value}" for name in QUERY_NAMES), b"", FORM
    for raw in RAW_QUERIES:
        yield f"{valid}?{raw}", b"", FORM
    if method == "POST":
        for body in FORM_BODIES:
            yield valid, body, FORM
            if has_params:
                yield concrete(template, "abc"), body, FORM
        for body, headers in OTHER_BODIES:
            yield valid, body, headers


async def _hammer(
    client: httpx.AsyncClient, routes: list[tuple[str, str]], real_id: int, every_query: bool
) -> list[str]:
    failures = []
    for method, template in routes:
        for url, body, headers in requests_for(method, template, real_id, every_query=every_query):
            response = await client.request(method, url, content=body or None, headers=headers)
            bad = response.status_code >= 500 or response.status_code < 200
            if bad or "Traceback (most recent call last)" in response.text:
                failures.append(f"{method} {url[:120]} -> {response.status_code}")
    return failures


@pytest.mark.parametrize("visitor", ["anonymous", "signed_in", "garbage_cookie"])
async def test_no_page_answers_500_to_malformed_input(
    app: FastAPI, admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime, visitor: str
) -> None:
    sid = await on_sale(admin, clock)
    ((_, bearer),) = await customers_with_ids(runtime, 1)
    routes = page_routes(app)
    paths = {path for _, path in routes}
    # the discovery finds both parts of the storefront (and whatever else serves pages)
    assert {"/", "/search", "/sessions/{session_id}", "/events/{event_id}"} <= paths
    assert {"/login", "/checkout/hold", "/account"} <= paths
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    token = bearer["Authorization"].removeprefix("Bearer ")
    cookies = {
        "anonymous": {},
        "signed_in": {SESSION_COOKIE: token},
        "garbage_cookie": {SESSION_COOKIE: "%FF" + "x" * 4000},
    }[visitor]
    async with httpx.AsyncClient(
        transport=transport,
        base_url=SITE,
        headers={"Origin": SITE},
        cookies=cookies,
        follow_redirects=False,
    ) as client:
        # A garbage cookie is read before any route's own parameters: it gets every path and
        # body, and the query values all at once, not the whole name × value matrix again.
        failures = await _hammer(client, routes, sid, every_query=visitor != "garbage_cookie")
    assert failures == [], f"{len(failures)} failures as a {visitor} visitor"

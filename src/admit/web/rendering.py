"""The storefront's Jinja2 environment and ``render``: every page gets the visitor, the flash
message named by ``?msg=``, the search box's text and versioned static URLs. Autoescape is on."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from admit.core.local_time import local_time
from admit.core.money import Money
from admit.web.auth import Visitor, signed_in
from admit.web.messages import flash, status_words

HERE = Path(__file__).parent
STATIC = HERE / "static"
SITE_NAME = "Admit"
_UNSET = object()


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: browsers may cache it, a new file gets a new URL."""
    file = STATIC / path
    version = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"
    return f"/static/{path}?v={version}"


def money(amount: int | None, currency: str = "CNY") -> str:
    if amount is None:
        return ""
    return Money(int(amount), currency).format()


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        enable_async=False,
    )
    env.globals.update(static_url=static_url, site_name=SITE_NAME)
    env.filters.update(money=money, local_time=local_time, words=status_words)
    return env


templates = _environment()


def _query(request: Request, name: str) -> str:
    # A repeated or odd parameter must not break the layout: take the first value, as text.
    value = request.query_params.get(name)
    return value[:200] if value else ""


async def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    *,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page ``template`` with ``context`` plus the common context: ``request``, ``visitor``
    (``None`` for a visitor not signed in; pass ``visitor`` in ``context`` to skip the lookup),
    ``flash`` ((kind, text) or ``None``), ``search_q`` and ``static_url``."""
    values: dict[str, Any] = dict(context or {})
    visitor: Visitor | None | object = values.get("visitor", _UNSET)
    if visitor is _UNSET:
        values["visitor"] = await signed_in(request)
    values.setdefault("request", request)
    values.setdefault("flash", flash(_query(request, "msg")))
    values.setdefault("search_q", _query(request, "q") if request.url.path == "/search" else "")
    values.setdefault("title", "")
    html = templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)


async def render_kept(
    request: Request,
    kept: dict[bool, bytes],
    template: str,
    context: Callable[[], dict[str, Any]],
) -> HTMLResponse:
    """A page the same for every visitor but for its header (signed in or not): rendered once
    per header into ``kept`` — which lives exactly as long as the data it shows — and then
    served as bytes. A request with parameters (a message, a preselection) is rendered for
    itself. ``context`` builds the template's context (pages read parameters in it)."""
    visitor = await signed_in(request)
    if request.query_params:
        return await render(request, template, {**context(), "visitor": visitor})
    html = kept.get(visitor is not None)
    if html is not None:
        return HTMLResponse(html)
    response = await render(request, template, {**context(), "visitor": visitor})
    kept[visitor is not None] = bytes(response.body)
    return response

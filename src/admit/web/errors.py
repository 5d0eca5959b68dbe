"""Friendly HTML error pages for the storefront's page routes; the JSON API keeps its JSON.

Page routers use ``PageRoute`` (``APIRouter(route_class=PageRoute)``): a domain error, a request
of the wrong shape or an HTTP error raised by a page becomes a page with a clear title, never a
stack trace. ``install_page_errors`` does the same for paths no route matched and for unexpected
errors, on every path outside the JSON API and the simulators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from admit.core.db import is_transient, out_of_range
from admit.core.errors import AdmitError, Unauthorized
from admit.core.reachability import DRIVER_ERRORS, database_unreachable
from admit.http.errors import RETRY_AFTER_SECONDS, note_database_lost
from admit.web.messages import error_text
from admit.web.rendering import render, templates

log = structlog.get_logger(__name__)

# Paths that answer JSON (or belong to other apps) whatever goes wrong.
NON_PAGE_PREFIXES = (
    "/api/",
    "/_sim",
    "/static/",
    "/healthz",
    "/livez",
    "/readyz",
    "/metrics",
    "/docs",
    "/openapi",
)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
ExceptionHandler = Callable[[Request, Any], Response | Awaitable[Response]]


def is_page_path(path: str) -> bool:
    return not path.startswith(NON_PAGE_PREFIXES) and path not in ("/api", "/_sim")


async def error_page(
    request: Request,
    code: str,
    status: int,
    *,
    back_url: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The friendly page for an error ``code`` with HTTP ``status``."""
    text = error_text(code, status)
    context = {
        "title": text.title,
        "error_title": text.title,
        "error_message": message or text.message,
        "error_code": code,
        "back_url": back_url,
    }
    if status >= 500:
        # The database may be the trouble: do not look the visitor up again.
        context["visitor"] = None
    try:
        return await render(request, "error.html", context, status, headers=headers)
    except Exception:  # the layout itself failed: still no stack trace to the user
        log.exception("error_page_failed", path=request.url.path)
        return HTMLResponse(
            templates.get_template("error_plain.html").render(context),
            status_code=status,
            headers=headers,
        )


async def too_many_requests_page(request: Request, refused: AdmitError) -> Response:
    """The page for a request refused by the edge's budgets (``admit.http.edge_limits``)."""
    retry = refused.details.get("retry_after", 1) if isinstance(refused.details, dict) else 1
    return await error_page(
        request, refused.code, refused.status, headers={"Retry-After": str(int(retry))}
    )


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def page_for_exception(request: Request, exc: Exception) -> Response:
    """The page for anything a page route raised."""
    if database_unreachable(exc):
        note_database_lost(request, exc)
        wait = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return await error_page(request, "database_unavailable", 503, headers=wait)
    if out_of_range(exc):
        log.warning("page_value_out_of_range", path=request.url.path)
        return await error_page(request, "invalid_input", 400)
    if isinstance(exc, Unauthorized) and request.method == "GET":
        return _login_redirect(request)
    if isinstance(exc, AdmitError):
        retry = exc.details.get("retry_after") if isinstance(exc.details, dict) else None
        headers = {"Retry-After": str(int(retry))} if retry is not None else None
        return await error_page(request, exc.code, exc.status, headers=headers)
    if isinstance(exc, RequestValidationError):
        return await error_page(request, "invalid_input", 400)
    if isinstance(exc, StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return await error_page(request, code, exc.status_code)
    if isinstance(exc, DBAPIError) and is_transient(exc):
        log.warning("transient_db_error", path=request.url.path, error=str(exc.orig)[:200])
        return await error_page(request, "busy", 503, headers={"Retry-After": "1"})
    log.exception("unhandled_page_error", path=request.url.path, exc_info=exc)
    return await error_page(request, "internal_error", 500)


class PageRoute(APIRoute):
    """A route whose failures are friendly HTML pages (the unit of work has rolled back by
    the time the page is drawn)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (
                AdmitError,
                RequestValidationError,
                StarletteHTTPException,
                StatementError,
                OverflowError,
            ) as exc:
                return await page_for_exception(request, exc)

        return page_handler


async def _answer(response: Response | Awaitable[Response]) -> Response:
    return response if isinstance(response, Response) else await response


def install_page_errors(app: FastAPI) -> None:
    """Unmatched page paths (404/405) and unexpected errors on page paths answer HTML; the
    JSON handlers installed before keep every other path."""
    json_http: ExceptionHandler = app.exception_handlers[StarletteHTTPException]
    json_unexpected: ExceptionHandler = app.exception_handlers[Exception]

    async def http_error(request: Request, exc: Exception) -> Response:
        if is_page_path(request.url.path):
            return await page_for_exception(request, exc)
        return await _answer(json_http(request, exc))

    async def unexpected(request: Request, exc: Exception) -> Response:
        if is_page_path(request.url.path):
            return await page_for_exception(request, exc)
        return await _answer(json_unexpected(request, exc))

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
    for driver_error in DRIVER_ERRORS:  # a database outage on a page: a page too
        app.add_exception_handler(driver_error, unexpected)

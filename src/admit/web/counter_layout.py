"""The counter's pages render in their own layout (no storefront header: the clerk's outlet,
the shortcuts, sign out) and show refusals there: a domain error on a counter page is the
counter's page with the error's own message and code (``data-error-code``), never the
storefront's; a GET without a clerk signed in goes to ``/counter/login``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from admit.core.errors import AdmitError, Unauthorized
from admit.web.errors import Handler, page_for_exception
from admit.web.rendering import render


async def counter_page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A counter page: the storefront's visitor is never looked up here."""
    return await render(request, f"counter/{template}", {"visitor": None, **context}, status_code)


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/counter/login?next={quote(target, safe='')}", status_code=303)


async def counter_refusal(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unauthorized):
        return to_login(request)
    if isinstance(exc, AdmitError):
        context = {"title": "Refused", "code": exc.code, "message": exc.message, "clerk": None}
        return await counter_page(request, "refused.html", context, exc.status)
    if isinstance(exc, RequestValidationError):
        context = {
            "title": "Refused",
            "code": "invalid_input",
            "message": "Something in the form is missing or not valid: check it and try again.",
            "clerk": None,
        }
        return await counter_page(request, "refused.html", context, 400)
    return await page_for_exception(request, exc)


class CounterRoute(APIRoute):
    """A counter page route: refusals in the counter's layout (``counter_refusal``), the
    other failures as the storefront's ``PageRoute`` shows them."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def counter_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (AdmitError, RequestValidationError) as exc:
                return await counter_refusal(request, exc)
            except (StarletteHTTPException, StatementError, OverflowError) as exc:
                return await page_for_exception(request, exc)

        return counter_handler

"""The access log: one record per HTTP request, written when its response has gone out
(method, route, status, duration, request id), and the request id on every response.

The route is the matched template (``/api/v1/orders/{order_id}``), the raw path only where no
route matched; the query string, the headers and the body are never logged (they carry
tokens, phone numbers, sign-in codes). The request id is the client's ``X-Request-Id`` when it
is a sane one, otherwise a new one; it is bound to every log record of the request."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admit.http.metrics import RequestMetrics
from admit.http.route_templates import UNMATCHED, RouteTemplates

REQUEST_ID_HEADER = b"x-request-id"
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
# A path segment that looks like a token or a key (long, url-safe, with a digit): a client may
# put one in a path no route matched, and then the raw path is all there is to log.
OPAQUE_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}(?=/|$)")

log = structlog.get_logger("admit.access")


def request_id_of(scope: Scope) -> str:
    """The client's request id if it is short and plain, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and SANE_REQUEST_ID.fullmatch(value):
            return str(value.decode())
    return uuid.uuid4().hex


def shown_route(route: str, scope: Scope) -> str:
    """The route for the log: its template; when no route matched, the raw path with any
    token-like segment masked."""
    return OPAQUE_SEGMENT.sub("***", str(scope["path"])) if route == UNMATCHED else route


class RequestLogMiddleware:
    """Pure ASGI (nothing read or buffered), outermost: logs each HTTP request once it is
    done and counts it in the request metrics (``http/metrics.py``) — one timing and one route
    lookup for both."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes = RouteTemplates()
        self._metrics = RequestMetrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        root_path = str(scope.get("root_path", ""))
        started = time.perf_counter()
        status = 500  # what the client gets when the application raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        # Left bound when the application raises, so that the error's own log records (the
        # error handler's, the server's) name the request: each request runs in its own task.
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            self._metrics.unhandled(self._routes.of(scope, root_path))
            status = 500
            raise
        finally:
            seconds = time.perf_counter() - started
            route = self._routes.of(scope, root_path)
            self._metrics.observe(route, scope["method"], status, seconds)
            log.info(
                "request",
                method=scope["method"],
                route=shown_route(route, scope),
                status=status,
                duration_ms=round(seconds * 1000, 1),
            )
        structlog.contextvars.unbind_contextvars("request_id")

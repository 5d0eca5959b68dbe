"""Prometheus metrics of the HTTP layer: requests and their latency by route template, method
and status; errors no handler answered; requests refused while the database was unreachable.

Labels are bounded: the route's path template (``/api/v1/sessions/{session_id}``), never the
path a client sent; a path no route matched is ``unmatched``."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admit.http.route_templates import RouteTemplates

REQUESTS = Counter(
    "admit_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
LATENCY = Histogram(
    "admit_http_request_duration_seconds",
    "Time to answer an HTTP request, from its arrival to the end of the response",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
UNHANDLED = Counter(
    "admit_http_unhandled_errors_total",
    "Requests that ended in an error no handler answered (a 500 with a logged traceback)",
    ["route"],
)
DATABASE_UNAVAILABLE_ANSWERS = Counter(
    "admit_database_unavailable_responses_total",
    "Requests answered 503 database_unavailable because the database could not be reached",
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    """Counts and times every HTTP request. The per-label children are kept, so a request
    costs two dictionary lookups beyond Prometheus's own increments."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self._routes = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = str(scope.get("root_path", ""))
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except Exception:
            UNHANDLED.labels(self._routes.of(scope, root_path)).inc()
            status = 500
            raise
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            key = (self._routes.of(scope, root_path), method, str(status))
            children = self._children.get(key)
            if children is None:
                children = (REQUESTS.labels(*key), LATENCY.labels(*key))
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)

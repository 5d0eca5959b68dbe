"""Prometheus metrics of the HTTP layer: requests and their latency by route template, method
and status; errors no handler answered; requests refused while the database was unreachable.

Labels are bounded: the route's path template (``/api/v1/sessions/{session_id}``), never the
path a client sent; a path no route matched is ``unmatched``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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


class RequestMetrics:
    """Counts and times answered requests (the access log's middleware reports each one, so
    a request is timed and its route looked up once). The per-label children are kept, so a
    request costs two dictionary lookups beyond Prometheus's own increments."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in METHODS else "other", str(status))
        children = self._children.get(key)
        if children is None:
            children = (REQUESTS.labels(*key), LATENCY.labels(*key))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    @staticmethod
    def unhandled(route: str) -> None:
        UNHANDLED.labels(route).inc()

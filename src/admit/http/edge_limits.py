"""Request budgets at the edge (API2, FE2 throttling): every request to the public, customer
and counter APIs and to the pages spends a token of its address's bucket for its class, and
every request made with a customer's or a staff member's token a token of that account's.

Classes, by method and path (``edge_of``): ``sign_in`` (the sign-in posts of the API and the
pages: the strictest), ``counter`` (``/api/v1/counter`` and the ``/counter/`` pages: an
outlet's clerks share an address),
``api`` (the rest of the API: catalogue, holds, orders, payments, the customer's own), and
``pages``. Not budgeted here: the partner API (its own budget per key), gate devices, the back
office (staff are budgeted per account), the bank's notifications, static files, health and
metrics, the simulators.

A refusal is ``429 rate_limited`` with ``Retry-After`` — JSON for the API, the friendly page
for pages. Budgets are settings (``ADMIT_LIMIT_*_MINUTE``, docs/operations.md), kept in the
runtime's ``RateLimiter``: shared by every server through Redis when ``ADMIT_REDIS_URL`` is
set, its tokens leased a chunk at a time (a twentieth of the budget) so that Redis sees one call
per chunk of an address's requests, not one per request. Redis away degrades to this process's
own buckets rather than refusing the sale. The
networks in ``ADMIT_LIMIT_EXEMPT_NETWORKS`` (a load generator, monitoring) spend nothing: an
exemption is configuration, never code."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from enum import StrEnum
from weakref import WeakKeyDictionary

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from admit.core.config import Settings
from admit.core.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RateLimiterUnavailable
from admit.core.ratelimit_leases import LeasedTokens
from admit.core.runtime import Runtime
from admit.http.addresses import address_in, is_exempt
from admit.http.errors import error_response
from admit.http.throttle import RateLimited

API = "/api/v1/"
# Their own budgets (partner keys, device keys, staff accounts) or callers that must never be
# turned away (the bank's notifications).
_UNBUDGETED_API = {"partner", "gate", "admin"}
_NOTIFICATIONS = "payments/notify/"
_SIGN_IN_API = {"/api/v1/auth/login", "/api/v1/auth/login/code", "/api/v1/auth/staff/login"}
_SIGN_IN_PAGES = {"/login", "/login/code", "/counter/login"}
_NOT_PAGES = (
    "/static/",
    "/_sim",
    "/healthz",
    "/livez",
    "/readyz",
    "/metrics",
    "/docs",
    "/redoc",
    "/openapi",
    "/api",
)


class Edge(StrEnum):
    SIGN_IN = "sign_in"
    COUNTER = "counter"
    API = "api"
    PAGES = "pages"


def edge_of(method: str, path: str) -> Edge | None:
    """The budget class of a request, or ``None`` for the paths not budgeted here."""
    if method == "POST" and (path in _SIGN_IN_API or path in _SIGN_IN_PAGES):
        return Edge.SIGN_IN
    if path.startswith(API):
        rest = path[len(API) :]
        if rest.split("/", 1)[0] in _UNBUDGETED_API or rest.startswith(_NOTIFICATIONS):
            return None
        return Edge.COUNTER if rest.startswith("counter") else Edge.API
    if path.startswith(_NOT_PAGES):
        return None
    # The counter's pages: an outlet's clerks share an address, as on the counter API.
    return Edge.COUNTER if path.startswith("/counter/") else Edge.PAGES


def budget(settings: Settings, edge: Edge) -> Limit:
    per_minute = {
        Edge.SIGN_IN: settings.limit_sign_in_per_address_minute,
        Edge.COUNTER: settings.limit_counter_per_address_minute,
        Edge.API: settings.limit_api_per_address_minute,
        Edge.PAGES: settings.limit_pages_per_address_minute,
    }[edge]
    return Limit.per_minute(per_minute)


_MESSAGES = {
    Edge.SIGN_IN: "too many sign-in attempts from this address: wait a moment and try again",
    Edge.COUNTER: "too many requests from this outlet's address: wait a moment and try again",
    Edge.API: "too many requests from this address: wait a moment and try again",
    Edge.PAGES: "too many pages asked for from this address: wait a moment and try again",
}
# Per process: the buckets used while the shared store cannot be reached, and the leases of
# the shared store's tokens (one round trip to Redis per chunk of requests, not per request).
_fallback = MemoryRateLimiter()
_leases: WeakKeyDictionary[RateLimiter, LeasedTokens] = WeakKeyDictionary()


def _budgets(rt: Runtime) -> RateLimiter | LeasedTokens:
    limiter = rt.adapter(RateLimiter)  # type: ignore[type-abstract]
    if isinstance(limiter, MemoryRateLimiter):
        return limiter  # in this process already: a lease would only cost precision
    leased = _leases.get(limiter)
    if leased is None:
        leased = _leases[limiter] = LeasedTokens(limiter)
    return leased


async def spend(rt: Runtime, *, rule: str, key: str, limit: Limit, message: str) -> None:
    """Spend one token of ``rule``'s bucket for ``key``; raise ``RateLimited`` when empty.
    A shared store's tokens are leased in chunks (``core.ratelimit_leases``); with the store
    unreachable, this process's own buckets decide."""
    try:
        decision = await _budgets(rt).take(f"{rule}:{key}", limit)
    except RateLimiterUnavailable:
        decision = await _fallback.take(f"{rule}:{key}", limit)
    if not decision.allowed:
        retry = max(1, math.ceil(decision.retry_after))
        raise RateLimited(message, details={"rule": rule, "retry_after": retry})


async def spend_account(rt: Runtime, scope: Scope, *, kind: str, account: int) -> None:
    """One request made with an account's token (``kind``: customer or staff), from any
    address; an exempt address spends nothing. Raises ``RateLimited``."""
    settings = rt.settings
    if is_exempt(address_in(scope, settings.trusted_proxies), settings.limit_exempt_networks):
        return
    per_minute = (
        settings.limit_staff_per_account_minute
        if kind == "staff"
        else settings.limit_customer_per_account_minute
    )
    await spend(
        rt,
        rule=f"edge:{kind}:account",
        key=str(account),
        limit=Limit.per_minute(per_minute),
        message="too many requests with this account: wait a moment and try again",
    )


PageRefusal = Callable[[Request, RateLimited], Awaitable[Response]]


class EdgeLimitMiddleware:
    """Spends the address's token before anything else runs (a pure ASGI middleware: a refused
    request costs no routing, no database and no body read)."""

    def __init__(self, app: ASGIApp, rt_of: Callable[[], Runtime], page_refusal: PageRefusal):
        self.app = app
        self.rt_of = rt_of
        self.page_refusal = page_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        edge = edge_of(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if edge is None:
            await self.app(scope, receive, send)
            return
        rt = self.rt_of()
        settings = rt.settings
        address = address_in(scope, settings.trusted_proxies)
        if is_exempt(address, settings.limit_exempt_networks):
            await self.app(scope, receive, send)
            return
        try:
            await spend(
                rt,
                rule=f"edge:{edge}:address",
                key=address,
                limit=budget(settings, edge),
                message=_MESSAGES[edge],
            )
        except RateLimited as refused:
            response = (
                error_response(refused)
                if scope["path"].startswith("/api")
                else await self.page_refusal(Request(scope, receive), refused)
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

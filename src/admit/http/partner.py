"""Partner API plumbing (API2, API6): key authentication, scopes, a rate limit per key (429 with
``Retry-After``), and an access-log row for every call. Keys and the log are the accounts'; this
plumbing reaches them through the runtime's ``Authenticator`` (``admit.core.authentication``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admit.core.errors import Forbidden, Unauthorized
from admit.core.ratelimit import Limit, RateLimiter
from admit.core.reachability import database_unreachable
from admit.core.runtime import Runtime
from admit.http.deps import authenticator, runtime
from admit.http.throttle import RateLimited

PARTNER_PREFIX = "/api/v1/partner/"
CHANNEL_PREFIX = "/api/v1/channel/"  # channel systems' booking API (``admit.channels``)
# The partner's key header; channel systems' keys (``admit.channels``) are the same keys.
API_KEY = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    scheme_name="PartnerKey",
    description="A partner's API key: `<key_id>.<secret>`",
)


@dataclass(frozen=True, slots=True)
class Partner:
    id: int
    name: str
    scopes: tuple[str, ...]


def partner(scope: str) -> Any:
    """``Annotated[Partner, partner("catalog.read")]`` for a partner endpoint."""

    async def dependency(
        request: Request,
        rt: Annotated[Runtime, Depends(runtime)],
        key: Annotated[str | None, Depends(API_KEY)],
    ) -> Partner:
        if not key:
            raise Unauthorized("an X-Api-Key header is required")
        client = await authenticator(rt).api_client(key)
        request.state.api_client_id = client.id
        if scope not in client.scopes:
            raise Forbidden(f"this key lacks the {scope} scope")
        limiter = rt.adapter(RateLimiter)  # type: ignore[type-abstract]
        decision = await limiter.take(
            f"api:{client.id}", Limit.per_minute(client.rate_per_minute, client.burst)
        )
        if not decision.allowed:
            raise RateLimited(
                "rate limit exceeded for this key",
                details={"retry_after": max(1, math.ceil(decision.retry_after))},
            )
        return Partner(client.id, client.name, client.scopes)

    return Depends(dependency)


class AccessLogMiddleware:
    """Writes one access-log row per partner or channel-system call, after the response went
    out."""

    def __init__(self, app: ASGIApp, rt_of: Callable[[], Runtime]) -> None:
        self.app = app
        self.rt_of = rt_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(
            (PARTNER_PREFIX, CHANNEL_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            client_id = scope.get("state", {}).get("api_client_id")
            if client_id is not None:
                await self._log_call(scope, client_id, status, started)

    async def _log_call(self, scope: Scope, client_id: int, status: int, started: float) -> None:
        rt = self.rt_of()
        latency_ms = int((time.perf_counter() - started) * 1000)
        auth = authenticator(rt)
        try:
            await auth.log_api_call(
                client_id=client_id,
                method=scope["method"],
                path=scope["path"],
                status=status,
                latency_ms=latency_ms,
            )
        except Exception as exc:
            # The answer has gone out; losing its log row must not turn into a traceback.
            if not database_unreachable(exc):
                raise
            rt.database.lost(exc)
